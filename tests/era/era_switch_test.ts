import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { connectHost } from "../_fixtures/bridge_host.ts";
import { serveModern } from "../_fixtures/modern_server.ts";

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

Deno.test("the era is probed again when a 2025-era server is replaced by a 2026-07-28 one on the same URL", async () => {
  const legacy = await serveExample({ mode: "stateful" });
  const port = Number(legacy.url.port);
  const host = await connectHost(legacy.url, { permissions: { net: [`127.0.0.1:${port}`] } });
  let modern: Awaited<ReturnType<typeof serveModern>> | undefined;
  try {
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "2025" } })), "2025");
    await legacy.close();
    // Let the bridge see its idle connections close: a tools/call sent on one the server is closing has an
    // unknown outcome and is not sent again (at most once), which is not what this test is about.
    await new Promise((resolve) => setTimeout(resolve, 300));
    modern = await serveModern({ port });
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "2026" } })), "2026");
    assert.match(host.stderr(), /now speaks MCP 2026-07-28: switched/);
    const calls = modern.requests.filter((r) => r.body.includes('"tools/call"'));
    // The first call still spoke 2025 (that answer revealed the change); the retry speaks 2026-07-28.
    assert.deepEqual(calls.map((r) => r.headers["mcp-protocol-version"]), ["2025-11-25", "2026-07-28"]);
  } finally {
    await host.close();
    await modern?.close();
  }
});

Deno.test("the era is probed again when a 2026-07-28 server is replaced by a 2025-era one on the same URL", async () => {
  const modern = await serveModern({});
  const port = Number(modern.url.port);
  const host = await connectHost(modern.url, { permissions: { net: [`127.0.0.1:${port}`] } });
  let legacy: Awaited<ReturnType<typeof serveExample>> | undefined;
  try {
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "2026" } })), "2026");
    await modern.close();
    // Let the bridge see its idle connections close: a tools/call sent on one the server is closing has an
    // unknown outcome and is not sent again (at most once), which is not what this test is about.
    await new Promise((resolve) => setTimeout(resolve, 300));
    legacy = await serveExample({ mode: "stateful", port });
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "2025" } })), "2025");
    assert.match(host.stderr(), /now speaks the 2025 era: switched/);
    assert.equal(legacy.sessions.size, 1, "the bridge initialized a session with the host's own initialize");
  } finally {
    await host.close();
    await legacy?.close();
  }
});
