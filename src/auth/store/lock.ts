/**
 * A cross-process lock file, for `CredentialStore.withLock` of the file backend.
 *
 * A lock is a file created with `createNew` (`O_EXCL`) holding `{pid, created_at, hostname?, nonce}`.
 * While it runs the caller's function, the holder touches the file's mtime every `heartbeatMs`
 * (the heartbeat). A waiter polls with a backoff from 50 ms to 500 ms and takes the lock over when
 * it is stale:
 *
 * 1. it is older than `staleMs` (default 10 minutes), whatever its owner;
 * 2. its owner is known to be gone: only when the lock names the same host as ours (both
 *    hostnames known, which needs `--allow-sys=hostname`), either its pid is our own pid (and this
 *    process does not hold it: a leftover of an earlier process that had our pid), or on Linux
 *    `/proc/<pid>/stat` is missing or shows a zombie;
 * 3. its heartbeat stopped: the mtime is older than `abandonedMs` (default 10 s) and the waiter has
 *    itself watched it unchanged for a while on the monotonic clock (so that after a laptop sleep the
 *    live holder gets to beat again before anyone judges it).
 *
 * Why the heartbeat: Deno 2 gates every `/proc` path behind `--allow-all` (even with
 * `--allow-read=/proc`), and `Deno.kill` needs `--allow-run`, so a least-privilege bridge cannot
 * ask whether a pid is alive. The `/proc` probe runs only when every permission is granted (so it
 * can never prompt); otherwise a killed holder is detected by its silent heartbeat within about
 * `abandonedMs`, which also covers pid reuse and holders in other pid namespaces (containers).
 *
 * Takeover is serialised by a second `O_EXCL` file, `<lock>.takeover`: under it the waiter re-reads
 * the lock, renames it aside, checks that what it moved is exactly the stale content it judged (if
 * not, it links it back), and creates its own lock before dropping the guard, so that two waiters
 * can never both take one stale lock.
 *
 * @module
 */

import type { Logger } from "../../log/logger.ts";
import { KeyedMutex } from "./mutex.ts";
import { permissionError, requireAccess } from "./permissions.ts";
import { readPrivateFile, UntrustedPathError } from "../../fs/no_follow.ts";

/** What a lock file holds. */
export interface LockRecord {
  /** The owner's pid. */
  pid: number;
  /** Milliseconds since the epoch when it was taken. */
  created_at: number;
  /** The owner's hostname, when it was allowed to read it. */
  hostname?: string;
  /** A random value that tells two acquisitions by one pid apart. */
  nonce?: string;
}

/** The default staleness limit: a lock older than this is taken over whatever its owner. */
export const DEFAULT_STALE_MS = 10 * 60_000;
/** The default interval at which a holder touches its lock file. */
export const DEFAULT_HEARTBEAT_MS = 1_000;
/** The default silence after which a lock whose heartbeat stopped is taken over. */
export const DEFAULT_ABANDONED_MS = 10_000;

/** Options for {@linkcode withFileLock}. */
export interface FileLockOptions {
  /** The lock file. */
  path: string;
  /** How long to wait for the lock at most. */
  waitMs: number;
  /** The directory named in permission errors (the config dir). */
  root: string;
  /** Where takeovers and release problems are reported. */
  log?: Logger;
  /** The pid written into the lock (default: `Deno.pid`). */
  pid?: number;
  /** The clock, in milliseconds since the epoch (default: `Date.now`). */
  now?: () => number;
  /** Age after which any lock is stale (default {@linkcode DEFAULT_STALE_MS}). */
  staleMs?: number;
  /** Heartbeat interval (default {@linkcode DEFAULT_HEARTBEAT_MS}). */
  heartbeatMs?: number;
  /** Heartbeat silence after which a lock is abandoned (default {@linkcode DEFAULT_ABANDONED_MS}). */
  abandonedMs?: number;
}

