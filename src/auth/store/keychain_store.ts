/**
 * A {@linkcode CredentialStore} in the operating system's keychain (`keychain_tool.ts`): one secret per
 * store key, holding the record as compact JSON, filed under the service `mcp-bridge`. The keychain has
 * no locks: the cross-process locks stay files in the config dir (they hold no secret), or, without a
 * config dir, in-process ones.
 *
 * @module
 */

import type { Logger } from "../../log/logger.ts";
import type { ServerRecord } from "../types.ts";
import type { CredentialStore, StoredEntry } from "./credential_store.ts";
import type { KeychainTool } from "./keychain_tool.ts";
import { assertStoreKey, isStoreKey } from "./names.ts";
import { isServerRecord } from "./record.ts";

/** Options for {@linkcode KeychainStore}. */
export interface KeychainStoreOptions {
  /** The keychain. */
  tool: KeychainTool;
  /** Where the locks are (a file store of the config dir, or a memory store). */
  locks: Pick<CredentialStore, "withLock">;
  /** The logger (a secret that is not a record is reported once, never quoted). */
  log: Logger;
}

/** Credentials in the keychain. */
export class KeychainStore implements CredentialStore {
  #o: KeychainStoreOptions;

  /**
   * Creates the store; the keychain is not touched until the first call.
   *
   * @example Usage
   * ```ts ignore
   * import { KeychainStore } from "./keychain_store.ts";
   * import { secretServiceTool } from "./keychain_tool.ts";
   * const store = new KeychainStore({ tool: secretServiceTool(), locks: fileStore, log });
   * ```
   *
   * @param options The keychain, the locks and the logger.
   */
  constructor(options: KeychainStoreOptions) {
    this.#o = options;
  }

  /** Where records live, for `status`. */
  get where(): string {
    return `keychain (${this.#o.tool.label})`;
  }

  /**
   * Reads the record of a store key.
   *
   * @param key The store key.
   * @returns The record, or `undefined`.
   */
  async read(key: string): Promise<ServerRecord | undefined> {
    assertStoreKey(key);
    return this.#parse(key, await this.#o.tool.get(key));
  }

  /**
   * Stores the record of a store key (the keychain replaces it whole).
   *
   * @param key The store key.
   * @param record The record.
   */
  async write(key: string, record: ServerRecord): Promise<void> {
    assertStoreKey(key);
    if (!isServerRecord(record)) {
      throw new TypeError("Cannot store credentials: not a version 1 server record");
    }
    // ASCII only (non-ASCII escaped): some tools print other secrets back in another encoding.
    const text = JSON.stringify(record).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    await this.#o.tool.set(key, text, `${KEYCHAIN_LABEL} ${key.slice(0, 12)}`);
  }

  /**
   * Deletes the record of a store key.
   *
   * @param key The store key.
   */
  async delete(key: string): Promise<void> {
    assertStoreKey(key);
    await this.#o.tool.delete(key);
  }

  /**
   * Every stored record.
   *
   * @returns The keys with their records.
   */
  async list(): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    for (const item of await this.#o.tool.list()) {
      if (!isStoreKey(item.account)) continue;
      const record = this.#parse(item.account, item.secret);
      if (record) out.push({ key: item.account, record, where: this.where });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  /**
   * Runs `fn` under a cross-process lock (see {@linkcode CredentialStore.withLock}).
   *
   * @param key The store key.
   * @param name The lock name.
   * @param waitMs How long to wait for it.
   * @param fn What to run.
   * @returns What `fn` returns.
   */
  withLock<T>(key: string, name: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
    return this.#o.locks.withLock(key, name, waitMs, fn);
  }

  #parse(key: string, text: string | undefined): ServerRecord | undefined {
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text);
      if (isServerRecord(value)) return value;
    } catch {
      // Reported below, without the text.
    }
    this.#o.log.warn(`The keychain holds something else than credentials for ${key}: ignored`);
    return undefined;
  }
}

/** The label of mcp-bridge's keychain items. */
const KEYCHAIN_LABEL = "mcp-bridge credentials";
