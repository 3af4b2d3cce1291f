/**
 * The package version (kept equal to `deno.json` by a test), and what `--version` prints: a compiled
 * binary (`deno compile`, built by `deno task compile`) also says so, and names the permissions baked
 * into it, which cannot be changed when it runs.
 *
 * @module
 */

/** The mcp-bridge version. */
export const VERSION = "0.1.0";

/** Environment variables a compiled binary may read: the config dir's, `$BROWSER`, and `MCP_BRIDGE_*`. */
const COMPILED_ENV = "HOME,XDG_CONFIG_HOME,APPDATA,BROWSER,MCP_BRIDGE_*";

/** The browser opener a compiled binary may run, per operating system. */
const COMPILED_OPENER: Record<string, string> = { linux: "xdg-open", darwin: "open", windows: "rundll32" };

/**
 * The Deno permission flags `deno task compile` bakes into the binary for an operating system: the
 * network (any host: the server and its authorization server are only known when it runs), files (the
 * config dir and `--header-file` paths are only known when it runs), the environment variables that
 * locate the config dir, `$BROWSER` and `MCP_BRIDGE_*` (for `${VAR}` in headers), the platform's browser
 * opener, and never a prompt. No `--allow-sys`, `--allow-ffi`, other programs or other variables.
 *
 * @example Usage
 * ```ts
 * import { compiledPermissions } from "./version.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(compiledPermissions("linux").includes("--allow-run=xdg-open"));
 * ```
 *
 * @param os The target's operating system (`Deno.build.os`).
 * @returns The flags, in the order they are passed to `deno compile`.
 */
export function compiledPermissions(os: string): string[] {
  const flags = [
    "--no-prompt",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    `--allow-env=${COMPILED_ENV}`,
  ];
  const opener = COMPILED_OPENER[os];
  if (opener !== undefined) flags.push(`--allow-run=${opener}`);
  return flags;
}

/**
 * What `--version` prints: the version on its own line, and for a compiled binary a second line that
 * says so and names the permissions baked into it.
 *
 * @example Usage
 * ```ts
 * import { VERSION, versionText } from "./version.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(versionText({ standalone: false, os: "linux", target: "x86_64-unknown-linux-gnu" }), `${VERSION}\n`);
 * ```
 *
 * @param build `Deno.build`: whether this is a compiled binary, its operating system and target.
 * @returns The text, ending in a newline.
 */
export function versionText(build: { standalone: boolean; os: string; target: string }): string {
  if (!build.standalone) return `${VERSION}\n`;
  const flags = compiledPermissions(build.os).join(" ");
  return `${VERSION}\ncompiled binary (${build.target}); permissions baked in: ${flags}\n`;
}
