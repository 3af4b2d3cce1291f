/**
 * Where the file store keeps its records below the config dir, as a small module of its own: the start-up
 * check for a stored record ({@linkcode mayHaveStoredRecord} in `../stored_credentials.ts`) needs the
 * directory without loading the store.
 *
 * ```
 * <dir>/v1/servers/<key>.json
 * ```
 *
 * @module
 */

import { joinPath } from "../../fs/path.ts";

/** The layout version: the name of the store's subdirectory. */
export const LAYOUT_VERSION = "v1";

/**
 * The directory of the server records.
 *
 * @example Usage
 * ```ts
 * import { serversDirOf } from "./file_layout.ts";
 * import assert from "node:assert/strict";
 *
 * if (Deno.build.os !== "windows") assert.equal(serversDirOf("/x"), "/x/v1/servers");
 * ```
 *
 * @param dir The config dir.
 * @returns `<dir>/v1/servers`.
 */
export function serversDirOf(dir: string): string {
  return joinPath(dir, LAYOUT_VERSION, "servers");
}
