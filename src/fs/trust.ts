/**
 * Whether a file or directory under the config dir may be trusted, decided from its metadata only
 * (pure): not a symbolic link, the expected kind, owned by the user, not writable by group or others.
 *
 * @module
 */

/** The metadata the decision needs (a subset of `Deno.FileInfo`). */
export interface TrustInfo {
  /** Whether it is a regular file. */
  isFile: boolean;
  /** Whether it is a directory. */
  isDirectory: boolean;
  /** Whether it is a symbolic link (from `lstat`). */
  isSymlink: boolean;
  /** The owner, `null` where the platform has none (Windows). */
  uid: number | null;
  /** The mode bits, `null` on Windows. */
  mode: number | null;
}

/**
 * Why a path must not be used, or `undefined` when it may.
 *
 * @example Usage
 * ```ts
 * import { trustProblem } from "./trust.ts";
 * import assert from "node:assert/strict";
 *
 * const file = { isFile: true, isDirectory: false, isSymlink: false, uid: 1000, mode: 0o100600 };
 * assert.equal(trustProblem(file, "file", 1000), undefined);
 * assert.equal(trustProblem({ ...file, uid: 65534 }, "file", 1000), "it is owned by uid 65534, not by this user (uid 1000)");
 * assert.equal(trustProblem({ ...file, mode: 0o100664 }, "file", 1000), "other users can write it (mode 0664)");
 * assert.equal(trustProblem({ ...file, isFile: false, isSymlink: true }, "file", 1000), "it is a symbolic link, which is not followed");
 * ```
 *
 * @param info `lstat` (or `FsFile.stat`) of the path.
 * @param kind What it must be.
 * @param expectedUid The user's uid; `undefined` skips the owner check; `NaN` trusts no owner.
 * @returns The reason, as the detail of a sentence (`Ignoring <path>: <reason>`), or `undefined`.
 */
export function trustProblem(
  info: TrustInfo,
  kind: "file" | "directory",
  expectedUid: number | undefined,
): string | undefined {
  if (info.isSymlink) return "it is a symbolic link, which is not followed";
  if (kind === "file" && !info.isFile) return "it is not a regular file";
  if (kind === "directory" && !info.isDirectory) return "it is not a directory";
  if (expectedUid !== undefined && info.uid !== null && info.uid !== expectedUid) {
    return Number.isNaN(expectedUid)
      ? `this user cannot write the config dir, so whoever owns it (uid ${info.uid}) is not trusted`
      : `it is owned by uid ${info.uid}, not by this user (uid ${expectedUid})`;
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    return `other users can write it (mode ${octal(info.mode)})`;
  }
  return undefined;
}

/**
 * The warning for a config dir that other users can reach, or `undefined` when its mode is 0700 or
 * tighter. The bridge never changes the mode of a directory it did not create: it says what to run.
 *
 * @example Usage
 * ```ts
 * import { configDirModeWarning } from "./trust.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(configDirModeWarning("/home/me/cfg", 0o40700), undefined);
 * assert.equal(
 *   configDirModeWarning("/home/me/cfg", 0o40755),
 *   "Config dir /home/me/cfg is open to other users (mode 0755): run chmod 700 '/home/me/cfg'",
 * );
 * ```
 *
 * @param path The config dir.
 * @param mode Its mode bits (`null` on Windows: no warning).
 * @returns The warning, or `undefined`.
 */
export function configDirModeWarning(path: string, mode: number | null): string | undefined {
  if (mode === null || (mode & 0o077) === 0) return undefined;
  return `Config dir ${path} is open to other users (mode ${octal(mode)}): run chmod 700 ${shellQuote(path)}`;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

function shellQuote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}
