/**
 * The library entry points, imported by their export paths as an embedder would (the package's own
 * name resolves through deno.json's `exports`): the credential store saves and loads, the transport
 * completes `initialize` and `tools/list` with a real MCP SDK server, and the embedded bridge relays
 * requests, filters tools and runs on a pair of streams.
 */
import assert from "node:assert/strict";
import { createBridge, LineWriter, Logger as BridgeLogger, serveStdio } from "@mcp-bridge/mcp-bridge/bridge";
import {
  createRemoteTransport,
  type Envelope,
  Logger,
  parseMessage,
  type RemoteTransport,
  TransportError,
} from "@mcp-bridge/mcp-bridge/transport";
import {
  type CredentialStore,
  FileStore,
  MemoryStore,
  type ServerRecord,
  storeKey,
} from "@mcp-bridge/mcp-bridge/store";
import { serveExample } from "../src/demo/example_server.ts";
import { serveLegacySse } from "./_fixtures/legacy_sse_server.ts";
import { withTempDir } from "./auth/store/_helpers.ts";

const ROOT = new URL("../", import.meta.url);
const quiet = () => new Logger({ level: "silent" });

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "embedder", version: "1" } },
});
const INITIALIZED = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
const TOOLS_LIST = '{"jsonrpc":"2.0","id":2,"method":"tools/list"}';

Deno.test("deno.json exports the CLI and the three library entry points", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.deepEqual(config.exports, {
    // The CLI the JSR package runs: the bundle of src/main.ts (scripts/bundle.ts, tests/release/bundle_test.ts).
    ".": "./bundle/main.js",
    "./bridge": "./src/bridge/mod.ts",
    "./transport": "./src/transport/mod.ts",
    "./store": "./src/auth/store/mod.ts",
  });
  // The same modules as the relative paths: the package name resolves through these exports.
  const byName = await import("@mcp-bridge/mcp-bridge/store");
  const byPath = await import("../src/auth/store/mod.ts");
  assert.equal(byName.FileStore, byPath.FileStore);
  // One Logger class for every entry point, so one logger serves the store, the transport and the bridge.
  assert.equal(BridgeLogger, Logger);
});

/** A record with tokens, as a sign-in leaves it. */
function signedIn(serverUrl: string, accessToken: string): ServerRecord {
  return {
    version: 1,
    server_url: serverUrl,
    issuer: "https://as.example.com",
    client: { client_id: "client-1", source: "dcr" },
    tokens: { access_token: accessToken, token_type: "Bearer", refresh_token: "rt-1", obtained_at: 1 },
  };
}

/** What every store does: a write under a lock, read back, listed, then deleted. */
async function roundTrip(store: CredentialStore): Promise<void> {
  const serverUrl = "https://mcp.example.com/mcp";
  const key = await storeKey({ serverUrl });
  assert.match(key, /^[0-9a-f]{32}$/);
  assert.equal(await store.read(key), undefined);
  const seen = await store.withLock(key, "signin", 5_000, async () => {
    await store.write(key, signedIn(serverUrl, "at-1"));
    return await store.read(key);
  });
  assert.deepEqual(seen, signedIn(serverUrl, "at-1"));
  await store.write(key, signedIn(serverUrl, "at-2"));
  assert.deepEqual((await store.list()).map(({ key, record }) => ({ key, record })), [{
    key,
    record: signedIn(serverUrl, "at-2"),
  }]);
  await store.delete(key);
  assert.equal(await store.read(key), undefined);
  assert.deepEqual(await store.list(), []);
}

Deno.test("store: MemoryStore saves, loads, lists and deletes, and hands out copies", async () => {
  const store = new MemoryStore();
  await roundTrip(store);
  await store.write("k", signedIn("https://a.example/mcp", "at-1"));
  const copy = (await store.read("k"))!;
  copy.tokens!.access_token = "changed";
  assert.equal((await store.read("k"))?.tokens?.access_token, "at-1");
});

Deno.test("store: FileStore saves to disk, and another store on the same directory loads it", async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    const log = new Logger({ level: "warn", sink: { write: (line) => lines.push(line) } });
    await roundTrip(new FileStore({ dir, log }));

    const key = await storeKey({ serverUrl: "https://mcp.example.com/mcp" });
    await new FileStore({ dir, log }).write(key, signedIn("https://mcp.example.com/mcp", "at-3"));
    const other = new FileStore({ dir, log });
    assert.equal((await other.read(key))?.tokens?.access_token, "at-3");
    const file = other.pathOf(key);
    assert.equal(JSON.parse(await Deno.readTextFile(file)).tokens.access_token, "at-3");
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.deepEqual(lines, []);
  });
});

/** A transport to `url` whose server messages are collected. */
function collecting(
  url: URL,
  options: Partial<Parameters<typeof createRemoteTransport>[0]> = {},
): { transport: RemoteTransport; received: { text: string; envelope: Envelope }[] } {
  const received: { text: string; envelope: Envelope }[] = [];
  const transport = createRemoteTransport({
    url,
    log: quiet(),
    ...options,
    sink: (text, envelope) => {
      received.push({ text, envelope });
      return Promise.resolve();
    },
  });
  return { transport, received };
}

const send = (transport: RemoteTransport, text: string) => transport.send(text, parseMessage(text));

