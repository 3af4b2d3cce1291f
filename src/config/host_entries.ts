/**
 * The ready-to-paste entry of one bridge for each host application, in that host's own format: the
 * `mcpServers` JSON of Claude Desktop, Cursor and Windsurf, the `servers` JSON of VS Code, and the
 * `claude mcp add` line of Claude Code. Pure.
 *
 * @module
 */

/** The host applications `config` knows. */
export const HOST_APPS = ["claude-desktop", "cursor", "windsurf", "vscode", "claude-code"] as const;

/** One of {@linkcode HOST_APPS}. */
export type HostApp = typeof HOST_APPS[number];

/** How the host starts the bridge. */
export interface LaunchCommand {
  /** The server's name in the host's configuration. */
  name: string;
  /** The program (`deno`, or the compiled binary). */
  command: string;
  /** Its arguments. */
  args: readonly string[];
}

/** Where each host keeps its configuration, for the user (the README says more). */
export const HOST_CONFIG_FILES: Readonly<Record<HostApp, string>> = {
  "claude-desktop": "claude_desktop_config.json",
  cursor: "~/.cursor/mcp.json",
  windsurf: "~/.codeium/windsurf/mcp_config.json",
  vscode: ".vscode/mcp.json",
  "claude-code": "(a command to run)",
};

/**
 * A name for the server in a host's configuration: its host name, dots and other signs as dashes.
 *
 * @example Usage
 * ```ts
 * import { serverName } from "./host_entries.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(serverName(new URL("https://mcp.example.com/mcp")), "mcp-example-com");
 * assert.equal(serverName(new URL("http://127.0.0.1:8080/mcp")), "127-0-0-1-8080");
 * ```
 *
 * @param url The server URL.
 * @returns The name.
 */
export function serverName(url: URL): string {
  return `${url.hostname}${url.port ? `-${url.port}` : ""}`.replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * The entry for one host, as text to paste.
 *
 * @example Usage
 * ```ts
 * import { hostEntry } from "./host_entries.ts";
 * import assert from "node:assert/strict";
 *
 * const launch = { name: "example", command: "deno", args: ["run", "jsr:@mcp-bridge/mcp-bridge", "https://x/mcp"] };
 * assert.deepEqual(JSON.parse(hostEntry("cursor", launch)), {
 *   mcpServers: { example: { command: "deno", args: ["run", "jsr:@mcp-bridge/mcp-bridge", "https://x/mcp"] } },
 * });
 * assert.equal(
 *   hostEntry("claude-code", launch),
 *   "claude mcp add example -- deno run jsr:@mcp-bridge/mcp-bridge https://x/mcp",
 * );
 * ```
 *
 * @param app The host application.
 * @param launch How it starts the bridge.
 * @returns JSON for the configuration file, or the command line to run.
 */
export function hostEntry(app: HostApp, launch: LaunchCommand): string {
  const process = { command: launch.command, args: [...launch.args] };
  switch (app) {
    case "claude-desktop":
    case "cursor":
    case "windsurf":
      return JSON.stringify({ mcpServers: { [launch.name]: process } }, null, 2);
    case "vscode":
      return JSON.stringify({ servers: { [launch.name]: { type: "stdio", ...process } } }, null, 2);
    case "claude-code":
      return ["claude", "mcp", "add", launch.name, "--", launch.command, ...launch.args].map(shellWord).join(
        " ",
      );
  }
}

/**
 * The `deno install -g` line that bakes the same flags into a command of its own, so that the host's
 * entry shrinks to that command with no arguments (Deno passes the words after `--` to the bridge).
 *
 * @example Usage
 * ```ts
 * import { installLine } from "./host_entries.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   installLine("example", ["--allow-net=x:443"], "jsr:@mcp-bridge/mcp-bridge", ["https://x/mcp"]),
 *   "deno install -g --force --name mcp-bridge-example --allow-net=x:443 jsr:@mcp-bridge/mcp-bridge -- https://x/mcp",
 * );
 * ```
 *
 * @param name The server's name (the command becomes `mcp-bridge-<name>`).
 * @param denoFlags The `deno run` flags (permissions, `--quiet`, `--no-prompt`).
 * @param module The bridge module.
 * @param bridgeArgs The bridge's own arguments (the URL first).
 * @returns The command line.
 */
export function installLine(
  name: string,
  denoFlags: readonly string[],
  module: string,
  bridgeArgs: readonly string[],
): string {
  return [
    "deno",
    "install",
    "-g",
    "--force",
    "--name",
    `mcp-bridge-${name}`,
    ...denoFlags,
    module,
    "--",
    ...bridgeArgs,
  ]
    .map(shellWord).join(" ");
}

/**
 * A word for a POSIX shell: as it is when it holds only safe characters, else in single quotes.
 *
 * @example Usage
 * ```ts
 * import { shellWord } from "./host_entries.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shellWord("--allow-net=a:443,[::1]"), "'--allow-net=a:443,[::1]'");
 * assert.equal(shellWord("Authorization: Bearer ${T}"), "'Authorization: Bearer ${T}'");
 * assert.equal(shellWord("it's"), "'it'\\''s'");
 * assert.equal(shellWord("https://x/mcp"), "https://x/mcp");
 * ```
 *
 * @param word The word.
 * @returns The quoted word.
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
