import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { connectHost, finishRaw, initializeLine, netFor, spawnRaw } from "../_fixtures/bridge_host.ts";
import { serveModern } from "../_fixtures/modern_server.ts";

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

async function tempDir(): Promise<string> {
  await Deno.mkdir("./.tmp", { recursive: true });
  return await Deno.realPath(await Deno.makeTempDir({ dir: "./.tmp", prefix: "era-memory-" }));
}

/** A 2025-era SDK server that records the JSON-RPC method of every POST. */
async function recordingLegacyServer(port = 0) {
  const methods: string[] = [];
  const server = await serveExample({
    mode: "stateful",
    port,
    intercept: async (request) => {
      if (request.method === "POST") {
        const method = /"method"\s*:\s*"([^"]+)"/.exec(await request.clone().text())?.[1];
        if (method) methods.push(method);
      }
      return undefined;
    },
  });
  return { ...server, methods };
}

async function echoOnce(url: URL, dir: string, permissions: { read?: string[]; write?: string[] }) {
  const host = await connectHost(url, {
    args: ["--config-dir", dir],
    permissions: { net: [`127.0.0.1:${url.port}`], ...permissions },
  });
  try {
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "hi" } })), "hi");
  } finally {
    await host.close();
  }
}

Deno.test("a 2025-era server is remembered in the config dir and not probed with server/discover at the next start", async () => {
  const dir = await tempDir();
  const server = await recordingLegacyServer();
  try {
    await echoOnce(server.url, dir, { read: [dir], write: [dir] });
    assert.equal(server.methods.filter((m) => m === "server/discover").length, 1, "the first start probes");
    server.methods.length = 0;
    await echoOnce(server.url, dir, { read: [dir], write: [dir] });
    assert.equal(
      server.methods[0],
      "initialize",
      `the second start sends initialize first: ${server.methods}`,
    );
    assert.ok(!server.methods.includes("server/discover"), `no probe at the second start: ${server.methods}`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without read and write rights on the config dir the era is not remembered: every start probes", async () => {
  const dir = await tempDir();
  const server = await recordingLegacyServer();
  try {
    await echoOnce(server.url, dir, {});
    await echoOnce(server.url, dir, { read: [dir] });
    assert.equal(server.methods.filter((m) => m === "server/discover").length, 2);
    const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.ok(!entries.includes("eras"), `nothing written without --allow-write: ${entries}`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a remembered 2025-era server replaced by a 2026-07-28 one is probed after all, and the memory corrected", async () => {
  const dir = await tempDir();
  const legacy = await recordingLegacyServer();
  const port = Number(legacy.url.port);
  await echoOnce(legacy.url, dir, { read: [dir], write: [dir] });
  await legacy.close();
  const modern = await serveModern({ port });
  try {
    await echoOnce(modern.url, dir, { read: [dir], write: [dir] });
    const methods = modern.requests.filter((r) => r.method === "POST").map((r) =>
      /"method"\s*:\s*"([^"]+)"/.exec(r.body)?.[1]
    );
    assert.equal(methods[0], "initialize", `the remembered era was tried first: ${methods}`);
    assert.ok(methods.includes("server/discover"), `then the server was probed: ${methods}`);
    const [file] = [...Deno.readDirSync(`${dir}/eras`)];
    assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/eras/${file!.name}`)).era, "modern");
    // The next start probes (a 2026-07-28 server costs no extra round trip) and speaks 2026-07-28 at once.
    modern.requests.length = 0;
    await echoOnce(modern.url, dir, { read: [dir], write: [dir] });
    const next = modern.requests.filter((r) => r.method === "POST").map((r) =>
      /"method"\s*:\s*"([^"]+)"/.exec(r.body)?.[1]
    );
    assert.equal(next[0], "server/discover", `${next}`);
    assert.ok(!next.includes("initialize"), `${next}`);
  } finally {
    await modern.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a remembered 2025-era server starts without the runtime's crypto code: nothing on that path hashes", async () => {
  const dir = await tempDir();
  const server = await recordingLegacyServer();
  const trap = new URL("../_fixtures/crypto_trap.ts", import.meta.url).pathname;
  try {
    await echoOnce(server.url, dir, { read: [dir], write: [dir] });
    const start = async () => {
      server.methods.length = 0;
      const raw = spawnRaw(
        [server.url.href, "--config-dir", dir],
        { net: [netFor(server.url)], read: [dir], write: [dir] },
        {},
        ["--preload", trap],
      );
      try {
        await raw.write(initializeLine(1));
        assert.ok(JSON.parse(await raw.readLine()).result, raw.stderr());
      } finally {
        await finishRaw(raw);
      }
      return raw.stderr();
    };
    const stderr = await start();
    assert.deepEqual(server.methods, ["initialize"], "the era was recalled: no probe");
    assert.doesNotMatch(stderr, /CRYPTO TOUCHED/, stderr);
    // The trap works: with a credential store in the dir, the store key is hashed at start-up.
    await Deno.mkdir(`${dir}/v1/servers`, { recursive: true });
    assert.match(await start(), /CRYPTO TOUCHED: .*storeKey/);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