Deno.test("transport: initialize and tools/list with an MCP SDK server over Streamable HTTP", async () => {
  const headers: (string | null)[] = [];
  const server = await serveExample({
    mode: "stateful",
    intercept: (request) => void headers.push(request.headers.get("x-embedder")),
  });
  const { transport, received } = collecting(server.url, { headers: [["X-Embedder", "yes"]] });
  try {
    await send(transport, INITIALIZE);
    await send(transport, INITIALIZED);
    await send(transport, TOOLS_LIST);
    assert.equal(transport.kind, "streamable-http");
    const responses = received.map(({ text }) => JSON.parse(text)).filter((m) => "id" in m);
    assert.deepEqual(responses.map((r) => r.id), [1, 2]);
    assert.equal(responses[0].result.serverInfo.name, "mcp-bridge-example");
    assert.deepEqual(responses[1].result.tools.map((t: { name: string }) => t.name).sort(), [
      "add",
      "countdown",
      "echo",
    ]);
    assert.equal(server.sessions.size, 1);
    assert.ok(headers.length >= 3 && headers.every((h) => h === "yes"), JSON.stringify(headers));
  } finally {
    await transport.close();
    await server.close();
  }
});

Deno.test("transport: initialize and tools/list with an MCP SDK server over HTTP+SSE", async () => {
  const server = await serveLegacySse();
  const { transport, received } = collecting(server.url, { mode: "sse-only" });
  try {
    await send(transport, INITIALIZE);
    await send(transport, INITIALIZED);
    await send(transport, TOOLS_LIST);
    assert.equal(transport.kind, "http+sse");
    const responses = received.map(({ text }) => JSON.parse(text)).filter((m) => "id" in m);
    assert.deepEqual(responses.map((r) => r.id), [1, 2]);
    assert.equal(responses[1].result.tools.some((t: { name: string }) => t.name === "echo"), true);
  } finally {
    await transport.close();
    await server.close();
  }
});

Deno.test("transport: a refusal is a TransportError with the status", async () => {
  const server = await serveExample({
    intercept: () => new Response("Forbidden", { status: 403 }),
  });
  const { transport, received } = collecting(server.url, { mode: "http-only", protocol: "legacy" });
  try {
    await assert.rejects(send(transport, INITIALIZE), (error) => {
      assert.ok(error instanceof TransportError, String(error));
      assert.equal(error.status, 403);
      return true;
    });
    assert.deepEqual(received, []);
  } finally {
    await transport.close();
    await server.close();
  }
});

Deno.test("bridge: embedded in process, it relays requests and hides filtered tools", async () => {
  const server = await serveExample({ mode: "stateful" });
  const lines: string[] = [];
  const bridge = createBridge({
    url: server.url,
    log: quiet(),
    ignoreTools: ["count*"],
    out: {
      write: (text) => {
        lines.push(text);
        return Promise.resolve();
      },
    },
  });
  try {
    await bridge.fromHost({ text: INITIALIZE });
    await bridge.drain();
    await bridge.fromHost({ text: INITIALIZED });
    await bridge.fromHost({ text: TOOLS_LIST });
    await bridge.fromHost({
      text:
        '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hé"}}}',
    });
    await bridge.fromHost({
      text:
        '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"countdown","arguments":{"n":1}}}',
    });
    await bridge.drain();
    assert.equal(bridge.pendingCount, 0);
    const byId = new Map(lines.map((line) => JSON.parse(line)).map((m) => [m.id, m]));
    assert.deepEqual([...byId.keys()].sort(), [1, 2, 3, 4]);
    assert.equal(byId.get(1).result.serverInfo.name, "mcp-bridge-example");
    assert.deepEqual(byId.get(2).result.tools.map((t: { name: string }) => t.name).sort(), ["add", "echo"]);
    assert.deepEqual(byId.get(3).result.content, [{ type: "text", text: "hé" }]);
    assert.match(byId.get(4).error.message, /Tool "countdown" is not available/);
  } finally {
    await bridge.close();
    await server.close();
  }
});

Deno.test("bridge: serveStdio runs it on a pair of streams until the input ends", async () => {
  const server = await serveExample({ mode: "json" });
  const written: string[] = [];
  const out = new LineWriter(
    new WritableStream({ write: (chunk) => void written.push(new TextDecoder().decode(chunk)) }),
  );
  const log = quiet();
  const bridge = createBridge({ url: server.url, out, log });
  // The input ends only once both answers are out, as a host that waits for them would.
  let input!: ReadableStreamDefaultController<Uint8Array>;
  const stdin = new ReadableStream<Uint8Array>({ start: (controller) => void (input = controller) });
  const encoder = new TextEncoder();
  const answered = (async () => {
    for (const text of [INITIALIZE, INITIALIZED, TOOLS_LIST]) input.enqueue(encoder.encode(`${text}\n`));
    while (written.join("").split("\n").filter(Boolean).length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    input.close();
  })();
  try {
    assert.equal(await serveStdio({ bridge, stdin, out, log, shutdownBudgetMs: 5_000 }), 0);
    await answered;
    const answers = written.join("").trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(answers.map((a) => a.id), [1, 2]);
    assert.deepEqual(answers[1].result.tools.map((t: { name: string }) => t.name).sort(), [
      "add",
      "countdown",
      "echo",
    ]);
    // The bridge ended the session when the input ended.
    assert.equal(server.sessions.size, 0);
  } finally {
    await server.close();
  }
});
