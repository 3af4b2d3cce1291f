/**
 * The file backend of {@linkcode EraMemory}: one small JSON file per server below the config dir,
 *
 * ```
 * <dir>/eras/<sha-256 of the server URL>.json   {"url_sha256": …, "era": "legacy", "checked_at": 1733356800000}
 * ```
 *
 * A cache, not a record: it is read only when `--allow-read` covers the file and written only when
 * `--allow-read` and `--allow-write` cover the directory (both are queried, never prompted for; without
 * them the bridge probes at every start, as before). It holds no secret. A remembered era older than
 * {@linkcode ERA_MAX_AGE_MS}, for another URL, from the future, or in a file that is not the user's
 * own regular file (a symbolic link is never followed) counts as nothing. Written atomically, mode
 * 0600, in a directory of mode 0700.
 *
 * @module
 */

import { joinPath } from "../fs/path.ts";
import type { Logger } from "../log/logger.ts";
import type { EraMemory, ServerEra } from "./era_memory.ts";

/** How long a remembered era is trusted before the server is probed again: a week. */
export const ERA_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** A file larger than this is not read (a real one is about 150 bytes). */
const MAX_FILE_BYTES = 4096;

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
  #name: Promise<string> | undefined;
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
    this.#now = options.now ?? Date.now;
  }

  /**
   * The era remembered for the server, if it may be read and is still fresh.
   *
   * @returns The era, or `undefined`.
   */
  async recall(): Promise<ServerEra | undefined> {
    try {
      const path = joinPath(this.#dir, await this.#fileName());
      if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
      // The file helpers load only for a bridge that may read its config dir (off everyone else's start-up).
      const { expectedUid, readPrivateFile } = await import("../fs/no_follow.ts");
      const read = readPrivateFile(path, expectedUid(this.#o.dir), MAX_FILE_BYTES);
      if ("missing" in read) return undefined;
      if ("problem" in read) {
        this.#o.log.debug(`The remembered protocol era in ${path} is not used: ${read.problem}`);
        return undefined;
      }
      const value = JSON.parse(read.text) as { url_sha256?: unknown; era?: unknown; checked_at?: unknown };
      const age = this.#now() - Number(value.checked_at);
      if (
        value.url_sha256 !== await this.#urlHash() || (value.era !== "legacy" && value.era !== "modern") ||
        !(age >= 0 && age <= ERA_MAX_AGE_MS)
      ) {
        return undefined;
      }
      return value.era;
    } catch (error) {
      this.#o.log.debug(`The remembered protocol era is not used: ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Remembers the era (skipped without the permissions for the directory).
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
      // The URL's hash, never the URL: it may carry a key in its query or a password.
      const text = JSON.stringify({ url_sha256: await this.#urlHash(), era, checked_at: this.#now() }) + "\n";
      await replacePrivateFile(this.#dir, await this.#fileName(), text);
    } catch (error) {
      this.#o.log.debug(`Cannot remember the server's protocol era: ${(error as Error).message}`);
    }
  }

  #urlHash(): Promise<string> {
    return this.#name ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(this.#o.serverUrl.href))
      .then((hash) => [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join(""));
  }

  async #fileName(): Promise<string> {
    return `${await this.#urlHash()}.json`;
  }
}
