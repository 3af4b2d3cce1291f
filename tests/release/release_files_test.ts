/**
 * The release files, checked as text (no network, nothing compiled): the two workflows run the same test
 * command as `.ci/run` with the same Deno, the compile task builds the five targets with the permissions
 * `--version` names, and the release publishes to JSR with an OIDC token (provenance).
 */
import assert from "node:assert/strict";
import { compiledPermissions } from "../../src/version.ts";
import { v8FlagsArgument } from "../../src/config/runtime_flags.ts";
import { archiveName, binaryName, checksumLine, compileArgs, TARGETS } from "../../scripts/compile.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));

const FIVE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** The commands `.ci/run` gives Deno (`$DENO <command>`), without `--version` and redirections. */
async function ciRunCommands(): Promise<{ version: string; commands: string[] }> {
  const script = await read(".ci/run");
  const version = /^DENO="npx -y deno@([0-9.]+)"$/m.exec(script)?.[1];
  assert.ok(version, ".ci/run names its Deno version");
  // `.ci/with_keyring` only wraps a command in a D-Bus session with a keyring (Linux CI).
  const commands = [...script.matchAll(/^(?:\.ci\/with_keyring )?\$DENO ([^|\n]+?)(?:\s+2>&1.*)?$/gm)]
    .map((m) => m[1]!.trim())
    .filter((c) => c !== "--version");
  return { version, commands };
}

/** A job's lines: from `  <name>:` under `jobs:` to the next job. */
function job(workflow: string, name: string): string {
  const jobs = workflow.slice(workflow.indexOf("\njobs:\n"));
  const start = jobs.indexOf(`\n  ${name}:\n`);
  assert.notEqual(start, -1, `job ${name}`);
  const rest = jobs.slice(start + 1);
  const next = rest.slice(1).search(/\n {2}[a-z][a-z0-9_-]*:\n/);
  return next === -1 ? rest : rest.slice(0, next + 2);
}

/** What a YAML parser would refuse or misread, checked as text: tabs, odd indentation, a missing key. */
function assertPlainYaml(text: string, file: string): void {
  assert.ok(!text.includes("\t"), `${file}: no tabs`);
  assert.ok(!text.includes("\r"), `${file}: LF line endings`);
  for (const [i, line] of text.split("\n").entries()) {
    const indent = /^ */.exec(line)![0].length;
    assert.equal(indent % 2, 0, `${file}:${i + 1}: even indentation`);
    assert.doesNotMatch(line, /\s+$/, `${file}:${i + 1}: no trailing spaces`);
  }
  for (const key of ["name", "on", "permissions", "jobs"]) {
    assert.match(text, new RegExp(`^${key}:`, "m"), `${file}: top-level ${key}`);
  }
  for (const uses of text.matchAll(/uses: (\S+)/g)) {
    assert.match(uses[1]!, /^[\w.-]+\/[\w.-]+@v\d+$/, `${file}: ${uses[1]} is pinned to a major version`);
  }
}

for (const file of ["ci.yml", "release.yml"]) {
  Deno.test(`${file}: plain YAML, runs .ci/run's commands with its Deno on Linux, macOS and Windows`, async () => {
    const workflow = await read(`.github/workflows/${file}`);
    assertPlainYaml(workflow, file);
    const { version, commands: all } = await ciRunCommands();
    // The package checks (the bundle, doc lint of every export, the publish dry run) are ci.yml's static job.
    const packageChecks = all.filter((c) => /^(task bundle|doc --lint|publish --dry-run)/.test(c));
    assert.deepEqual(packageChecks, [
      "task bundle",
      "doc --lint $exports",
      "publish --dry-run --allow-dirty",
    ]);
    const commands = all.filter((c) => !packageChecks.includes(c));
    assert.deepEqual(commands, ["install --frozen", "task test"]);
    const test = job(workflow, "test");
    assert.match(test, /os: \[ubuntu-latest, macos-latest, windows-latest\]/);
    assert.match(test, /uses: denoland\/setup-deno@v2\n\s+with:\n\s+deno-version: ([0-9.]+)\n/);
    assert.equal(/deno-version: ([0-9.]+)/.exec(test)?.[1], version);
    const runs = [...test.matchAll(/^\s+- run: (.+)$/gm)].map((m) => m[1]);
    const denoRuns = runs.filter((r) => r!.startsWith("deno ") && r !== "deno --version");
    assert.deepEqual(denoRuns, commands.map((c) => `deno ${c}`), "the same commands, in the same order");
    // Every setup-deno in the file uses the same version.
    for (const m of workflow.matchAll(/deno-version: (\S+)/g)) assert.equal(m[1], version);
  });
}

Deno.test("ci.yml: fmt --check, lint, check, doc --lint of every export and a publish dry run", async () => {
  const ci = await read(".github/workflows/ci.yml");
  for (const command of ["deno fmt --check", "deno lint", "deno task check", "deno publish --dry-run"]) {
    assert.match(ci, new RegExp(`- run: ${command}\\n`), command);
  }
  const config = JSON.parse(await read("deno.json"));
  const exports = Object.values(config.exports as Record<string, string>).map((path) =>
    path.replace("./", "")
  );
  const linted = /^\s+- run: deno doc --lint (.+)$/m.exec(ci)?.[1]?.split(/\s+/);
  assert.ok(linted, "ci.yml runs deno doc --lint");
  assert.deepEqual(
    [...linted].sort(),
    [...exports].sort(),
    "deno doc --lint covers every export, and only those",
  );
  // The `.` export is the bundle, which exists only once built: before its doc lint and the dry run.
  assert.ok(ci.indexOf("- run: deno task bundle\n") !== -1, "ci.yml builds the bundle");
  assert.ok(ci.indexOf("- run: deno task bundle\n") < ci.indexOf("- run: deno doc --lint"));
});

