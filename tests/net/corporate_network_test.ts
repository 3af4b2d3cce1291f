import assert from "node:assert/strict";
import {
  connectHost,
  type Host,
  HostConnectError,
  netFor,
  type Permissions,
} from "../_fixtures/bridge_host.ts";
import { startConnectProxy } from "../_fixtures/connect_proxy.ts";
import { makeTestPki, type PkiFiles, type TestPki, writePki } from "../_fixtures/test_pki.ts";
import { startTlsFront } from "../_fixtures/tls_front.ts";
import { serveTestServer, type TestServer } from "../_fixtures/test_server.ts";
import { serveExample } from "../../src/demo/example_server.ts";
import { ipv6Available } from "../_fixtures/waiting.ts";

let shared: { pki: TestPki; files: PkiFiles } | undefined;

/** One PKI for the file (making keys takes a moment), written under .tmp. */
async function pki(): Promise<{ pki: TestPki; files: PkiFiles }> {
  if (!shared) {
    await Deno.mkdir(".tmp", { recursive: true });
    const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "corp-" });
    const made = await makeTestPki();
    shared = { pki: made, files: await writePki(made, `${dir}/certs`) };
  }
  return shared;
}

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

/** Connects a host through the bridge; returns the host, or the connect error. */
async function tryConnect(
  url: URL,
  args: string[],
  permissions: Permissions,
): Promise<Host | HostConnectError> {
  try {
    return await connectHost(url, { args, permissions });
  } catch (error) {
    if (error instanceof HostConnectError) return error;
    throw error;
  }
}

/**
 * Runs a connect that the TLS front refuses, again while the refusal came without its TLS alert (at most 3
 * tries). Deno's `node:tls` server, on a loaded machine, sometimes closes the socket before its
 * `certificate_required` alert is written: the client then sees only an EOF, from which no client can name
 * the cause (measured: about 1 in 15 runs with the CPU saturated, never when idle).
 */
async function refusedWithAlert(
  connect: () => Promise<Host | HostConnectError>,
): Promise<Host | HostConnectError> {
  let result = await connect();
  for (let tries = 1; tries < 3; tries++) {
    if (!(result instanceof HostConnectError) || !/without sending TLS close_notify/.test(result.message)) {
      break;
    }
    result = await connect();
  }
  return result;
}

async function echoThrough(host: Host): Promise<string> {
  return text(await host.client.callTool({ name: "echo", arguments: { text: "through" } }));
}

