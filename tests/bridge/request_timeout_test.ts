import assert from "node:assert/strict";
import { connectHost, netFor } from "../_fixtures/bridge_host.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";
import { until } from "../_fixtures/waiting.ts";

Deno.test("--request-timeout: a call past it gets one error and the server is asked to cancel it; faster calls are untouched", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const host = await connectHost(server.url, {
    args: ["--request-timeout", "1s"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    const fast = await host.client.callTool({ name: "slow", arguments: { ms: 300 } });
    assert.deepEqual(fast.content, [{ type: "text", text: "waited 300" }]);
    const started = performance.now();
    await assert.rejects(
      host.client.callTool({ name: "slow", arguments: { ms: 4000 } }),
      /No response to tools\/call \(id \d+\) within 1 s \(--request-timeout\): mcp-bridge asked the server to cancel it, but the server may have run it/,
    );
    const ms = performance.now() - started;
    assert.ok(ms >= 900 && ms < 3000, `answered after ${Math.round(ms)} ms`);
    // The server got notifications/cancelled for it, and its handler saw the cancellation.
    await until(
      "the cancellation at the server",
      () => server.seen.cancelled.length === 1,
      3000,
      host.stderr,
    );
    const answers = host.received.filter((m) => "id" in m && !("method" in m));
    const ids = answers.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, "one response per request");
    // The session goes on.
    const echo = await host.client.callTool({ name: "echo", arguments: { text: "still here" } });
    assert.deepEqual(echo.content, [{ type: "text", text: "still here" }]);
  } finally {
    await host.close();
    await server.close();
  }
});