/**
 * The lock could not be taken in time.
 *
 * @example Usage
 * ```ts
 * import { LockTimeoutError } from "./lock.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new LockTimeoutError("/x/v1/locks/k.signin.lock", 500, 12, "held by pid 12");
 * assert.equal(error.message, "Cannot take lock /x/v1/locks/k.signin.lock within 500 ms: held by pid 12");
 * assert.equal(error.holderPid, 12);
 * ```
 */
export class LockTimeoutError extends Error {
  /** The lock (a file path, or a name for in-memory locks). */
  readonly lock: string;
  /** The pid of the holder, when known. */
  readonly holderPid: number | undefined;
  /**
   * Creates the error.
   *
   * @param lock The lock.
   * @param waitMs How long the caller waited.
   * @param holderPid The holder's pid, when known.
   * @param holder How to describe the holder, e.g. `held by pid 12 since 2025-01-01T00:00:00.000Z`.
   */
  constructor(lock: string, waitMs: number, holderPid: number | undefined, holder: string) {
    super(`Cannot take lock ${lock} within ${waitMs} ms: ${holder}`);
    this.name = "LockTimeoutError";
    this.lock = lock;
    this.holderPid = holderPid;
  }
}

/** Whether a process exists, as far as this process may know. */
export type PidState = "alive" | "dead" | "unknown";

const ALL_PERMISSIONS = ["read", "write", "net", "env", "sys", "run", "ffi"] as const;

function hasAllPermissions(): boolean {
  return ALL_PERMISSIONS.every((name) => Deno.permissions.querySync({ name }).state === "granted");
}

/**
 * Asks whether a pid is alive. Only on Linux, and only with every permission granted: Deno 2
 * requires `--allow-all` for any `/proc` path, and this function must never prompt.
 *
 * @example Usage
 * ```ts
 * import { probePid } from "./lock.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(["alive", "unknown"].includes(probePid(Deno.pid)));
 * ```
 *
 * @param pid The pid.
 * @returns `dead` when `/proc/<pid>` is missing or a zombie, `alive` when present, else `unknown`.
 */
export function probePid(pid: number): PidState {
  if (Deno.build.os !== "linux" || !Number.isSafeInteger(pid) || pid <= 0) return "unknown";
  if (!hasAllPermissions()) return "unknown";
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state follows the command name, which is in parentheses and may contain anything.
    const state = stat.slice(stat.lastIndexOf(")") + 1).trim()[0];
    return state === "Z" || state === "X" ? "dead" : "alive";
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? "dead" : "unknown";
  }
}

let cachedHostname: string | null | undefined;

function hostname(): string | undefined {
  if (cachedHostname === undefined) {
    cachedHostname = null;
    try {
      if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
        cachedHostname = Deno.hostname();
      }
    } catch {
      // No hostname: pid-based staleness is not used.
    }
  }
  return cachedHostname ?? undefined;
}

/**
 * Parses the content of a lock file.
 *
 * @example Usage
 * ```ts
 * import { parseLockRecord } from "./lock.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseLockRecord('{"pid":12,"created_at":5}'), { pid: 12, created_at: 5 });
 * assert.equal(parseLockRecord("{"), undefined);
 * ```
 *
 * @param text The file's text.
 * @returns The record, or `undefined` when it is not one (e.g. still being written).
 */
export function parseLockRecord(text: string): LockRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, created_at, hostname, nonce } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || typeof created_at !== "number" || !Number.isFinite(created_at)) {
    return undefined;
  }
  if (hostname !== undefined && typeof hostname !== "string") return undefined;
  if (nonce !== undefined && typeof nonce !== "string") return undefined;
  const record: LockRecord = { pid: pid as number, created_at };
  if (hostname !== undefined) record.hostname = hostname;
  if (nonce !== undefined) record.nonce = nonce;
  return record;
}

interface Settings {
  path: string;
  waitMs: number;
  root: string;
  log: Logger | undefined;
  pid: number;
  now: () => number;
  staleMs: number;
  heartbeatMs: number;
  abandonedMs: number;
}

/** What a waiter saw in a lock file. */
interface Holder {
  text: string;
  record: LockRecord | undefined;
  /** The mtime (last heartbeat) in ms, when the platform reports one. */
  mtime: number | undefined;
}

