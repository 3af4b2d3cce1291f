/**
 * Deno permission checks for the credential store: a missing `--allow-read` or `--allow-write`
 * becomes an error that names the exact flag to add, never a `NotCapable` crash.
 *
 * @module
 */

/** The file system permissions the store needs. */
export type FsAccess = "read" | "write";

/**
 * The store was not allowed to touch its directory.
 *
 * @example Usage
 * ```ts
 * import { StorePermissionError } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new StorePermissionError("Cannot read credentials from /x/v1/servers/k.json", ["--allow-read=/x"]);
 * assert.equal(error.message, "Cannot read credentials from /x/v1/servers/k.json: run again with --allow-read=/x");
 * ```
 */
export class StorePermissionError extends Error {
  /** The flags to add, e.g. `--allow-write=/home/me/.config/mcp-bridge`. */
  readonly flags: string[];
  /**
   * Creates the error.
   *
   * @param action What failed, e.g. `Cannot write credentials to /x/v1/servers/k.json`.
   * @param flags The flags to add.
   * @param options The underlying error, if any.
   */
  constructor(action: string, flags: string[], options: { cause?: unknown } = {}) {
    super(`${action}: run again with ${flags.join(" ")}`, options);
    this.name = "StorePermissionError";
    this.flags = flags;
  }
}

/**
 * Throws unless the process may read and/or write a path (never prompts; anything but `granted`
 * counts as missing).
 *
 * @example Usage
 * ```ts ignore
 * import { requireAccess } from "./permissions.ts";
 *
 * requireAccess("Cannot read credentials from /x/v1/servers/k.json", "/x", "/x/v1/servers/k.json", ["read"]);
 * ```
 *
 * @param action What would fail, for the message.
 * @param root The directory to name in the flags (the config dir).
 * @param path The path the operation touches.
 * @param needs The permissions the operation needs.
 * @throws {StorePermissionError} Naming every missing flag.
 */
export function requireAccess(action: string, root: string, path: string, needs: readonly FsAccess[]): void {
  const missing = needs.filter((name) => Deno.permissions.querySync({ name, path }).state !== "granted");
  if (missing.length > 0) {
    throw new StorePermissionError(
      action,
      missing.map((name) => `--allow-${name}=${root}`),
    );
  }
}

/**
 * Turns a `Deno.errors.NotCapable` (a permission the query did not foresee) into a
 * {@linkcode StorePermissionError}; returns anything else unchanged.
 *
 * @example Usage
 * ```ts
 * import { permissionError, StorePermissionError } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * const error = permissionError(
 *   new Deno.errors.NotCapable('Requires write access to "/x/a"'),
 *   "Cannot write credentials to /x/a",
 *   "/x",
 * );
 * assert.ok(error instanceof StorePermissionError);
 * assert.equal(error.message, "Cannot write credentials to /x/a: run again with --allow-write=/x");
 * ```
 *
 * @param error What was thrown.
 * @param action What failed, for the message.
 * @param root The directory to name in the flags.
 * @returns The translated error, or `error` itself.
 */
export function permissionError(error: unknown, action: string, root: string): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  const kind = /requires (read|write) access/i.exec(error.message)?.[1]?.toLowerCase();
  const flags = kind ? [`--allow-${kind}=${root}`] : [`--allow-read=${root}`, `--allow-write=${root}`];
  return new StorePermissionError(action, flags, { cause: error });
}
