/**
 * The file backend of {@linkcode EraMemory}: one small file per server below the config dir, whose name
 * is the record,
 *
 * ```
 * <dir>/eras/<host and path>-<hash>.<era>.<checked at, ms>.json   {"server": "https://mcp.example.com/mcp", "era": "legacy", "checked_at": 1796446267436}
 * e.g.       mcp.example.com_mcp-1a2b3c4d.legacy.1796446267436.json
 * ```
 *
 * The server is named by its origin and path only: never its query, user, password or fragment, which may
 * carry a key. The name starts with the host and path made safe for a file name, cut at
 * {@linkcode MAX_SLUG_LENGTH} characters, then a 32-bit FNV-1a hash of the origin and path.
 *
 * Recalling is one directory listing, no file read and no `crypto`: it must cost less than the probe it
 * saves (a `stat` or an open file costs about as much as the probe's round trip on a local server). The
 * content is for people reading the directory; the bridge never reads it, so nothing in it can mislead
 * the bridge. Only a regular file counts (a symbolic link is never followed, nor even opened). Its owner
 * and mode are not checked: a name decides only whether one probe is skipped, and a wrong era is
 * corrected by the server's first answer (the bridge probes again and rewrites the record).
 *
 * A cache, not a record of anything else: it is read only when `--allow-read` covers the directory and
 * written only when `--allow-read` and `--allow-write` cover it (both are queried, never prompted for;
 * without them the bridge probes at every start). It holds no secret. An era older than
 * {@linkcode ERA_MAX_AGE_MS}, from the future, or for another server counts as nothing. Written
 * atomically, mode 0600, in a directory of mode 0700; the server's older records are removed.
 *
 * @module
 */

import { joinPath } from "../fs/path.ts";
import type { Logger } from "../log/logger.ts";
import type { EraMemory, ServerEra } from "./era_memory.ts";

/** How long a remembered era is trusted before the server is probed again: a week. */
export const ERA_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** The most entries of the directory looked at when recalling (a real one has one per server). */
const MAX_ENTRIES = 1000;

/** The most characters of a server's host and path in its file name (the hash follows). */
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
 * The start of the file names of a server's remembered era: its host and path made safe (every character
 * but letters, digits, `.` and `-` becomes `_`), cut at {@linkcode MAX_SLUG_LENGTH}, then `-` and the
 * FNV-1a hash of {@linkcode eraServerKey}. Pure, and cheap: no `crypto` at start-up.
 *
 * @example Usage
 * ```ts
 * import { eraFileName } from "./era_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(eraFileName(new URL("https://mcp.example.com/mcp?key=s")), /^mcp\.example\.com_mcp-[0-9a-f]{8}$/);
 * ```
 *
 * @param url The MCP server URL.
 * @returns The start of the file names.
 */
export function eraFileName(url: URL): string {
  const slug = (url.host + url.pathname).replace(/[^A-Za-z0-9.-]/g, "_").slice(0, MAX_SLUG_LENGTH);
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(eraServerKey(url))) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return `${slug}-${hash.toString(16).padStart(8, "0")}`;
}

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
  #server: string;
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
    this.#dir = joinPath(options.dir, "eras");
    this.#name = eraFileName(options.serverUrl);
    this.#server = eraServerKey(options.serverUrl);
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
        if (!entry.isFile || entry.isSymlink || !entry.name.startsWith(`${this.#name}.`)) continue;
        const tail = RECORD_TAIL.exec(entry.name.slice(this.#name.length + 1));
        if (!tail) continue;
        const at = Number(tail[2]);
        const age = now - at;
        if (age >= 0 && age <= ERA_MAX_AGE_MS && (found === undefined || at > found.at)) {
          found = { era: tail[1] as ServerEra, at };
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
      prepareConfigDir(this.#o.dir, true);
      ensurePrivateDir(this.#dir, expectedUid(this.#o.dir));
      const at = this.#now();
      const name = `${this.#name}.${era}.${at}.json`;
      const text = JSON.stringify({ server: this.#server, era, checked_at: at }) + "\n";
      await replacePrivateFile(this.#dir, name, text);
      let seen = 0;
      for (const entry of Deno.readDirSync(this.#dir)) {
        if (++seen > MAX_ENTRIES) break;
        const old = entry.name !== name && entry.name.startsWith(`${this.#name}.`) &&
          RECORD_TAIL.test(entry.name.slice(this.#name.length + 1));
        // A link is removed itself, never what it points at.
        if (old) Deno.removeSync(joinPath(this.#dir, entry.name));
      }
    } catch (error) {
      this.#o.log.debug(`Cannot remember the server's protocol era: ${(error as Error).message}`);
    }
  }
}
