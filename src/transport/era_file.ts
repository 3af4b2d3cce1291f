/**
 * The file backend of {@linkcode EraMemory}: one small file per server below the config dir, whose name
 * is the record,
 *
 * ```
 * <dir>/eras/<host>-<hash>.<era>.<checked at, ms>.json   {"server": "https://mcp.example.com", "era": "legacy", "checked_at": 1796446267436}
 * e.g.       mcp.example.com-9f3c0a1b2c3d4e5f.legacy.1796446267436.json
 * ```
 *
 * A server is its origin and path ({@linkcode eraServerKey}), never its query, user, password or fragment;
 * and of those only the host is written in plain text (a path may carry a token): the name starts with
 * the host made safe for a file name, then a 64-bit FNV-1a hash of the origin and path.
 *
 * Recalling is one directory listing, no file read, no `stat` and no `crypto`: it must cost less than the
 * probe it saves (the first `stat` or open file of a process costs about as much as the probe's round trip
 * on a local server). The content is for people reading the directory; the bridge never reads it. Only a
 * regular file counts (a symbolic link is never followed, nor even opened). Neither the directory nor the
 * record is checked for its owner or mode: a record decides only which era is tried first. A wrong one
 * costs a 2026-07-28-only server one refused `initialize`, after which the bridge probes and rewrites the
 * record; a server that speaks both eras is spoken to in the 2025 era until the record expires. Only
 * someone who can write the config dir can plant one, and the credentials there are worth more.
 *
 * A cache, not a record of anything else: it is read only when `--allow-read` covers the directory and
 * written only when `--allow-read` and `--allow-write` cover it (both are queried, never prompted for;
 * without them the bridge probes at every start). It holds no secret. An era older than
 * {@linkcode ERA_MAX_AGE_MS}, from the future, or for another server counts as nothing. Written
 * atomically, mode 0600, in a directory of mode 0700, once the first message is answered; the server's
 * older records go then (a newer one, written by another bridge at the same time, stays).
 *
 * @module
 */

import { joinPath } from "../fs/path.ts";
import type { Logger } from "../log/logger.ts";
import type { EraMemory, ServerEra } from "./era_memory.ts";

/** The directory of the era memory below the config dir (all a bridge without sign-in may read and write). */
export const ERA_DIR_NAME = "eras";

/** How long a remembered era is trusted before the server is probed again: a week. */
export const ERA_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The most entries of the directory looked at (a real one has one per server). Deno reads a listing whole
 * before the first entry: this bounds the work on it, the listing is as large as the directory.
 */
const MAX_ENTRIES = 1000;

/** A temporary file of a write older than this was left by a bridge that exited while writing. */
const STALE_TEMP_MS = 60_000;

/** The most characters of a server's host in its file name (the hash follows). */
export const MAX_SLUG_LENGTH = 64;

/**
 * What a remembered era is kept for: the server's origin and path, without query, user, password or fragment.
 *
 * @example Usage
 * ```ts
 * import { eraServerKey } from "./era_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(eraServerKey(new URL("https://u:p@mcp.example.com/mcp?key=s#x")), "https://mcp.example.com/mcp");
 * ```
 *
 * @param url The MCP server URL.
 * @returns Its origin and path.
 */
export function eraServerKey(url: URL): string {
  return url.origin + url.pathname;
}

/**
 * The start of the file names of a server's remembered era: its host made safe (every character but
 * letters, digits, `.` and `-` becomes `_`), cut at {@linkcode MAX_SLUG_LENGTH}, then `-` and the 64-bit
 * FNV-1a hash of {@linkcode eraServerKey} (a path may carry a token: only its hash is written). Pure, and
 * cheap: no `crypto` at start-up.
 *
 * @example Usage
 * ```ts
 * import { eraFileName } from "./era_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(eraFileName(new URL("https://mcp.example.com/mcp?key=s")), /^mcp\.example\.com-[0-9a-f]{16}$/);
 * ```
 *
 * @param url The MCP server URL.
 * @returns The start of the file names.
 */
export function eraFileName(url: URL): string {
  const slug = url.host.replace(/[^A-Za-z0-9.-]/g, "_").slice(0, MAX_SLUG_LENGTH);
  // The 64 bits in two 32-bit halves (BigInt arithmetic cost about 1 ms at start-up, measured). The prime is
  // 2^40 + 0x1b3, so (hi·2^32 + lo)·prime mod 2^64 = lo·0x1b3 + (hi·0x1b3 + lo·2^8)·2^32: every product
  // stays below 2^42, exact in a double.
  let hi = FNV_OFFSET_HI;
  let lo = FNV_OFFSET_LO;
  for (const byte of new TextEncoder().encode(eraServerKey(url))) {
    lo = (lo ^ byte) >>> 0;
    const low = lo * FNV_PRIME_LOW;
    hi = (hi * FNV_PRIME_LOW + lo * 0x100 + Math.floor(low / 0x100000000)) >>> 0;
    lo = low >>> 0;
  }
  return `${slug}-${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`;
}

/** FNV-1a, 64 bits: the offset basis 0xcbf29ce484222325 in halves, and the low part of the prime 0x100000001b3. */
const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
const FNV_PRIME_LOW = 0x1b3;

/** `<era>.<checked at>.json`, after the server's name and a dot. */
const RECORD_TAIL = /^(legacy|modern)\.(\d{1,15})\.json$/;

