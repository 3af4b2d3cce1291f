import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { startConnectProxy } from "./connect_proxy.ts";
import { makeTestPki, type TestPki, writePki } from "./test_pki.ts";
import { startTlsFront } from "./tls_front.ts";

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } },
});

/** POSTs an MCP initialize with `client`; returns the status and body. */
async function initialize(url: URL, client: Deno.HttpClient): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: "POST",
    client,
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: INITIALIZE,
  });
  return { status: response.status, body: await response.text() };
}

/** The message of `error` and of every cause under it. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let at = error; at instanceof Error; at = at.cause) parts.push(at.message);
  return parts.join(" <- ");
}

/** What `Deno.createHttpClient` takes. */
type ClientOptions = Deno.CreateHttpClientOptions | (Deno.CreateHttpClientOptions & Deno.TlsCertifiedKeyPem);

/** Runs `initialize` with a client made from `options`, expecting it to fail; returns the error's text. */
async function failure(url: URL, options: ClientOptions): Promise<string> {
  const client = Deno.createHttpClient(options);
  try {
    const result = await initialize(url, client);
    assert.fail(`expected a failure, got HTTP ${result.status}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return errorText(error);
  } finally {
    client.close();
  }
}

/** Runs `initialize` with a client made from `options`, expecting HTTP 200 with an initialize result. */
async function success(url: URL, options: ClientOptions): Promise<void> {
  const client = Deno.createHttpClient(options);
  try {
    const { status, body } = await initialize(url, client);
    assert.equal(status, 200, body);
    assert.match(body, /"protocolVersion"/);
  } finally {
    client.close();
  }
}

/** Waits (up to 2 s) until `condition()` holds: a server may count a failed handshake after the client gave up. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let shared: Promise<TestPki> | undefined;
const pki = () => shared ??= makeTestPki();

Deno.test("makeTestPki() makes v3 PEM certificates and PKCS#8 keys; writePki() writes them 0600", async () => {
  const { caCert, serverCert, serverKey, clientCert, clientKey, otherCaCert } = await pki();
  for (const cert of [caCert, serverCert, clientCert, otherCaCert]) {
    assert.match(cert, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
  }
  for (const key of [serverKey, clientKey]) {
    assert.match(key, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n?$/);
  }
  assert.notEqual(caCert, otherCaCert);

  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "pki-" });
  try {
    const files = await writePki(await pki(), `${dir}/certs`);
    assert.equal(files.dir, await Deno.realPath(`${dir}/certs`));
    const expected: [string, string][] = [
      [files.caFile, caCert],
      [files.otherCaFile, otherCaCert],
      [files.clientCertFile, clientCert],
      [files.clientKeyFile, clientKey],
    ];
    for (const [path, text] of expected) {
      assert.ok(path.startsWith("/"), path);
      assert.equal(await Deno.readTextFile(path), text);
      if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, path);
    }
    assert.deepEqual(
      [files.caFile, files.clientCertFile, files.clientKeyFile].map((path) => path.split("/").pop()),
      ["ca.pem", "client.pem", "client.key"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a TLS front serves the example server to a client that trusts the test CA only", async () => {
  const { caCert, otherCaCert } = await pki();
  const server = await serveExample();
  const front = await startTlsFront(server.url, await pki());
  try {
    assert.equal(front.url.href, `https://127.0.0.1:${front.port}/mcp`);
    await success(front.url, { caCerts: [caCert] });
    assert.equal(front.accepted(), 1);

    const untrusted = await failure(front.url, {});
    assert.match(untrusted, /certificate/i);
    assert.match(untrusted, /UnknownIssuer/);

    const other = await failure(front.url, { caCerts: [otherCaCert] });
    assert.match(other, /UnknownIssuer/);
    await eventually(() => front.rejected() === 2, "two rejected handshakes");
    assert.equal(front.accepted(), 1);
  } finally {
    await front.close();
    await server.close();
  }
});

