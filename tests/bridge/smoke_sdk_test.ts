import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { connectHost } from "../_fixtures/bridge_host.ts";

for (const mode of ["stateful", "stateless", "json"] as const) {
  Deno.test(`bridge relays tools, resources and prompts from an SDK server (${mode})`, async () => {
    const server = await serveExample({ mode });
    const host = await connectHost(server.url);
    try {
      assert.equal(host.client.getServerVersion()?.name, "mcp-bridge-example");
      const tools = await host.client.listTools();
      assert.deepEqual(tools.tools.map((t) => t.name).sort(), ["add", "countdown", "echo"]);
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "héllo" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "héllo" }]);
      const progress: number[] = [];
      const lift = await host.client.callTool({ name: "countdown", arguments: { n: 5, delayMs: 20 } }, {
        onprogress: (p) => void progress.push(p.progress),
      });
      assert.deepEqual(lift.content, [{ type: "text", text: "Lift-off!" }]);
      // A JSON-response server cannot send notifications before its single JSON answer.
      assert.deepEqual(progress, mode === "json" ? [] : [1, 2, 3, 4, 5]);
      const readme = await host.client.readResource({ uri: "demo://readme" });
      assert.match(String((readme.contents[0] as { text: string }).text), /mcp-bridge/);
      const prompt = await host.client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
      assert.match(JSON.stringify(prompt.messages), /Ada/);
    } finally {
      await host.close();
      await server.close();
    }
  });
}
