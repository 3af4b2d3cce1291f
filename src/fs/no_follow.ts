/**
 * File access under the config dir that never follows a symbolic link: every path is `lstat`ed
 * first, then opened, and the opened file's `stat` must be the same file (device and inode), so a
 * link swapped in between is noticed. New files are created with `createNew` (`O_EXCL`, which does
 * not follow links) and mode 0600; directories the bridge creates are 0700. Files read must be owned
 * by the user and not writable by others (see trust.ts).
 *
 * The config dir itself may be a symbolic link (a dotfiles checkout): only what is below it is
 * checked. Its mode is never changed: a looser one than 0700 is a warning naming the `chmod` to run.
 *
 * Deno cannot open with `O_NOFOLLOW`; the `lstat`-then-compare sequence closes the race to the
 * extent that matters here (the directories are 0700, so only the user can swap entries in them).
 *
 * @module
 */

import { joinPath } from "./path.ts";
import { configDirModeWarning, trustProblem } from "./trust.ts";

/**
 * A path below the config dir was refused (a symbolic link, someone else's, …).
 *
 * @example Usage
 * ```ts
 * import { UntrustedPathError } from "./no_follow.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new UntrustedPathError("/x/v1", "it is a symbolic link, which is not followed");
 * assert.equal(error.message, "Refusing /x/v1: it is a symbolic link, which is not followed");
 * ```
 */
export class UntrustedPathError extends Error {
  /** The refused path. */
  readonly path: string;
  /** Why, e.g. `it is a symbolic link, which is not followed`. */
  readonly reason: string;
  /**
   * @param path The refused path.
   * @param reason Why.
   */
  constructor(path: string, reason: string) {
    super(`Refusing ${path}: ${reason}`);
    this.name = "UntrustedPathError";
    this.path = path;
    this.reason = reason;
  }
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  if (a.dev === null || a.ino === null || b.dev === null || b.ino === null) return true; // Windows
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * The uid files under the config dir must have: `Deno.uid()` when `--allow-sys=uid` is granted, else
 * the owner of a file the bridge creates in the config dir for a moment (the user's own uid, whoever
 * owns the directory), else the config dir's owner when the bridge may not write there. `NaN` (no
 * owner is trusted) when the bridge may write there but the system refuses: someone else's
 * directory. `undefined` on Windows, or when the config dir does not exist yet.
 *
 * @example Usage
 * ```ts
 * import { expectedUid } from "./no_follow.ts";
 * import assert from "node:assert/strict";
 *
 * const uid = expectedUid(Deno.cwd());
 * assert.ok(uid === undefined || Number.isInteger(uid) || Number.isNaN(uid));
 * ```
 *
 * @param configDir The config dir.
 * @returns The uid, `NaN`, or `undefined` when it cannot be known.
 */
export function expectedUid(configDir: string): number | undefined {
  if (Deno.build.os === "windows") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted") {
      return Deno.uid() ?? undefined;
    }
  } catch {
    // Learn it from a file of our own instead.
  }
  if (probedUid !== undefined) return probedUid;
  let dirOwner: number | undefined;
  try {
    dirOwner = Deno.statSync(configDir).uid ?? undefined;
  } catch {
    return undefined;
  }
  if (Deno.permissions.querySync({ name: "write", path: configDir }).state !== "granted") return dirOwner;
  const probe = joinPath(configDir, `.uid-${crypto.randomUUID()}`);
  try {
    const file = Deno.openSync(probe, { createNew: true, write: true, mode: 0o600 });
    try {
      probedUid = file.statSync().uid ?? dirOwner;
    } finally {
      file.close();
      Deno.removeSync(probe);
    }
    return probedUid;
  } catch (error) {
    return error instanceof Deno.errors.PermissionDenied ? NaN : dirOwner;
  }
}

/** The uid learnt from a file of our own, once per process. */
let probedUid: number | undefined;

const warnedConfigDirs = new Set<string>();

/**
 * Makes the config dir (mode 0700, parents included) when `create` is set and it is missing; an
 * existing one is never changed. Returns a warning, once per process and path, when its mode lets
 * other users in.
 *
 * @example Usage
 * ```ts ignore
 * import { prepareConfigDir } from "./no_follow.ts";
 *
 * const { warning } = prepareConfigDir("/home/me/.config/mcp-bridge", true);
 * if (warning) log.warn(warning);
 * ```
 *
 * @param path The config dir.
 * @param create Whether to create it when missing.
 * @returns Whether it exists now, and the warning to show, if any.
 * @throws {UntrustedPathError} When it exists but is not a directory.
 */
export function prepareConfigDir(path: string, create: boolean): { exists: boolean; warning?: string } {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (!create) return { exists: false };
    Deno.mkdirSync(path, { recursive: true, mode: 0o700 });
    warnedConfigDirs.add(path);
    return { exists: true };
  }
  if (!info.isDirectory) throw new UntrustedPathError(path, "it is not a directory");
  const warning = configDirModeWarning(path, info.mode);
  if (warning === undefined || warnedConfigDirs.has(path)) return { exists: true };
  warnedConfigDirs.add(path);
  return { exists: true, warning };
}

