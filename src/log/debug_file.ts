/**
 * The `--debug` log file: `<config dir>/logs/debug.log`, mode 0600 in a 0700 directory. Neither
 * `logs/` nor `debug.log` is followed when it is a symbolic link (a local attacker could otherwise
 * make the bridge append to any file the user can write): the file is then not written, and the
 * problem says why.
 *
 * @module
 */

import { joinPath } from "../fs/path.ts";
import type { LogSink } from "./logger.ts";
import {
  ensurePrivateDir,
  expectedUid,
  openPrivateAppend,
  prepareConfigDir,
  UntrustedPathError,
} from "../fs/no_follow.ts";

/**
 * Opens (appending) the debug log file. Permissions are checked first so that a missing flag is
 * reported, not thrown.
 *
 * @example Usage
 * ```ts ignore
 * import { openDebugLog } from "./debug_file.ts";
 * const opened = openDebugLog("/home/me/.config/mcp-bridge");
 * if ("sink" in opened) {
 *   for (const warning of opened.warnings) log.warn(warning);
 *   log.setFile(opened.sink);
 * }
 * ```
 *
 * @param configDir The config directory.
 * @returns The sink, the file path and warnings to show (a config dir open to other users), or why
 * the file cannot be written.
 */
export function openDebugLog(configDir: string): {
  sink: LogSink;
  path: string;
  close: () => void;
  warnings: string[];
} | {
  problem: string;
} {
  const dir = joinPath(configDir, "logs");
  const path = joinPath(dir, "debug.log");
  const granted = Deno.permissions.querySync({ name: "write", path: configDir }).state === "granted";
  if (!granted) {
    return { problem: `Cannot write the debug log to ${path}: run again with --allow-write=${configDir}` };
  }
  try {
    const { warning } = prepareConfigDir(configDir, true);
    const uid = expectedUid(configDir);
    ensurePrivateDir(dir, uid);
    const opened = openPrivateAppend(path, uid);
    if ("problem" in opened) return { problem: `Cannot write the debug log to ${path}: ${opened.problem}` };
    const { file } = opened;
    const encoder = new TextEncoder();
    return {
      path,
      sink: {
        write(line: string): void {
          const bytes = encoder.encode(line);
          let written = 0;
          while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
        },
      },
      close: () => file.close(),
      warnings: warning === undefined ? [] : [warning],
    };
  } catch (error) {
    if (error instanceof UntrustedPathError) {
      return { problem: `Cannot write the debug log to ${path}: ${error.path} is refused, ${error.reason}` };
    }
    return { problem: `Cannot write the debug log to ${path}: ${(error as Error).message}` };
  }
}
