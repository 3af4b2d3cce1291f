import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { finishRaw, netFor, spawnRaw } from "../_fixtures/bridge_host.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": { roots: {} },
  "io.modelcontextprotocol/clientInfo": { name: "modern-host", version: "9.9" },
};

Deno.test("a 2026-07-28 host in front of a 2025-era server: the bridge initializes with the host's _meta and translates back", async () => {
  const seen: { method: string; rpc?: string; body?: Record<string, unknown> }[] = [];
  const server = await serveExample({
    mode: "stateful",
    intercept: async (request) => {
      const text = request.method === "POST" ? await request.clone().text() : "";
      const body = text ? JSON.parse(text) : undefined;
      seen.push({ method: request.method, rpc: body?.method, body });
      return undefined;
    },
  });
  const raw = spawnRaw([server.url.href], { net: [netFor(server.url)] });
  try {
    await raw.write(
      JSON.stringify({ jsonrpc: "2.0", id: "d1", method: "server/discover", params: { _meta: META } }) + "\n",
    );
    const discover = JSON.parse(await raw.readLine());
    assert.equal(discover.id, "d1");
    assert.equal(discover.result.resultType, "complete");
    assert.deepEqual(discover.result.supportedVersions, ["2026-07-28"]);
    assert.equal(discover.result.serverInfo.name, "mcp-bridge-example");
    assert.ok(discover.result.capabilities.tools);

    const call = { name: "echo", arguments: { text: "modern → legacy" }, _meta: META };
    await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: call }) + "\n");
    const echo = JSON.parse(await raw.readLine());
    assert.equal(echo.id, 2);
    assert.equal(echo.result.resultType, "complete");
    assert.deepEqual(echo.result.content, [{ type: "text", text: "modern → legacy" }]);
  } finally {
    await finishRaw(raw);
    await server.close();
  }
  // The bridge sent initialize itself, with the host's capabilities and identity, exactly once.
  const initializes = seen.filter((s) => s.rpc === "initialize");
  assert.equal(initializes.length, 1, JSON.stringify(seen.map((s) => s.rpc ?? s.method)));
  const params = initializes[0]!.body!.params as Record<string, unknown>;
  assert.deepEqual(params.capabilities, { roots: {} });
  assert.deepEqual(params.clientInfo, { name: "modern-host", version: "9.9" });
  assert.ok(seen.some((s) => s.rpc === "notifications/initialized"));
  assert.ok(seen.some((s) => s.method === "DELETE"), "the session was deleted at exit");
  assert.equal(server.sessions.size, 0);
});