/** In-process holders, by lock path: waiters in one process queue here, not on the file. */
const local = new KeyedMutex();
const encoder = new TextEncoder();

/**
 * Runs `fn` while holding a lock file, waiting at most `waitMs` for it (see the module
 * documentation for staleness and takeover). The lock is released in `finally`, only if this call
 * still owns it.
 *
 * @example Usage
 * ```ts ignore
 * import { withFileLock } from "./lock.ts";
 *
 * const value = await withFileLock(
 *   { path: "/x/v1/locks/k.refresh.lock", root: "/x", waitMs: 30_000 },
 *   () => Promise.resolve(42),
 * );
 * ```
 *
 * @typeParam T What `fn` returns.
 * @param options The lock file, the wait and the staleness settings.
 * @param fn The work to do under the lock.
 * @returns What `fn` returned.
 * @throws {LockTimeoutError} When the lock is still held after `waitMs`, naming the holder's pid.
 * @throws {StorePermissionError} When `--allow-read` or `--allow-write` does not cover the lock.
 */
export async function withFileLock<T>(options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const s: Settings = {
    path: options.path,
    waitMs: Math.max(0, options.waitMs),
    root: options.root,
    log: options.log,
    pid: options.pid ?? Deno.pid,
    now: options.now ?? Date.now,
    staleMs: options.staleMs ?? DEFAULT_STALE_MS,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    abandonedMs: options.abandonedMs ?? DEFAULT_ABANDONED_MS,
  };
  requireAccess(`Cannot take lock ${s.path}`, s.root, s.path, ["read", "write"]);
  const deadline = performance.now() + s.waitMs;
  const releaseLocal = await local.acquire(
    s.path,
    s.waitMs,
    () => new LockTimeoutError(s.path, s.waitMs, s.pid, `held by this process (pid ${s.pid})`),
  );
  let mine: { record: LockRecord; text: string };
  try {
    mine = await take(s, deadline);
  } catch (error) {
    releaseLocal();
    throw permissionError(error, `Cannot take lock ${s.path}`, s.root);
  }
  let beating: Promise<void> | undefined;
  const heartbeat = setInterval(() => {
    if (beating) return;
    const at = new Date(s.now());
    beating = Deno.utime(s.path, at, at).catch(() => {}).finally(() => beating = undefined);
  }, s.heartbeatMs);
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await beating;
    await release(s, mine);
    releaseLocal();
  }
}

function newRecord(s: Settings): { record: LockRecord; text: string } {
  const record: LockRecord = { pid: s.pid, created_at: s.now() };
  const host = hostname();
  if (host !== undefined) record.hostname = host;
  record.nonce = crypto.randomUUID();
  return { record, text: JSON.stringify(record) };
}

async function take(s: Settings, deadline: number): Promise<{ record: LockRecord; text: string }> {
  let delay = 50;
  let seen: { mtime: number | undefined; since: number } | undefined;
  while (true) {
    const mine = newRecord(s);
    if (await createExclusive(s.path, mine.text)) return mine;
    const holder = await inspect(s.path);
    if (holder !== undefined) {
      if (seen === undefined || seen.mtime !== holder.mtime) {
        seen = { mtime: holder.mtime, since: performance.now() };
      }
      const reason = staleReason(s, holder, performance.now() - seen.since);
      if (reason !== undefined) {
        const taken = await takeOver(s, holder, reason);
        if (taken) return taken;
      }
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      const r = holder?.record;
      const who = r === undefined
        ? "held by another process"
        : `held by pid ${r.pid}${r.hostname ? ` on ${r.hostname}` : ""} since ${
          new Date(r.created_at).toISOString()
        }`;
      throw new LockTimeoutError(s.path, s.waitMs, r?.pid, who);
    }
    if (holder !== undefined) {
      await sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, 500);
    }
  }
}

