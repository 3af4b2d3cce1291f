/**
 * The file backend of {@linkcode CredentialStore}:
 *
 * ```
 * <dir>/v1/servers/<key>.json         one ServerRecord per store key (mode 0600)
 * <dir>/v1/locks/<key>.<name>.lock    cross-process locks (see lock.ts)
 * ```
 *
 * `v1` is the layout version; it never follows the package version, so an upgrade keeps the
 * tokens. The directories below the config dir are made (or tightened to) mode 0700; the config dir
 * itself is made 0700 when missing, and an existing one looser than that only gets a warning naming
 * the `chmod` to run. Files are written to a temporary file (`createNew`, mode 0600) in the same
 * directory and renamed over the old one, so a reader in another process sees the old record or the
 * new one, never half of one; the rename replaces a symbolic link, never writes through it. Nothing
 * below the config dir is followed when it is a symbolic link (src/fs/no_follow.ts), and a record
 * must be owned by the user and not writable by others. A file that is not a valid, trusted record
 * counts as absent, with one warning naming the file and why (never its content).
 *
 * @module
 */

import { joinPath } from "../../fs/path.ts";
import { LAYOUT_VERSION, serversDirOf } from "./file_layout.ts";
import { replacePrivateFile } from "../../fs/replace_file.ts";
import type { Logger } from "../../log/logger.ts";
import type { ServerRecord } from "../types.ts";
import type { CredentialStore, StoredEntry } from "./credential_store.ts";
import { withFileLock } from "./lock.ts";
import { assertLockName, assertStoreKey, isStoreKey } from "./names.ts";
import { permissionError, requireAccess } from "./permissions.ts";
import { isServerRecord } from "./record.ts";
import {
  ensurePrivateDir,
  expectedUid,
  prepareConfigDir,
  privateDirProblem,
  readPrivateFile,
} from "../../fs/no_follow.ts";

/** A record larger than this is not read (a real one is a few KiB). */
const MAX_RECORD_BYTES = 1 << 20;

export { LAYOUT_VERSION } from "./file_layout.ts";

/** Options for {@linkcode FileStore}. */
export interface FileStoreOptions {
  /** The config directory (`--config-dir`, `MCP_BRIDGE_CONFIG_DIR` or the platform default). */
  dir: string;
  /** Where warnings about unreadable files and lock takeovers go. */
  log: Logger;
  /** The clock for lock records and staleness (default: `Date.now`). */
  now?: () => number;
  /** The pid written into locks and temporary file names (default: `Deno.pid`). */
  pid?: number;
  /** Lock timing (defaults: stale after 10 minutes, heartbeat every 1 s, abandoned after 10 s). */
  lock?: { staleMs?: number; heartbeatMs?: number; abandonedMs?: number };
}

/** Credentials in JSON files under the config directory, safe to share between processes. */
export class FileStore implements CredentialStore {
  /** The config directory, as given. */
  readonly dir: string;
  /** Where records live: `<dir>/v1/servers`. */
  readonly serversDir: string;
  /** Where lock files live: `<dir>/v1/locks`. */
  readonly locksDir: string;
  #layoutDir: string;
  #log: Logger;
  #now: () => number;
  #pid: number;
  #lock: { staleMs?: number; heartbeatMs?: number; abandonedMs?: number };
  /** Files already warned about, until they are read fine, rewritten or deleted. */
  #warned = new Set<string>();

  /**
   * Creates a store; nothing touches the disk until the first call.
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const store = new FileStore({ dir, log: new Logger({ level: "warn" }) });
   * await store.write("k", { version: 1, server_url: "https://example.com/mcp" });
   * assert.equal((await store.read("k"))?.server_url, "https://example.com/mcp");
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param options The directory, the logger, and test seams.
   */
  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.#layoutDir = joinPath(options.dir, LAYOUT_VERSION);
    this.serversDir = serversDirOf(options.dir);
    this.locksDir = joinPath(this.#layoutDir, "locks");
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#pid = options.pid ?? Deno.pid;
    this.#lock = options.lock ?? {};
  }

  /**
   * The file of a store key.
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import { joinPath } from "../../fs/path.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new FileStore({ dir: "/x", log: new Logger({ level: "warn" }) });
   * assert.equal(store.pathOf("k"), joinPath("/x", "v1", "servers", "k.json"));
   * ```
   *
   * @param key The store key.
   * @returns `<dir>/v1/servers/<key>.json`.
   */
  pathOf(key: string): string {
    assertStoreKey(key);
    return joinPath(this.serversDir, `${key}.json`);
  }

