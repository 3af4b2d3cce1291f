/**
 * An in-memory {@linkcode CredentialStore} for tests: records are copied in and out, and
 * `withLock` is an in-process mutex per store key and lock name.
 *
 * @module
 */

import type { ServerRecord } from "../types.ts";
import type { CredentialStore } from "./credential_store.ts";
import { LockTimeoutError } from "./lock.ts";
import { KeyedMutex } from "./mutex.ts";
import { assertLockName, assertStoreKey } from "./names.ts";

/** Runs `fn` now; its result or its throw becomes a settled promise. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A {@linkcode CredentialStore} that lives in one process's memory. */
export class MemoryStore implements CredentialStore {
  #records = new Map<string, ServerRecord>();
  #locks = new KeyedMutex();
  /** Shown once credentials are first saved (see {@linkcode CredentialStore.volatileWarning}). */
  readonly volatileWarning: string | undefined;

  /**
   * Creates an empty store.
   *
   * @param volatileWarning What to tell the user when credentials are saved here (the bridge uses a
   *   memory store only when it has no config dir).
   */
  constructor(volatileWarning?: string) {
    this.volatileWarning = volatileWarning;
  }

  /**
   * Reads a record (a copy: changing it does not change the store).
   *
   * @example Usage
   * ```ts
   * import { MemoryStore } from "./memory_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * assert.equal(await store.read("k"), undefined);
   * ```
   *
   * @param key The store key.
   * @returns The record, or `undefined` when absent.
   */
  read(key: string): Promise<ServerRecord | undefined> {
    return settle(() => {
      assertStoreKey(key);
      const record = this.#records.get(key);
      return record === undefined ? undefined : structuredClone(record);
    });
  }

  /**
   * Replaces a record (stores a copy).
   *
   * @example Usage
   * ```ts
   * import { MemoryStore } from "./memory_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * await store.write("k", { version: 1, server_url: "https://example.com/mcp" });
   * assert.equal((await store.read("k"))?.server_url, "https://example.com/mcp");
   * ```
   *
   * @param key The store key.
   * @param record The record.
   */
  write(key: string, record: ServerRecord): Promise<void> {
    return settle(() => {
      assertStoreKey(key);
      this.#records.set(key, structuredClone(record));
    });
  }

  /**
   * Deletes a record (no error when absent).
   *
   * @example Usage
   * ```ts
   * import { MemoryStore } from "./memory_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * await store.delete("absent");
   * assert.deepEqual(await store.list(), []);
   * ```
   *
   * @param key The store key.
   */
  delete(key: string): Promise<void> {
    return settle(() => {
      assertStoreKey(key);
      this.#records.delete(key);
    });
  }

  /**
   * Lists every record, sorted by key.
   *
   * @example Usage
   * ```ts
   * import { MemoryStore } from "./memory_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * await store.write("b", { version: 1, server_url: "https://b.example/mcp" });
   * await store.write("a", { version: 1, server_url: "https://a.example/mcp" });
   * assert.deepEqual((await store.list()).map((e) => e.key), ["a", "b"]);
   * ```
   *
   * @returns The keys with copies of their records.
   */
  list(): Promise<{ key: string; record: ServerRecord }[]> {
    const keys = [...this.#records.keys()].sort();
    return Promise.resolve(keys.map((key) => ({ key, record: structuredClone(this.#records.get(key)!) })));
  }

  /**
   * Runs `fn` while holding the in-process lock `name` of a store key.
   *
   * @example Usage
   * ```ts
   * import { MemoryStore } from "./memory_store.ts";
   * import assert from "node:assert/strict";
   *
   * const store = new MemoryStore();
   * assert.equal(await store.withLock("k", "refresh", 1000, () => Promise.resolve(7)), 7);
   * ```
   *
   * @typeParam T What `fn` returns.
   * @param key The store key.
   * @param name The lock name (`signin`, `refresh`, …).
   * @param waitMs How long to wait at most.
   * @param fn The work to do under the lock.
   * @returns What `fn` returned.
   * @throws {LockTimeoutError} When the lock is still held after `waitMs`.
   */
  async withLock<T>(key: string, name: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
    assertStoreKey(key);
    assertLockName(name);
    const lock = `${key}.${name}`;
    const release = await this.#locks.acquire(
      lock,
      waitMs,
      () => new LockTimeoutError(lock, waitMs, Deno.pid, `held by this process (pid ${Deno.pid})`),
    );
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
