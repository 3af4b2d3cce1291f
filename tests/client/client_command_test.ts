import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { bridgeArgs, netFor } from "../_fixtures/bridge_host.ts";

async function runCli(args: string[], net: string) {
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(args, { net: [net] }),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("mcp-bridge client prints server info, tools, resources and prompts, exit 0", async () => {
  const server = await serveExample({ mode: "stateful" });
  try {
    const run = await runCli(["client", server.url.href, "--ignore-tool", "add"], netFor(server.url));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Server: +mcp-bridge-example 1\.0\.0/);
    assert.match(run.stdout, /Protocol: +2025-11-25/);
    assert.match(
      run.stdout,
      /Tools \(2\)\nname +description\n-+ +-+\necho +Returns the text it is given\ncountdown/,
    );
    assert.doesNotMatch(run.stdout, /^add /m);
    assert.match(run.stdout, /Resources \(1\)[\s\S]*demo:\/\/readme +readme +text\/markdown/);
    assert.match(run.stdout, /Prompts \(1\)[\s\S]*greet +name +Greets someone by name/);
    assert.equal(server.sessions.size, 0, "the client deleted its session");
  } finally {
    await server.close();
  }
});

Deno.test("mcp-bridge client exits 1 with a readable error when the server is unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const run = await runCli(["client", `http://127.0.0.1:${port}/mcp`], `127.0.0.1:${port}`);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, new RegExp(`Cannot reach 127\\.0\\.0\\.1:${port}`));
});
