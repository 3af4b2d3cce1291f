/**
 * A {@linkcode CredentialStore} that moves records over from the store used before: when the chosen
 * store (`--store keychain`, say) has no record for a key and the previous one (the file store) has, the
 * record is written to the chosen store and deleted from the previous one, so that changing the store
 * needs no new sign-in. Everything else goes to the chosen store.
 *
 * @module
 */

import type { Logger } from "../../log/logger.ts";
import type { ServerRecord } from "../types.ts";
import type { CredentialStore, StoredEntry } from "./credential_store.ts";

/** The chosen store, and the one records move over from. */
export class MigratingStore implements CredentialStore {
  #to: CredentialStore;
  #from: CredentialStore;
  #log: Logger;
  #names: { to: string; from: string };

  /**
   * Wraps two stores.
   *
   * @example Usage
   * ```ts
   * import { MigratingStore } from "./migrating_store.ts";
   * import { MemoryStore } from "./memory_store.ts";
   * import { Logger } from "../../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const before = new MemoryStore();
   * await before.write("k", { version: 1, server_url: "https://mcp.example.com/mcp" });
   * const after = new MemoryStore();
   * const store = new MigratingStore(after, before, new Logger({ level: "silent" }), { to: "b", from: "a" });
   * assert.equal((await store.read("k"))?.server_url, "https://mcp.example.com/mcp");
   * assert.equal(await before.read("k"), undefined);
   * assert.ok(await after.read("k"));
   * ```
   *
   * @param to The chosen store.
   * @param from The store used before.
   * @param log The logger.
   * @param names Their names, for the log line.
   */
  constructor(to: CredentialStore, from: CredentialStore, log: Logger, names: { to: string; from: string }) {
    this.#to = to;
    this.#from = from;
    this.#log = log;
    this.#names = names;
  }

  /** Shown once credentials are first saved (the chosen store's). */
  get volatileWarning(): string | undefined {
    return this.#to.volatileWarning;
  }

  /**
   * The record of a key: the chosen store's, else the previous store's, moved over.
   *
   * @param key The store key.
   * @returns The record, or `undefined`.
   */
  async read(key: string): Promise<ServerRecord | undefined> {
    const own = await this.#to.read(key);
    if (own !== undefined) return own;
    if ((await this.#from.read(key).catch(() => undefined)) === undefined) return undefined;
    // One process moves it (another may be refreshing it meanwhile: it is read again under the lock), and
    // the old copy goes only once the new one reads back the same.
    return await this.#to.withLock(key, "migrate", 30_000, async () => {
      const moved = await this.#to.read(key);
      if (moved !== undefined) return moved;
      const old = await this.#from.read(key).catch(() => undefined);
      if (old === undefined) return undefined;
      try {
        await this.#to.write(key, old);
      } catch (error) {
        this.#log.warn(
          `Could not move the credentials of ${old.server_url} to the ${this.#names.to} (${
            (error as Error).message
          }): they stay in the ${this.#names.from}`,
        );
        return old;
      }
      const check = await this.#to.read(key).catch(() => undefined);
      if (JSON.stringify(check) !== JSON.stringify(old)) {
        this.#log.warn(
          `Could not move the credentials of ${old.server_url} to the ${this.#names.to} (they did not read back ` +
            `the same): they stay in the ${this.#names.from}`,
        );
        return old;
      }
      await this.#from.delete(key);
      this.#log.info(
        `Moved the credentials of ${old.server_url} from the ${this.#names.from} to the ${this.#names.to}`,
      );
      return old;
    });
  }

  /**
   * Writes to the chosen store.
   *
   * @param key The store key.
   * @param record The record.
   */
  async write(key: string, record: ServerRecord): Promise<void> {
    await this.#to.write(key, record);
  }

  /**
   * Deletes from both stores.
   *
   * @param key The store key.
   */
  async delete(key: string): Promise<void> {
    await this.#to.delete(key);
    await this.#from.delete(key).catch(() => {});
  }

  /**
   * Both stores' records (the chosen store's first, for a key in both).
   *
   * @returns The keys with their records and where each lives.
   */
  async list(): Promise<StoredEntry[]> {
    const own = await this.#to.list();
    const old = await this.#from.list().catch(() => []);
    return [...own, ...old.filter((entry) => !own.some((o) => o.key === entry.key))];
  }

  /**
   * The chosen store's lock.
   *
   * @param key The store key.
   * @param name The lock name.
   * @param waitMs How long to wait.
   * @param fn What to run.
   * @returns What `fn` returns.
   */
  withLock<T>(key: string, name: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
    return this.#to.withLock(key, name, waitMs, fn);
  }
}
