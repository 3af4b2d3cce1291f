/**
 * The `--debug` log file: `<config dir>/logs/debug.log`, mode 0600 in a 0700 directory.
 *
 * @module
 */

import { join } from "node:path";
import type { LogSink } from "./logger.ts";

/**
 * Opens (appending) the debug log file. Permissions are checked first so that a missing flag is
 * reported, not thrown.
 *
 * @example Usage
 * ```ts ignore
 * import { openDebugLog } from "./debug_file.ts";
 * const opened = openDebugLog("/home/me/.config/mcp-bridge");
 * if ("sink" in opened) log.setFile(opened.sink);
 * ```
 *
 * @param configDir The config directory.
 * @returns The sink and the file path, or why the file cannot be written.
 */
export function openDebugLog(configDir: string): { sink: LogSink; path: string; close: () => void } | {
  problem: string;
} {
  const dir = join(configDir, "logs");
  const path = join(dir, "debug.log");
  const granted = Deno.permissions.querySync({ name: "write", path: configDir }).state === "granted";
  if (!granted) {
    return { problem: `Cannot write the debug log to ${path}: run again with --allow-write=${configDir}` };
  }
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
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
    };
  } catch (error) {
    return { problem: `Cannot write the debug log to ${path}: ${(error as Error).message}` };
  }
}
