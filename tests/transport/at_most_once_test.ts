import assert from "node:assert/strict";
import { connectHost, netFor } from "../_fixtures/bridge_host.ts";
import { cutFirst, startFaultProxy } from "../_fixtures/fault_proxy.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";

/**
 * The runtime's HTTP client re-sends a request by itself when a reused connection closes before the
 * answer: for a tool call the server already received, that runs the tool twice. The bridge must not.
 */
Deno.test("a connection reset after the server received a tool call: the tool runs once and the host gets one error", async () => {
  const server = await serveTestServer({ mode: "json" });
  const proxy = startFaultProxy(server.url, { cutAfter: cutFirst('"tools/call"') });
  const executions = () => server.seen.requests.filter((r) => r.rpc === "tools/call").length;
  try {
    const host = await connectHost(proxy.url, { permissions: { net: [netFor(proxy.url)] } });
    try {
      // The handshake leaves a pooled connection; the call goes out on it and the proxy cuts it.
      await host.client.listTools();
      await assert.rejects(
        host.client.callTool({ name: "slow", arguments: { ms: 600 } }, { timeout: 5000 }),
        /broke after the request was sent and before any answer .*the server may have run it/,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(proxy.cuts(), 1);
      assert.equal(executions(), 1, "the server ran the tool call exactly once");
      // The bridge is still healthy.
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "after" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "after" }]);
    } finally {
      await host.close();
    }
  } finally {
    await proxy.close();
    // A server that got the call twice may never finish the second: fail instead of hanging on it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      server.close(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("The server did not stop: a tool call is still running")),
          5000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
});
