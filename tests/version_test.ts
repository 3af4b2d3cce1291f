import assert from "node:assert/strict";
import { compiledPermissions, VERSION, versionText } from "../src/version.ts";
import { resolveConfigDir } from "../src/cli/config_dir.ts";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const OSES = ["linux", "darwin", "windows"] as const;

/** Whether `--allow-env=<list>` (entries may end in `*`) covers a variable. */
function envCovered(flags: readonly string[], name: string): boolean {
  const list = flags.find((f) => f.startsWith("--allow-env="))?.slice("--allow-env=".length).split(",") ?? [];
  return list.some((entry) => entry.endsWith("*") ? name.startsWith(entry.slice(0, -1)) : entry === name);
}

Deno.test("versionText: the bare version outside a compiled binary", () => {
  assert.equal(
    versionText({ standalone: false, os: "linux", target: "x86_64-unknown-linux-gnu" }),
    `${VERSION}\n`,
  );
  assert.equal(versionText(Deno.build), `${VERSION}\n`);
});

Deno.test("versionText: a compiled binary says so, names its target and every permission baked in", () => {
  for (
    const [os, target, opener] of [
      ["linux", "aarch64-unknown-linux-gnu", "xdg-open"],
      ["darwin", "x86_64-apple-darwin", "open"],
      ["windows", "x86_64-pc-windows-msvc", "rundll32"],
    ] as const
  ) {
    const lines = versionText({ standalone: true, os, target }).split("\n");
    assert.equal(lines[0], VERSION, "the first line stays the bare version");
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "");
    assert.equal(
      lines[1],
      `compiled binary (${target}); permissions baked in: ${compiledPermissions(os).join(" ")}`,
    );
    assert.ok(lines[1]!.includes(`--allow-run=${opener}`));
  }
});

Deno.test("compiledPermissions: never prompts, and grants no sys, ffi, import, all-programs or all-variables", () => {
  for (const os of OSES) {
    const flags = compiledPermissions(os);
    assert.equal(flags[0], "--no-prompt");
    assert.ok(flags.includes("--allow-net"));
    for (const flag of flags) {
      assert.doesNotMatch(flag, /^(-A|--allow-all|--allow-sys|--allow-ffi|--allow-import|--allow-hrtime)/);
      assert.notEqual(flag, "--allow-run");
      assert.notEqual(flag, "--allow-env");
    }
    assert.equal(flags.filter((f) => f.startsWith("--allow-run")).length, 1);
  }
});

Deno.test("compiledPermissions: every variable that locates the config dir, $BROWSER and MCP_BRIDGE_* may be read", () => {
  for (const os of OSES) {
    const asked = new Set<string>();
    // Unset variables make resolveConfigDir ask for every one it can fall back to.
    resolveConfigDir(undefined, os, (name) => {
      asked.add(name);
      return undefined;
    });
    assert.ok(asked.size >= 2);
    const flags = compiledPermissions(os);
    for (const name of [...asked, "BROWSER", "MCP_BRIDGE_TOKEN"]) {
      assert.ok(envCovered(flags, name), `${os}: ${name} is not covered`);
    }
    assert.ok(!envCovered(flags, "AWS_SECRET_ACCESS_KEY"));
  }
});

Deno.test("compiledPermissions: Deno accepts this platform's flag set as it is (deno run, nothing compiled)", async () => {
  const output = await new Deno.Command("deno", {
    args: ["run", "--quiet", ...compiledPermissions(Deno.build.os), MAIN, "--version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal(new TextDecoder().decode(output.stdout), `${VERSION}\n`);
});