  /**
   * Reads the record of a store key. A missing file is `undefined`; so is a file that is not JSON
   * or not a version 1 record, with one warning naming it.
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const store = new FileStore({ dir, log: new Logger({ level: "warn" }) });
   * assert.equal(await store.read("k"), undefined);
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param key The store key.
   * @returns The record, or `undefined`.
   * @throws {StorePermissionError} When `--allow-read` does not cover the config dir.
   */
  async read(key: string): Promise<ServerRecord | undefined> {
    return await this.#readFile(this.pathOf(key));
  }

  /**
   * Replaces the record of a store key atomically (temporary file, then rename), with mode 0600.
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const store = new FileStore({ dir, log: new Logger({ level: "warn" }) });
   * await store.write("k", { version: 1, server_url: "https://example.com/mcp" });
   * assert.deepEqual(await store.read("k"), { version: 1, server_url: "https://example.com/mcp" });
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param key The store key.
   * @param record The record.
   * @throws {StorePermissionError} When `--allow-read` or `--allow-write` does not cover the config dir.
   * @throws {TypeError} When `record` is not a version 1 record.
   */
  async write(key: string, record: ServerRecord): Promise<void> {
    const path = this.pathOf(key);
    const action = `Cannot write credentials to ${path}`;
    if (!isServerRecord(record)) {
      throw new TypeError(`${action}: the record is not a version 1 server record`);
    }
    // The rename needs read access too.
    requireAccess(action, this.dir, path, ["read", "write"]);
    try {
      this.#ensureDirs(this.serversDir);
      if (isSymlink(path)) {
        this.#log.warn(
          `Replacing the symbolic link ${path} with a credentials file: the link is not followed`,
        );
      }
      await replacePrivateFile(
        this.serversDir,
        `${key}.json`,
        JSON.stringify(record, null, 2) + "\n",
        this.#pid,
      );
    } catch (error) {
      throw describe(error, action, this.dir);
    }
    this.#warned.delete(path);
  }

  /**
   * Deletes the record of a store key; no error when it is absent.
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const store = new FileStore({ dir, log: new Logger({ level: "warn" }) });
   * await store.write("k", { version: 1, server_url: "https://example.com/mcp" });
   * await store.delete("k");
   * await store.delete("k");
   * assert.equal(await store.read("k"), undefined);
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param key The store key.
   * @throws {StorePermissionError} When `--allow-write` does not cover the config dir.
   */
  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    const action = `Cannot delete credentials ${path}`;
    requireAccess(action, this.dir, path, ["write"]);
    try {
      await Deno.remove(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw describe(error, action, this.dir);
    }
    this.#warned.delete(path);
  }

  /**
   * Lists every valid record, sorted by key; invalid files are skipped with a warning.
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const store = new FileStore({ dir, log: new Logger({ level: "warn" }) });
   * await store.write("b", { version: 1, server_url: "https://b.example/mcp" });
   * await store.write("a", { version: 1, server_url: "https://a.example/mcp" });
   * assert.deepEqual((await store.list()).map(({ key }) => key), ["a", "b"]);
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @returns The keys with their records.
   * @throws {StorePermissionError} When `--allow-read` does not cover the config dir.
   */
  async list(): Promise<StoredEntry[]> {
    const action = `Cannot list credentials in ${this.serversDir}`;
    requireAccess(action, this.dir, this.serversDir, ["read"]);
    const keys: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.serversDir)) {
        // Symbolic links are listed so that reading them warns (they are never followed).
        if (!(entry.isFile || entry.isSymlink) || !entry.name.endsWith(".json")) continue;
        const key = entry.name.slice(0, -".json".length);
        if (isStoreKey(key)) keys.push(key);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw describe(error, action, this.dir);
    }
    keys.sort();
    const out: StoredEntry[] = [];
    for (const key of keys) {
      const path = this.pathOf(key);
      const record = await this.#readFile(path);
      if (record !== undefined) out.push({ key, record, where: `file ${path}` });
    }
    return out;
  }

  /**
   * Runs `fn` while holding the lock file `<dir>/v1/locks/<key>.<name>.lock` (see lock.ts).
   *
   * @example Usage
   * ```ts
   * import { FileStore } from "./file_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const store = new FileStore({ dir, log: new Logger({ level: "warn" }) });
   * const url = await store.withLock("k", "refresh", 30_000, async () => {
   *   await store.write("k", { version: 1, server_url: "https://example.com/mcp" });
   *   return (await store.read("k"))?.server_url;
   * });
   * assert.equal(url, "https://example.com/mcp");
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @typeParam T What `fn` returns.
   * @param key The store key.
   * @param name The lock name (`signin`, `refresh`, …).
   * @param waitMs How long to wait at most.
   * @param fn The work to do under the lock.
   * @returns What `fn` returned.
   * @throws {LockTimeoutError} When the lock is still held after `waitMs`, naming the holder's pid.
   * @throws {StorePermissionError} When `--allow-read` or `--allow-write` does not cover the config dir.
   */
  async withLock<T>(key: string, name: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
    assertStoreKey(key);
    assertLockName(name);
    const path = joinPath(this.locksDir, `${key}.${name}.lock`);
    const action = `Cannot take lock ${path}`;
    requireAccess(action, this.dir, path, ["read", "write"]);
    try {
      this.#ensureDirs(this.locksDir);
    } catch (error) {
      throw describe(error, action, this.dir);
    }
    return await withFileLock({
      path,
      waitMs,
      root: this.dir,
      log: this.#log,
      pid: this.#pid,
      now: this.#now,
      ...this.#lock,
    }, fn);
  }

  // Synchronous file access inside (small files, no O_NOFOLLOW in Deno: see src/fs/no_follow.ts).
  // deno-lint-ignore require-await
  async #readFile(path: string): Promise<ServerRecord | undefined> {
    const action = `Cannot read credentials from ${path}`;
    requireAccess(action, this.dir, path, ["read"]);
    let text: string;
    try {
      const { exists, warning } = prepareConfigDir(this.dir, false);
      if (warning !== undefined) this.#log.warn(warning);
      if (!exists) return this.#absent(path);
      const uid = expectedUid(this.dir);
      for (const dir of [this.#layoutDir, this.serversDir]) {
        const problem = privateDirProblem(dir, uid);
        if (problem === "missing") return this.#absent(path);
        if (problem !== undefined) {
          this.#warnOnce(path, `Ignoring credentials file ${path}: ${dir} is refused, ${problem}`);
          return undefined;
        }
      }
      const read = readPrivateFile(path, uid, MAX_RECORD_BYTES);
      if ("missing" in read) return this.#absent(path);
      if ("problem" in read) {
        this.#warnOnce(path, `Ignoring credentials file ${path}: ${read.problem}`);
        return undefined;
      }
      text = read.text;
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw permissionError(error, action, this.dir);
      const reason = error instanceof Error ? error.name : "unknown error";
      this.#warnOnce(path, `Ignoring credentials file ${path}: cannot read it (${reason})`);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#warnOnce(path, `Ignoring credentials file ${path}: it is not valid JSON`);
      return undefined;
    }
    if (!isServerRecord(value)) {
      this.#warnOnce(path, `Ignoring credentials file ${path}: it is not a version 1 server record`);
      return undefined;
    }
    this.#warned.delete(path);
    return value;
  }

  #absent(path: string): undefined {
    this.#warned.delete(path);
    return undefined;
  }

  #warnOnce(path: string, message: string): void {
    if (this.#warned.has(path)) return;
    this.#warned.add(path);
    this.#log.warn(message);
  }

  /**
   * Makes `<dir>` (0700 when missing; an existing one is never changed, a loose mode is a warning),
   * then `<dir>/v1` and `leaf` (0700, tightened when looser; refused when a symbolic link or
   * someone else's).
   */
  #ensureDirs(leaf: string): void {
    const { warning } = prepareConfigDir(this.dir, true);
    if (warning !== undefined) this.#log.warn(warning);
    const uid = expectedUid(this.dir);
    for (const dir of [this.#layoutDir, leaf]) {
      if (ensurePrivateDir(dir, uid).tightened) this.#log.debug(`Set the mode of ${dir} to 0700`);
    }
  }
}

function isSymlink(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSymlink;
  } catch {
    return false;
  }
}

/** Turns a file system error into one whose message says what failed and why. */
function describe(error: unknown, action: string, root: string): Error {
  const translated = permissionError(error, action, root);
  if (translated !== error) return translated as Error;
  if (error instanceof Deno.errors.PermissionDenied) {
    return new Error(`${action}: the operating system denied access (check the owner and mode of ${root})`, {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new Error(`${action}: ${detail}`, { cause: error });
}
