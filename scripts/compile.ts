/**
 * `deno task compile`: builds the `mcp-bridge` binaries with `deno compile`, one per target, of the bundle
 * the JSR package runs (`deno task bundle`, built first), with the
 * permissions of `compiledPermissions` (src/version.ts) baked in, then writes into `dist/` one archive per
 * target (`.tar.gz`, `.zip` for Windows) holding the binary, README.md, LICENSE and the bundled npm
 * packages' licences (`THIRD_PARTY_LICENSES.md`), a `<archive>.sha256`
 * file beside each, and `SHA256SUMS` for all of them (the format `sha256sum -c` and `shasum -a 256 -c`
 * read).
 *
 * ```sh
 * deno task compile                              # every target
 * deno task compile x86_64-unknown-linux-gnu     # only the named ones
 * ```
 *
 * `deno compile` downloads the runtime of each target, so this needs the network (the release
 * workflow runs it); `tar` and `zip` must be on `PATH`.
 *
 * @module
 */

import { v8FlagsArgument } from "../src/config/runtime_flags.ts";
import { buildBundle, BUNDLE_DIR } from "./bundle.ts";
import { compiledPermissions } from "../src/version.ts";

/** One platform the release ships a binary for. */
export interface Target {
  /** The Rust target triple `deno compile --target` takes. */
  triple: string;
  /** The operating system, as `Deno.build.os` names it (chooses the baked permissions). */
  os: "linux" | "darwin" | "windows";
}

/** The five release targets. */
export const TARGETS: readonly Target[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux" },
  { triple: "x86_64-apple-darwin", os: "darwin" },
  { triple: "aarch64-apple-darwin", os: "darwin" },
  { triple: "x86_64-pc-windows-msvc", os: "windows" },
];

/** Where the binaries, archives and checksums go. */
export const DIST = "dist";

/**
 * The binary's file name on a target.
 *
 * @param target The target.
 * @returns `mcp-bridge`, or `mcp-bridge.exe` on Windows.
 */
export function binaryName(target: Target): string {
  return target.os === "windows" ? "mcp-bridge.exe" : "mcp-bridge";
}

/**
 * The archive's file name for a target (no version in it, so that the latest release's assets keep
 * one address).
 *
 * @param target The target.
 * @returns `mcp-bridge-<triple>.tar.gz`, or `.zip` on Windows.
 */
export function archiveName(target: Target): string {
  return `mcp-bridge-${target.triple}.${target.os === "windows" ? "zip" : "tar.gz"}`;
}

/**
 * The `deno compile` arguments for a target.
 *
 * @param target The target.
 * @returns The arguments after `deno`.
 */
export function compileArgs(target: Target): string[] {
  return [
    "compile",
    "--frozen",
    "--exclude-unused-npm",
    ...compiledPermissions(target.os),
    // The same V8 flags as every `deno run` entry `config` prints (baked into the binary).
    v8FlagsArgument(),
    "--target",
    target.triple,
    "--output",
    `${DIST}/${target.triple}/${binaryName(target)}`,
    // What JSR runs too: the bundle of src/main.ts (scripts/bundle.ts), built first by this task.
    `${BUNDLE_DIR}/main.js`,
  ];
}

/**
 * One line of a checksum file, as `sha256sum` writes it.
 *
 * @param bytes The file's contents.
 * @param name The file's name.
 * @returns `<hex digest>  <name>` and a newline.
 */
export async function checksumLine(bytes: Uint8Array<ArrayBuffer>, name: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex}  ${name}\n`;
}

function say(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
}

async function run(command: string, args: string[]): Promise<void> {
  say(`$ ${command} ${args.join(" ")}`);
  const { code } = await new Deno.Command(command, { args, stdout: "inherit", stderr: "inherit" }).output();
  if (code !== 0) throw new Error(`${command} exited with code ${code}`);
}

async function build(targets: readonly Target[]): Promise<void> {
  await Deno.remove(DIST, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await buildBundle();
  let sums = "";
  for (const target of targets) {
    await run("deno", compileArgs(target));
    const archive = archiveName(target);
    const dir = `${DIST}/${target.triple}`;
    if (target.os === "windows") {
      await run("zip", [
        "-q",
        "-j",
        `${DIST}/${archive}`,
        `${dir}/${binaryName(target)}`,
        "README.md",
        "LICENSE",
        `${BUNDLE_DIR}/THIRD_PARTY_LICENSES.md`,
      ]);
    } else {
      await run("tar", [
        "-czf",
        `${DIST}/${archive}`,
        "-C",
        dir,
        binaryName(target),
        "-C",
        "../..",
        "README.md",
        "LICENSE",
        // The licences of the npm packages compiled in with the bundle.
        "-C",
        BUNDLE_DIR,
        "THIRD_PARTY_LICENSES.md",
      ]);
    }
    const line = await checksumLine(await Deno.readFile(`${DIST}/${archive}`), archive);
    await Deno.writeTextFile(`${DIST}/${archive}.sha256`, line);
    sums += line;
  }
  await Deno.writeTextFile(`${DIST}/SHA256SUMS`, sums);
  say(`Wrote ${targets.length} archive(s) and their SHA-256 checksums to ${DIST}/`);
}

if (import.meta.main) {
  const unknown = Deno.args.filter((name) => !TARGETS.some((t) => t.triple === name));
  if (unknown.length > 0) {
    say(`Unknown target(s): ${unknown.join(", ")}; known: ${TARGETS.map((t) => t.triple).join(", ")}`);
    Deno.exit(2);
  }
  await build(Deno.args.length === 0 ? TARGETS : TARGETS.filter((t) => Deno.args.includes(t.triple)));
}
