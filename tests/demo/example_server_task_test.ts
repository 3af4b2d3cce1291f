import assert from "node:assert/strict";
import { freePort } from "../_fixtures/oauth_cli.ts";

Deno.test("deno task example-server: the bundled server on its own prints its URL and answers initialize", async () => {
  const port = freePort();
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", "--frozen", "--allow-net=127.0.0.1", "src/demo/example_server.ts", String(port)],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // The raw stream's own reader, cancelled in `finally`: a piped-through stream would keep stdout locked, and
  // `child.stdout.cancel()` on a locked stream fails, leaving the pipe open (a leak the sanitizer reports).
  const reader = child.stdout.getReader();
  try {
    const first = await reader.read();
    assert.match(
      new TextDecoder().decode(first.value),
      new RegExp(`listens at http://127\\.0\\.0\\.1:${port}/mcp`),
    );
    const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    child.kill("SIGINT");
    await child.status;
    await reader.cancel();
  }
});