function staleReason(s: Settings, holder: Holder, watchedMs: number): string | undefined {
  const now = s.now();
  const silence = holder.mtime === undefined ? undefined : now - holder.mtime;
  const watched = watchedMs >= Math.min(s.abandonedMs, 3 * s.heartbeatMs);
  const abandoned = silence !== undefined && silence > s.abandonedMs && watched;
  const r = holder.record;
  if (r === undefined) return abandoned ? `it is unreadable and untouched for ${silence} ms` : undefined;
  if (now - r.created_at > s.staleMs) return `pid ${r.pid} took it more than ${s.staleMs} ms ago`;
  const host = hostname();
  if (host !== undefined && r.hostname === host) {
    if (r.pid === s.pid) return `pid ${r.pid} is this process, which does not hold it`;
    if (probePid(r.pid) === "dead") return `its owner pid ${r.pid} is gone`;
  }
  if (abandoned) return `its owner pid ${r.pid} stopped refreshing it ${silence} ms ago`;
  return undefined;
}

async function takeOver(
  s: Settings,
  holder: Holder,
  reason: string,
): Promise<{ record: LockRecord; text: string } | undefined> {
  const guard = `${s.path}.takeover`;
  const guardText = newRecord(s).text;
  if (!(await createExclusive(guard, guardText))) {
    // Another waiter is taking over (for milliseconds); a guard left by a crash expires by age.
    const other = await inspect(guard);
    if (other?.mtime !== undefined && s.now() - other.mtime > s.abandonedMs) {
      await removeIfUnchanged(s, guard, other.text);
    }
    return undefined;
  }
  try {
    const current = readLock(s.path);
    if (current !== undefined) {
      if (current !== holder.text) return undefined;
      if (!(await removeIfUnchanged(s, s.path, holder.text))) return undefined;
      s.log?.warn(`Took over lock ${s.path}: ${reason}`);
    }
    const mine = newRecord(s);
    return (await createExclusive(s.path, mine.text)) ? mine : undefined;
  } finally {
    await removeIfUnchanged(s, guard, guardText).catch(() => false);
  }
}

/**
 * Removes a file only if it still holds `expected`: it is renamed aside (atomic), checked, and
 * linked back when it turned out to be someone else's.
 */
async function removeIfUnchanged(s: Settings, path: string, expected: string): Promise<boolean> {
  const aside = `${path}.${crypto.randomUUID()}.old`;
  try {
    await Deno.rename(path, aside);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  let moved: string | undefined;
  try {
    moved = readLock(aside);
  } catch {
    moved = undefined;
  }
  if (moved !== expected) {
    try {
      await Deno.link(aside, path);
    } catch (error) {
      s.log?.warn(`Cannot restore lock ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await Deno.remove(aside).catch(() => {});
  return moved === expected;
}

async function release(s: Settings, mine: { record: LockRecord; text: string }): Promise<void> {
  try {
    const text = readLock(s.path);
    if (text === undefined) throw new Deno.errors.NotFound(s.path);
    if (text === mine.text && (await removeIfUnchanged(s, s.path, text))) return;
    const r = parseLockRecord(text);
    const by = r === undefined ? "another process" : `pid ${r.pid}`;
    s.log?.warn(`Lock ${s.path} was taken over by ${by} while this process held it`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      s.log?.warn(`Lock ${s.path} was removed by another process while this process held it`);
    } else {
      s.log?.warn(`Cannot release lock ${s.path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function createExclusive(path: string, text: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
  try {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw error;
  }
  file.close();
  return true;
}

/** The most a lock file may hold. */
const MAX_LOCK_BYTES = 65_536;

/**
 * Reads a lock file without following a symbolic link (src/fs/no_follow.ts): `undefined` when it is
 * missing; a link, a non-regular file or one writable by others is refused.
 */
function readLock(path: string): string | undefined {
  const read = readPrivateFile(path, undefined, MAX_LOCK_BYTES);
  if ("missing" in read) return undefined;
  if ("problem" in read) throw new UntrustedPathError(path, read.problem);
  return read.text;
}

// deno-lint-ignore require-await
async function inspect(path: string): Promise<Holder | undefined> {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const text = readLock(path);
  if (text === undefined) return undefined;
  return { text, record: parseLockRecord(text), mtime: info.mtime?.getTime() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
