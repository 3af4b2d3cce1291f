import assert from "node:assert/strict";

Deno.test("deno task demo shows what a host sees through the bridge and exits by itself", async () => {
  const demo = new URL("../../src/demo/demo.ts", import.meta.url).pathname;
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      "--frozen",
      "--allow-net=127.0.0.1",
      "--allow-run=deno",
      "--allow-env",
      "--allow-read=.",
      "--allow-write=./.tmp",
      demo,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  // The demo's own authorization server (oidc-provider under Deno) stays quiet: only the bridge speaks.
  assert.doesNotMatch(stderr, /Unsupported runtime|oidc-provider WARNING/);
  for (const line of stderr.split("\n").filter(Boolean)) assert.match(line, /^\[mcp-bridge\] /);
  assert.match(stdout, /Server info: +mcp-bridge-example 1\.0\.0/);
  assert.match(stdout, /Tools \(3\):/);
  assert.match(stdout, /tools\/call add \{a: 2, b: 40\} -> \[\{"type":"text","text":"42"\}\]/);
  assert.match(stdout, /progress 3\/3/);
  assert.match(stdout, /Lift-off!/);
  assert.match(stdout, /Say hello to Ada/);
  assert.match(stdout, /== OAuth sign-in \(demo: /);
  assert.match(stdout, /Signed in\. Tools \(3\): echo, add, countdown/);
  assert.match(stdout, /tools\/call echo -> \[\{"type":"text","text":"hello with a token"\}\]/);
  assert.match(stdout, /saw 1 registration, 1 sign-in and 1 code exchange/);
});