Deno.test("a TLS front that requires a client certificate accepts the test client's and refuses none", async () => {
  const { caCert, clientCert, clientKey } = await pki();
  const server = await serveExample();
  const front = await startTlsFront(server.url, await pki(), { requireClientCert: true });
  try {
    await success(front.url, { caCerts: [caCert], cert: clientCert, key: clientKey });
    assert.equal(front.accepted(), 1);
    assert.equal(front.rejected(), 0);

    const missing = await failure(front.url, { caCerts: [caCert] });
    assert.match(missing, /CertificateRequired/);
    await eventually(() => front.rejected() === 1, "one rejected handshake");
    assert.equal(front.accepted(), 1);
  } finally {
    await front.close();
    await server.close();
  }
});

Deno.test("a CONNECT proxy tunnels to a TLS front", async () => {
  const { caCert } = await pki();
  const server = await serveExample();
  const front = await startTlsFront(server.url, await pki());
  const proxy = await startConnectProxy();
  try {
    assert.equal(proxy.url, `http://127.0.0.1:${proxy.port}`);
    await success(front.url, { caCerts: [caCert], proxy: { url: proxy.url } });
    assert.deepEqual(proxy.tunnels(), [`127.0.0.1:${front.port}`]);
    assert.equal(proxy.refused(), 0);
    assert.equal(front.accepted(), 1);
  } finally {
    await proxy.close();
    await front.close();
    await server.close();
  }
});

Deno.test("a CONNECT proxy with basic auth refuses a client without credentials (407)", async () => {
  const { caCert } = await pki();
  const basicAuth = { username: "user", password: "p@ss:word" };
  const server = await serveExample();
  const front = await startTlsFront(server.url, await pki());
  const proxy = await startConnectProxy({ basicAuth });
  try {
    const none = await failure(front.url, { caCerts: [caCert], proxy: { url: proxy.url } });
    assert.match(none, /proxy authentication required/i);
    assert.equal(proxy.refused(), 1);

    const wrong = await failure(front.url, {
      caCerts: [caCert],
      proxy: { url: proxy.url, basicAuth: { ...basicAuth, password: "nope" } },
    });
    assert.match(wrong, /proxy authentication required/i);
    assert.equal(proxy.refused(), 2);
    assert.deepEqual(proxy.tunnels(), []);

    await success(front.url, { caCerts: [caCert], proxy: { url: proxy.url, basicAuth } });
    assert.deepEqual(proxy.tunnels(), [`127.0.0.1:${front.port}`]);
    assert.equal(front.accepted(), 1);
  } finally {
    await proxy.close();
    await front.close();
    await server.close();
  }
});

Deno.test("a CONNECT proxy answers 501 to other methods", async () => {
  const proxy = await startConnectProxy();
  try {
    const response = await fetch(`${proxy.url}/anything`);
    assert.equal(response.status, 501);
    await response.body?.cancel();
    assert.deepEqual(proxy.tunnels(), []);
  } finally {
    await proxy.close();
  }
});

Deno.test("a TLS front and a CONNECT proxy close with a tunnel still open", async () => {
  const { caCert } = await pki();
  const server = await serveExample();
  const front = await startTlsFront(server.url, await pki());
  const proxy = await startConnectProxy();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    const encoder = new TextEncoder();
    await conn.write(
      encoder.encode(`CONNECT 127.0.0.1:${front.port} HTTP/1.1\r\nHost: 127.0.0.1:${front.port}\r\n\r\n`),
    );
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    assert.equal(
      new TextDecoder().decode(buffer.subarray(0, n ?? 0)),
      "HTTP/1.1 200 Connection Established\r\n\r\n",
    );
    const tls = await Deno.startTls(conn, { hostname: "127.0.0.1", caCerts: [caCert] });
    try {
      await tls.handshake();
      await eventually(() => front.accepted() === 1, "one accepted handshake");
      await front.close();
      await proxy.close();
      assert.equal(await tls.read(buffer).catch(() => null), null);
    } finally {
      tls.close();
    }
  } finally {
    await proxy.close();
    await front.close();
    await server.close();
  }
});
