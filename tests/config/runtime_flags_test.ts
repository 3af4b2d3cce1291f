import assert from "node:assert/strict";
import {
  denoRunFlags,
  isRemoteModule,
  LAZY_IMPORTS_FLAG,
  RECOMMENDED_V8_FLAGS,
  v8FlagsArgument,
} from "../../src/config/runtime_flags.ts";

Deno.test("isRemoteModule(): jsr:, https: and http: modules are fetched; paths and file: URLs are read from disk", () => {
  for (
    const module of [
      "jsr:@mcp-bridge/mcp-bridge",
      "JSR:@mcp-bridge/mcp-bridge@0.1.0",
      "https://x.example/main.js",
    ]
  ) {
    assert.equal(isRemoteModule(module), true, module);
  }
  assert.equal(isRemoteModule("http://127.0.0.1:8000/main.js"), true);
  for (
    const module of [
      "src/main.ts",
      "/home/me/mcp-bridge/src/main.ts",
      "file:///home/me/main.js",
      "C:\\bridge\\main.ts",
    ]
  ) {
    assert.equal(isRemoteModule(module), false, module);
  }
});

Deno.test("denoRunFlags(): the lazy-imports flag only for a remote module, the V8 flags always, never a prompt", () => {
  const remote = denoRunFlags("jsr:@mcp-bridge/mcp-bridge");
  assert.deepEqual(remote, ["--quiet", "--no-prompt", LAZY_IMPORTS_FLAG, v8FlagsArgument()]);
  assert.equal(LAZY_IMPORTS_FLAG, "--unstable-lazy-dynamic-imports");
  // A checkout: a module loaded late would need --allow-read for its file, which no entry grants.
  assert.deepEqual(denoRunFlags("/home/me/mcp-bridge/src/main.ts"), [
    "--quiet",
    "--no-prompt",
    v8FlagsArgument(),
  ]);
  assert.equal(v8FlagsArgument(), `--v8-flags=${RECOMMENDED_V8_FLAGS.join(",")}`);
  // A Deno that does not know the flag would refuse to start: it is left out there.
  const jsr = "jsr:@mcp-bridge/mcp-bridge";
  assert.deepEqual(denoRunFlags(jsr, "2.2.9"), ["--quiet", "--no-prompt", v8FlagsArgument()]);
  assert.deepEqual(denoRunFlags(jsr, "1.46.3"), ["--quiet", "--no-prompt", v8FlagsArgument()]);
  assert.ok(denoRunFlags(jsr, "2.3.0").includes(LAZY_IMPORTS_FLAG));
  assert.ok(denoRunFlags(jsr, "3.0.0").includes(LAZY_IMPORTS_FLAG));
});