/**
 * Makes (mode 0700) or checks a directory below the config dir: never a symbolic link, a directory,
 * owned by the user; a looser mode is tightened to 0700 (it is the bridge's own directory).
 *
 * @example Usage
 * ```ts ignore
 * import { ensurePrivateDir } from "./no_follow.ts";
 *
 * ensurePrivateDir("/home/me/.config/mcp-bridge/logs", 1000);
 * ```
 *
 * @param path The directory; its parent must exist.
 * @param uid The expected owner (`undefined`: not checked).
 * @returns Whether the mode was tightened.
 * @throws {UntrustedPathError} When it is a symbolic link, not a directory, or someone else's.
 */
export function ensurePrivateDir(path: string, uid: number | undefined): { tightened: boolean } {
  let info = lstatOrUndefined(path);
  if (info === undefined) {
    try {
      Deno.mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    info = Deno.lstatSync(path);
  }
  const problem = trustProblem({ ...info, mode: null }, "directory", uid);
  if (problem !== undefined) throw new UntrustedPathError(path, problem);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    Deno.chmodSync(path, 0o700);
    return { tightened: true };
  }
  return { tightened: false };
}

/**
 * Checks an existing directory below the config dir before reading from it.
 *
 * @example Usage
 * ```ts ignore
 * import { privateDirProblem } from "./no_follow.ts";
 *
 * const problem = privateDirProblem("/home/me/.config/mcp-bridge/v1", 1000);
 * ```
 *
 * @param path The directory.
 * @param uid The expected owner (`undefined`: not checked).
 * @returns `"missing"`, why it must not be used, or `undefined` when it may.
 */
export function privateDirProblem(path: string, uid: number | undefined): string | undefined {
  const info = lstatOrUndefined(path);
  if (info === undefined) return "missing";
  return trustProblem({ ...info, mode: null }, "directory", uid);
}

/**
 * Reads a file below the config dir without following a symbolic link: it must be a regular file,
 * owned by the user, not writable by others, and at most `maxBytes` long.
 *
 * @example Usage
 * ```ts ignore
 * import { readPrivateFile } from "./no_follow.ts";
 *
 * const read = readPrivateFile("/home/me/.config/mcp-bridge/v1/servers/k.json", 1000, 1 << 20);
 * if ("text" in read) JSON.parse(read.text);
 * ```
 *
 * @param path The file.
 * @param uid The expected owner (`undefined`: not checked).
 * @param maxBytes The size limit.
 * @returns The text, `{ missing: true }`, or why it was not read.
 */
export function readPrivateFile(
  path: string,
  uid: number | undefined,
  maxBytes: number,
): { text: string } | { missing: true } | { problem: string } {
  const before = lstatOrUndefined(path);
  if (before === undefined) return { missing: true };
  const problem = trustProblem(before, "file", uid);
  if (problem !== undefined) return { problem };
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { missing: true };
    throw error;
  }
  try {
    const info = file.statSync();
    if (!sameFile(before, info)) return { problem: "it was replaced while being opened" };
    const opened = trustProblem({ ...info, isSymlink: false }, "file", uid);
    if (opened !== undefined) return { problem: opened };
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buffer = new Uint8Array(16_384);
    while (true) {
      const n = file.readSync(buffer);
      if (n === null) break;
      size += n;
      if (size > maxBytes) return { problem: `it is larger than ${maxBytes} bytes` };
      chunks.push(buffer.slice(0, n));
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return { text: new TextDecoder().decode(bytes) };
  } finally {
    file.close();
  }
}

/**
 * Opens a file below the config dir for appending without following a symbolic link: created with
 * mode 0600 when missing (`createNew`), else it must be a regular file of the user's with no other
 * hard link; a looser mode is tightened to 0600.
 *
 * @example Usage
 * ```ts ignore
 * import { openPrivateAppend } from "./no_follow.ts";
 *
 * const opened = openPrivateAppend("/home/me/.config/mcp-bridge/logs/debug.log", 1000);
 * if ("file" in opened) opened.file.writeSync(new TextEncoder().encode("hello\n"));
 * ```
 *
 * @param path The file.
 * @param uid The expected owner (`undefined`: not checked).
 * @returns The open file, or why it was refused.
 */
export function openPrivateAppend(
  path: string,
  uid: number | undefined,
): { file: Deno.FsFile } | { problem: string } {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = lstatOrUndefined(path);
    let file: Deno.FsFile;
    if (before === undefined) {
      try {
        file = Deno.openSync(path, { write: true, append: true, createNew: true, mode: 0o600 });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) continue; // Created meanwhile: check it.
        throw error;
      }
    } else {
      const problem = trustProblem({ ...before, mode: null }, "file", uid);
      if (problem !== undefined) return { problem };
      file = Deno.openSync(path, { write: true, append: true });
    }
    const info = file.statSync();
    const after = lstatOrUndefined(path);
    const problem = after === undefined || !sameFile(before ?? after, info) || !sameFile(after, info)
      ? "it was replaced while being opened"
      : trustProblem({ ...after, mode: null }, "file", uid) ??
        (info.nlink !== null && info.nlink > 1 ? "it has other hard links" : undefined);
    if (problem !== undefined) {
      file.close();
      return { problem };
    }
    if (info.mode !== null && (info.mode & 0o077) !== 0) Deno.chmodSync(path, 0o600);
    return { file };
  }
  return { problem: "it keeps changing" };
}
