/**
 * Where mcp-bridge keeps its files: `--config-dir`, else `MCP_BRIDGE_CONFIG_DIR`, else the
 * platform's per-user config directory.
 *
 * @module
 */

import { joinPath } from "../fs/path.ts";
import type { EnvGetter } from "./env.ts";

/** The result of resolving the config dir. */
export type ConfigDir = { path: string } | { missing: string };

/**
 * Resolves the config directory. Pure: the OS and the environment are passed in.
 *
 * @example Usage
 * ```ts
 * import { resolveConfigDir } from "./config_dir.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (n: string) => ({ HOME: "/home/me" } as Record<string, string>)[n];
 * assert.deepEqual(resolveConfigDir(undefined, "linux", env), { path: "/home/me/.config/mcp-bridge" });
 * ```
 *
 * @param flag The `--config-dir` value, if given.
 * @param os The operating system (`Deno.build.os`).
 * @param getEnv Reads one variable (without permission: `undefined`).
 * @returns The path, or which variable (or flag) would be needed to find one.
 */
export function resolveConfigDir(flag: string | undefined, os: string, getEnv: EnvGetter): ConfigDir {
  if (flag) return { path: flag };
  const fromEnv = getEnv("MCP_BRIDGE_CONFIG_DIR");
  if (fromEnv) return { path: fromEnv };
  if (os === "windows") {
    const appData = getEnv("APPDATA");
    return appData ? { path: joinPath(appData, "mcp-bridge") } : { missing: "APPDATA" };
  }
  if (os === "darwin") {
    const home = getEnv("HOME");
    return home
      ? { path: joinPath(home, "Library", "Application Support", "mcp-bridge") }
      : { missing: "HOME" };
  }
  const xdg = getEnv("XDG_CONFIG_HOME");
  if (xdg) return { path: joinPath(xdg, "mcp-bridge") };
  const home = getEnv("HOME");
  return home ? { path: joinPath(home, ".config", "mcp-bridge") } : { missing: "HOME" };
}