/** Options for {@linkcode FileEraMemory}. */
export interface FileEraMemoryOptions {
  /** The config dir. */
  dir: string;
  /** The MCP server whose era is remembered. */
  serverUrl: URL;
  /** Where the reasons a file was not used go (debug level). */
  log: Logger;
  /** The clock (test seam; default `Date.now`). */
  now?: () => number;
}

/** Remembers one server's era in a file below the config dir. */
export class FileEraMemory implements EraMemory {
  #o: FileEraMemoryOptions;
  #dir: string;
  #name: string;
  #origin: string;
  #now: () => number;

  /**
   * Creates the memory; nothing touches the disk until the first call.
   *
   * @example Usage
   * ```ts
   * import { FileEraMemory } from "./era_file.ts";
   * import { Logger } from "../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const log = new Logger({ level: "silent" });
   * const memory = new FileEraMemory({ dir, serverUrl: new URL("https://x.example/mcp"), log });
   * await memory.remember("legacy");
   * assert.equal(await memory.recall(), "legacy");
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param options The config dir, the server, the logger.
   */
  constructor(options: FileEraMemoryOptions) {
    this.#o = options;
    this.#dir = joinPath(options.dir, ERA_DIR_NAME);
    this.#name = eraFileName(options.serverUrl);
    this.#origin = options.serverUrl.origin;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The era remembered for the server, if it may be read and is still fresh.
   *
   * @returns The era, or `undefined`.
   */
  recall(): Promise<ServerEra | undefined> {
    try {
      if (Deno.permissions.querySync({ name: "read", path: this.#dir }).state !== "granted") {
        return Promise.resolve(undefined);
      }
      const now = this.#now();
      let found: { era: ServerEra; at: number } | undefined;
      let seen = 0;
      for (const entry of Deno.readDirSync(this.#dir)) {
        if (++seen > MAX_ENTRIES) break;
        const record = entry.isFile && !entry.isSymlink ? this.#record(entry.name) : undefined;
        if (record === undefined) continue;
        const age = now - record.at;
        if (age >= 0 && age <= ERA_MAX_AGE_MS && (found === undefined || record.at > found.at)) {
          found = record;
        }
      }
      return Promise.resolve(found?.era);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        this.#o.log.debug(`The remembered protocol era is not used: ${(error as Error).message}`);
      }
      return Promise.resolve(undefined);
    }
  }

  /**
   * Remembers the era (skipped without the permissions for the directory); the server's older records go.
   *
   * @param era The era the server answered in.
   */
  async remember(era: ServerEra): Promise<void> {
    try {
      const granted = (name: "read" | "write", path: string) =>
        Deno.permissions.querySync({ name, path }).state === "granted";
      if (!granted("read", this.#dir) || !granted("write", this.#dir)) return;
      const [{ ensurePrivateDir, expectedUid, prepareConfigDir }, { replacePrivateFile }] = await Promise.all(
        [
          import("../fs/no_follow.ts"),
          import("../fs/replace_file.ts"),
        ],
      );
      if (granted("read", this.#o.dir) && granted("write", this.#o.dir)) {
        prepareConfigDir(this.#o.dir, true);
        ensurePrivateDir(this.#dir, expectedUid(this.#o.dir));
      } else {
        // Only the era memory is granted (a bridge without sign-in): it is made with its parents (mode 0700).
        Deno.mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
        ensurePrivateDir(this.#dir, expectedUid(this.#dir));
      }
      const at = this.#now();
      const name = `${this.#name}.${era}.${at}.json`;
      const text = JSON.stringify({ server: this.#origin, era, checked_at: at }) + "\n";
      await replacePrivateFile(this.#dir, name, text);
      this.#removeOlder(name, at);
    } catch (error) {
      this.#o.log.debug(`Cannot remember the server's protocol era: ${(error as Error).message}`);
    }
  }

  /** The era and time of a file name that is one of this server's records, else `undefined`. */
  #record(fileName: string): { era: ServerEra; at: number } | undefined {
    if (!fileName.startsWith(`${this.#name}.`)) return undefined;
    const tail = RECORD_TAIL.exec(fileName.slice(this.#name.length + 1));
    return tail ? { era: tail[1] as ServerEra, at: Number(tail[2]) } : undefined;
  }

  /**
   * Removes this server's records older than the one just written (a newer one, from a bridge that wrote at
   * the same time, stays; on a tie the greater name stays) and the temporary files of writes that a bridge
   * left behind when it exited (older than a minute). A link is removed itself, never what it points at; a
   * directory is left alone; each removal may fail alone (another bridge removed it first).
   */
  #removeOlder(name: string, at: number): void {
    let seen = 0;
    for (const entry of Deno.readDirSync(this.#dir)) {
      if (++seen > MAX_ENTRIES) break;
      if (entry.isDirectory || entry.name === name) continue;
      let old = false;
      const other = this.#record(entry.name);
      if (other !== undefined) {
        old = other.at < at || (other.at === at && entry.name < name);
      } else if (entry.name.startsWith(`.${this.#name}.`) && entry.name.endsWith(".tmp")) {
        try {
          const mtime = Deno.lstatSync(joinPath(this.#dir, entry.name)).mtime?.getTime();
          // The real clock, as the file system's (the injected one dates records).
          old = mtime !== undefined && Date.now() - mtime > STALE_TEMP_MS;
        } catch {
          old = false;
        }
      }
      if (!old) continue;
      try {
        Deno.removeSync(joinPath(this.#dir, entry.name));
      } catch {
        // Gone already, or not ours to remove: the next write tries again.
      }
    }
  }
}
