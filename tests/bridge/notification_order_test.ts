import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { finishRaw, INITIALIZED_LINE, initializeLine, netFor, spawnRaw } from "../_fixtures/bridge_host.ts";

Deno.test("bridge delivers 1000 progress notifications in order, then the result, byte for byte on stdout", async () => {
  const server = await serveExample({ mode: "stateful" });
  const raw = spawnRaw([server.url.href], { net: [netFor(server.url)] });
  try {
    await raw.write(initializeLine(1));
    assert.equal(JSON.parse(await raw.readLine()).id, 1);
    await raw.write(INITIALIZED_LINE);
    const call = { name: "countdown", arguments: { n: 1000 }, _meta: { progressToken: "p" } };
    await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: call }) + "\n");
    const progress: number[] = [];
    for (;;) {
      const message = JSON.parse(await raw.readLine());
      if (message.method === "notifications/progress") {
        progress.push(message.params.progress);
        continue;
      }
      assert.equal(message.id, 2);
      assert.deepEqual(message.result.content, [{ type: "text", text: "Lift-off!" }]);
      break;
    }
    assert.deepEqual(progress, Array.from({ length: 1000 }, (_, i) => i + 1));
  } finally {
    await finishRaw(raw);
    await server.close();
  }
});
