import assert from "node:assert/strict";
import { VERSION } from "../../src/version.ts";
import { bridgeArgs } from "../_fixtures/bridge_host.ts";

Deno.test("VERSION matches deno.json, and --version prints it", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(VERSION, config.version);
  const output = await new Deno.Command("deno", { args: bridgeArgs(["--version"], {}), stdout: "piped" })
    .output();
  assert.equal(new TextDecoder().decode(output.stdout), `${VERSION}\n`);
});

Deno.test("--help prints usage with examples and exits 0; a bad flag exits 2 on stderr only", async () => {
  const help = await new Deno.Command("deno", { args: bridgeArgs(["--help"], {}), stdout: "piped" }).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /Usage:[\s\S]*Examples:/);
  const bad = await new Deno.Command("deno", {
    args: bridgeArgs(["https://example.com/mcp", "--ping-interval", "often"], {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout.length, 0);
  assert.match(new TextDecoder().decode(bad.stderr), /Cannot use --ping-interval/);
});
