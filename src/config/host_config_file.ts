/**
 * `config --write`: merges one server's entry into a host's configuration file. The file is backed up
 * first, every other entry and setting is kept, and the new text replaces the old atomically (a temporary
 * file in the same directory, then a rename). Where each host keeps its file is {@linkcode hostConfigPath}.
 *
 * @module
 */

import { dirnamePath, joinPath } from "../fs/path.ts";
import type { HostApp, LaunchCommand } from "./host_entries.ts";

/**
 * The configuration file of a host application on this operating system, `undefined` for Claude Code
 * (it is configured with `claude mcp add`).
 *
 * @example Usage
 * ```ts
 * import { hostConfigPath } from "./host_config_file.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (name: string) => (name === "HOME" ? "/home/me" : undefined);
 * assert.equal(hostConfigPath("cursor", "linux", env, "/work"), "/home/me/.cursor/mcp.json");
 * assert.equal(hostConfigPath("vscode", "linux", env, "/work"), "/work/.vscode/mcp.json");
 * assert.equal(hostConfigPath("claude-code", "linux", env, "/work"), undefined);
 * ```
 *
 * @param app The host application.
 * @param os The operating system.
 * @param env Reads an environment variable (`HOME`, `APPDATA`, `XDG_CONFIG_HOME`).
 * @param cwd The working directory (VS Code's file belongs to the workspace).
 * @returns The absolute path.
 * @throws {TypeError} When the variable that locates it cannot be read: the message names the flag.
 */
export function hostConfigPath(
  app: HostApp,
  os: typeof Deno.build.os,
  env: (name: string) => string | undefined,
  cwd: string,
): string | undefined {
  const need = (name: string): string => {
    const value = env(name);
    if (value === undefined || value === "") {
      throw new TypeError(`Cannot find the ${app} configuration: run config with --allow-env=${name}`);
    }
    return value;
  };
  switch (app) {
    case "claude-code":
      return undefined;
    case "vscode":
      return joinPath(cwd, ".vscode", "mcp.json");
    case "cursor":
      return joinPath(os === "windows" ? need("USERPROFILE") : need("HOME"), ".cursor", "mcp.json");
    case "windsurf":
      return joinPath(
        os === "windows" ? need("USERPROFILE") : need("HOME"),
        ".codeium",
        "windsurf",
        "mcp_config.json",
      );
    case "claude-desktop":
      if (os === "darwin") {
        return joinPath(
          need("HOME"),
          "Library",
          "Application Support",
          "Claude",
          "claude_desktop_config.json",
        );
      }
      if (os === "windows") return joinPath(need("APPDATA"), "Claude", "claude_desktop_config.json");
      return joinPath(
        env("XDG_CONFIG_HOME") || joinPath(need("HOME"), ".config"),
        "Claude",
        "claude_desktop_config.json",
      );
  }
}

/**
 * A host configuration's text with one server's entry added or replaced, everything else kept.
 *
 * @example Usage
 * ```ts
 * import { mergeEntry } from "./host_config_file.ts";
 * import assert from "node:assert/strict";
 *
 * const before = JSON.stringify({ theme: "dark", mcpServers: { other: { command: "x" } } });
 * const after = JSON.parse(mergeEntry("cursor", before, { name: "docs", command: "deno", args: ["run"] }));
 * assert.deepEqual(after, {
 *   theme: "dark",
 *   mcpServers: { other: { command: "x" }, docs: { command: "deno", args: ["run"] } },
 * });
 * ```
 *
 * @param app The host application (not Claude Code).
 * @param existing The file's text, `undefined` when there is none yet.
 * @param launch The entry.
 * @returns The new text.
 * @throws {TypeError} When the existing file is not a JSON object.
 */
export function mergeEntry(app: HostApp, existing: string | undefined, launch: LaunchCommand): string {
  let config: Record<string, unknown> = {};
  if (existing !== undefined && existing.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (error) {
      throw new TypeError(
        `Cannot merge into the ${app} configuration: it is not JSON (${(error as Error).message})`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new TypeError(`Cannot merge into the ${app} configuration: it is not a JSON object`);
    }
    config = parsed as Record<string, unknown>;
  }
  const key = app === "vscode" ? "servers" : "mcpServers";
  const servers = config[key];
  if (servers !== undefined && (typeof servers !== "object" || servers === null || Array.isArray(servers))) {
    throw new TypeError(`Cannot merge into the ${app} configuration: its "${key}" is not an object`);
  }
  const process = { command: launch.command, args: [...launch.args] };
  const entry = app === "vscode" ? { type: "stdio", ...process } : process;
  config[key] = { ...(servers as Record<string, unknown> | undefined), [launch.name]: entry };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Writes the merged configuration: a backup of the old file first (`<file>.bak-<time>`), then the new
 * text through a temporary file and a rename, so that the host never reads half a file.
 *
 * @example Usage
 * ```ts ignore
 * import { writeHostConfig } from "./host_config_file.ts";
 * const { backup } = await writeHostConfig("/home/me/.cursor/mcp.json", "cursor", launch);
 * ```
 *
 * @param path The configuration file.
 * @param app The host application.
 * @param launch The entry.
 * @returns Where the old file was copied (`undefined` when there was none).
 */
export async function writeHostConfig(
  path: string,
  app: HostApp,
  launch: LaunchCommand,
): Promise<{ backup: string | undefined }> {
  let existing: string | undefined;
  try {
    const info = await Deno.lstat(path);
    if (info.isSymlink) throw new TypeError(`Cannot write ${path}: it is a symbolic link`);
    existing = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const text = mergeEntry(app, existing, launch);
  await Deno.mkdir(dirnamePath(path), { recursive: true });
  let backup: string | undefined;
  if (existing !== undefined) {
    backup = `${path}.bak-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    await Deno.writeTextFile(backup, existing, { createNew: true, mode: 0o600 });
  }
  const temporary = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(temporary, text, { createNew: true, mode: 0o600 });
  await Deno.rename(temporary, path);
  return { backup };
}
