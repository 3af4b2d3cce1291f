/**
 * Reads the `--header-file` files (the permission queried first, the flag named when it is
 * missing), for the bridge and for `doctor`.
 *
 * @module
 */

import { UsageError } from "./args.ts";
import { type HeaderTemplate, parseHeaderFile } from "./headers.ts";

/**
 * Reads and parses every header file, in order.
 *
 * @example Usage
 * ```ts
 * import { readHeaderFiles } from "./header_files.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readHeaderFiles([]), []);
 * ```
 *
 * @param paths The `--header-file` paths.
 * @returns The header templates of all files.
 * @throws {UsageError} When a file cannot be read (naming `--allow-read=<path>` when that is why) or parsed.
 */
export function readHeaderFiles(paths: readonly string[]): HeaderTemplate[] {
  const out: HeaderTemplate[] = [];
  for (const path of paths) {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
      throw new UsageError(`Cannot read header file ${path}: run again with --allow-read=${path}`);
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      throw new UsageError(`Cannot read header file ${path}: ${(error as Error).message}`);
    }
    out.push(...parseHeaderFile(text, path));
  }
  return out;
}