Deno.test("deno task compile builds the five targets with the permissions --version names", async () => {
  const config = JSON.parse(await read("deno.json"));
  assert.match(config.tasks.compile, /^deno run --frozen .* scripts\/compile\.ts$/);
  assert.doesNotMatch(config.tasks.compile, /(-A|--allow-all)\b/);
  assert.deepEqual(TARGETS.map((t) => t.triple), FIVE_TARGETS);
  const script = await read("scripts/compile.ts");
  for (const triple of FIVE_TARGETS) assert.ok(script.includes(`"${triple}"`), triple);
  for (const target of TARGETS) {
    const args = compileArgs(target);
    assert.equal(args[0], "compile");
    assert.equal(args.at(-1), config.exports["."].replace("./", ""));
    assert.equal(args[args.indexOf("--target") + 1], target.triple);
    assert.equal(args[args.indexOf("--output") + 1], `dist/${target.triple}/${binaryName(target)}`);
    for (const flag of compiledPermissions(target.os)) {
      assert.ok(args.includes(flag), `${target.triple}: ${flag}`);
    }
    assert.ok(args.includes("--frozen"));
    assert.ok(args.includes(v8FlagsArgument()), `${target.triple}: the recommended V8 flags`);
  }
  assert.deepEqual(TARGETS.map(archiveName), [
    "mcp-bridge-x86_64-unknown-linux-gnu.tar.gz",
    "mcp-bridge-aarch64-unknown-linux-gnu.tar.gz",
    "mcp-bridge-x86_64-apple-darwin.tar.gz",
    "mcp-bridge-aarch64-apple-darwin.tar.gz",
    "mcp-bridge-x86_64-pc-windows-msvc.zip",
  ]);
  assert.deepEqual(TARGETS.map(binaryName).filter((n) => n.endsWith(".exe")), ["mcp-bridge.exe"]);
  const gitignore = await read(".gitignore");
  assert.match(gitignore, /^dist\/$/m);
});

Deno.test("checksumLine writes what sha256sum -c reads", async () => {
  assert.equal(
    await checksumLine(new TextEncoder().encode("abc"), "a.tar.gz"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.tar.gz\n",
  );
});

Deno.test("release.yml: on v* tags, tests first, binaries and checksums to the release, JSR with provenance", async () => {
  const release = await read(".github/workflows/release.yml");
  assert.match(release, /^on:\n {2}push:\n {4}tags: \["v\*"\]\n/m);
  assert.match(release, /^permissions:\n {2}contents: read\n/m, "read-only unless a job says otherwise");
  const binaries = job(release, "binaries");
  assert.match(binaries, /needs: test\n/);
  assert.match(binaries, /permissions:\n\s+contents: write/);
  assert.match(binaries, /- run: deno task compile\n/);
  assert.match(binaries, /uses: softprops\/action-gh-release@v2/);
  for (const pattern of ["dist/*.tar.gz", "dist/*.zip", "dist/*.sha256", "dist/SHA256SUMS"]) {
    assert.ok(binaries.includes(`\n            ${pattern}\n`), pattern);
  }
  assert.doesNotMatch(binaries, /id-token/);
  const jsr = job(release, "jsr");
  assert.match(jsr, /needs: test\n/);
  assert.match(jsr, /permissions:\n\s+contents: read\n\s+id-token: write/);
  assert.match(jsr, /- run: deno publish\n/);
  // What JSR runs (`.`) is the bundle of the tagged source, built right before publishing.
  assert.match(jsr, /- run: deno task bundle\n(?:\s+#.*\n)*\s+- run: deno publish\n/);
  assert.doesNotMatch(jsr, /--dry-run|--allow-dirty|--allow-slow-types|--no-provenance/);
  // Both jobs check that the tag is deno.json's version.
  for (const j of [binaries, jsr]) {
    assert.ok(j.includes('test "v$(jq -r .version deno.json)" = "${GITHUB_REF_NAME}"'));
  }
});

Deno.test("README: an Install section that names the archives, the checksums and the permissions baked in", async () => {
  const readme = await read("README.md");
  const start = readme.indexOf("\n## Install\n");
  assert.notEqual(start, -1);
  const install = readme.slice(start, readme.indexOf("\n## ", start + 1));
  for (
    const text of ["jsr:@mcp-bridge/mcp-bridge", "deno install -g", "sha256sum -c", "SHA256SUMS", "--version"]
  ) {
    assert.ok(install.includes(text), text);
  }
  for (
    const archive of ["mcp-bridge-x86_64-unknown-linux-gnu.tar.gz", "mcp-bridge-x86_64-pc-windows-msvc.zip"]
  ) {
    assert.ok(install.includes(archive), archive);
  }
  for (const os of ["linux", "darwin", "windows"]) {
    for (const flag of compiledPermissions(os)) {
      const shown = flag.startsWith("--allow-run=") ? flag.slice("--allow-run=".length) : flag;
      const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(install, new RegExp(`[\`\\s=]${escaped}[\`\\s]`), `${os}: ${flag}`);
    }
  }
});