async function withServer(fn: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await serveTestServer({ mode: "stateful" });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

Deno.test("an HTTPS server signed by a private CA: reached with --ca-file, refused without it with a message naming the flag", async () => {
  const { pki: keys, files } = await pki();
  await withServer(async (server) => {
    const front = await startTlsFront(server.url, keys);
    try {
      const net = [netFor(front.url)];
      const host = await tryConnect(front.url, ["--ca-file", files.caFile], { net, read: [files.caFile] });
      assert.ok(!(host instanceof HostConnectError), host instanceof HostConnectError ? host.message : "");
      try {
        assert.equal(await echoThrough(host), "through");
      } finally {
        await host.close();
      }
      const refused = await tryConnect(front.url, [], { net });
      assert.ok(refused instanceof HostConnectError, "connected without trusting the CA");
      assert.match(
        refused.message,
        /Cannot trust the TLS certificate of 127\.0\.0\.1:\d+ \(.*UnknownIssuer\).*--ca-file/s,
      );
      const other = await tryConnect(front.url, ["--ca-file", files.otherCaFile], {
        net,
        read: [files.otherCaFile],
      });
      assert.ok(other instanceof HostConnectError, "connected trusting another CA");
      assert.match(other.message, /UnknownIssuer/);
    } finally {
      await front.close();
    }
  });
});

Deno.test("a server that requires a client certificate: reached with --client-cert/--client-key, refused without them naming the flags", async () => {
  const { pki: keys, files } = await pki();
  await withServer(async (server) => {
    const front = await startTlsFront(server.url, keys, { requireClientCert: true });
    try {
      const net = [netFor(front.url)];
      const read = [files.caFile, files.clientCertFile, files.clientKeyFile];
      const args = ["--ca-file", files.caFile];
      const host = await tryConnect(
        front.url,
        [...args, "--client-cert", files.clientCertFile, "--client-key", files.clientKeyFile],
        { net, read },
      );
      assert.ok(!(host instanceof HostConnectError), host instanceof HostConnectError ? host.message : "");
      try {
        assert.equal(await echoThrough(host), "through");
        assert.ok(!host.stderr().includes("PRIVATE KEY"), "the key never reaches stderr");
      } finally {
        await host.close();
      }
      const refused = await refusedWithAlert(() => tryConnect(front.url, args, { net, read }));
      assert.ok(refused instanceof HostConnectError, "connected without a client certificate");
      assert.match(
        refused.message,
        /asks for a client certificate .*--client-cert <pem> and --client-key <pem>/s,
      );
      // The key file needs its own read permission, named when missing.
      const unreadable = await tryConnect(
        front.url,
        [...args, "--client-cert", files.clientCertFile, "--client-key", files.clientKeyFile],
        { net, read: [files.caFile, files.clientCertFile] },
      );
      assert.ok(unreadable instanceof HostConnectError);
      assert.match(
        unreadable.stderr,
        new RegExp(`Cannot read --client-key .*--allow-read=${files.clientKeyFile}`),
      );
    } finally {
      await front.close();
    }
  });
});

Deno.test("--proxy: the bridge tunnels through an HTTP CONNECT proxy, with Basic credentials from the URL that never reach stderr", async () => {
  const { pki: keys, files } = await pki();
  await withServer(async (server) => {
    const front = await startTlsFront(server.url, keys);
    const open = await startConnectProxy();
    const guarded = await startConnectProxy({
      basicAuth: { username: "corp-user", password: "s3cret-proxy-pass" },
    });
    try {
      const args = ["--ca-file", files.caFile];
      const read = [files.caFile];
      // Deno checks --allow-net for the proxy and for the server the request is for.
      const host = await tryConnect(front.url, [...args, "--proxy", open.url], {
        net: [netFor(front.url), netFor(open.url)],
        read,
      });
      assert.ok(!(host instanceof HostConnectError), host instanceof HostConnectError ? host.message : "");
      try {
        assert.equal(await echoThrough(host), "through");
      } finally {
        await host.close();
      }
      assert.ok(open.tunnels().includes(`127.0.0.1:${front.port}`), open.tunnels().join());

      // HTTPS_PROXY works the same, read by the runtime itself (no --allow-env needed).
      const before = open.tunnels().length;
      const viaEnv = await connectHost(front.url, {
        args,
        permissions: { net: [netFor(front.url), netFor(open.url)], read },
        env: { HTTPS_PROXY: open.url },
      });
      try {
        assert.equal(await echoThrough(viaEnv), "through");
      } finally {
        await viaEnv.close();
      }
      assert.ok(open.tunnels().length > before, "HTTPS_PROXY was not used");

      const withCredentials = new URL(guarded.url);
      withCredentials.username = "corp-user";
      withCredentials.password = "s3cret-proxy-pass";
      const authed = await tryConnect(front.url, [...args, "--proxy", withCredentials.href, "--debug"], {
        net: [netFor(front.url), netFor(guarded.url)],
        read,
      });
      assert.ok(
        !(authed instanceof HostConnectError),
        authed instanceof HostConnectError ? authed.message : "",
      );
      try {
        assert.equal(await echoThrough(authed), "through");
        assert.ok(!authed.stderr().includes("s3cret-proxy-pass"), "the proxy password never reaches stderr");
      } finally {
        await authed.close();
      }
      const refused = await tryConnect(front.url, [...args, "--proxy", guarded.url], {
        net: [netFor(front.url), netFor(guarded.url)],
        read,
      });
      assert.ok(refused instanceof HostConnectError, "the proxy let the bridge in without credentials");
      assert.match(
        refused.message,
        /proxy refused .*HTTP 407.*user:password@ before the proxy's host \(in --proxy, or in HTTPS_PROXY\)/s,
      );
      // Without permission for the proxy, the error names the flag to add.
      const unpermitted = await tryConnect(front.url, [...args, "--proxy", open.url], {
        net: [netFor(front.url)],
        read,
      });
      assert.ok(unpermitted instanceof HostConnectError);
      assert.match(
        unpermitted.stderr,
        new RegExp(`lacks network permission for the proxy: add --allow-net=127\\.0\\.0\\.1:${open.port}`),
      );
    } finally {
      await guarded.close();
      await open.close();
      await front.close();
    }
  });
});

Deno.test({
  name: "--ipv4: a server at an IPv6 address is reached without it, and refused with it",
  ignore: !ipv6Available(),
}, async () => {
  // The example server, reached through a relay that listens on [::1] only.
  const v6 = await new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
    const server = Deno.serve({
      hostname: "::1",
      port: 0,
      onListen: ({ port }) => resolve({ port, close: () => server.shutdown() }),
    }, async (request) => {
      const upstream = new URL(request.url);
      upstream.hostname = "127.0.0.1";
      upstream.port = String(example.url.port);
      return await fetch(upstream, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
    });
  });
  const example = await serveExample({ mode: "stateful" });
  const url = new URL(`http://[::1]:${v6.port}/mcp`);
  try {
    const net = [`[::1]:${v6.port}`];
    const host = await tryConnect(url, [], { net });
    assert.ok(!(host instanceof HostConnectError), host instanceof HostConnectError ? host.message : "");
    await host.close();
    const refused = await tryConnect(url, ["--ipv4"], { net });
    assert.ok(refused instanceof HostConnectError, "--ipv4 reached a server that listens on IPv6 only");
    assert.match(refused.message, /Cannot reach \[::1\]:\d+/);
  } finally {
    await v6.close();
    await example.close();
  }
});
