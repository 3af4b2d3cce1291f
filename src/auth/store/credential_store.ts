/**
 * Credential storage behind an interface: a file backend now, memory for tests, a keychain later.
 *
 * @module
 */

import type { ServerRecord } from "../types.ts";

/** One stored record, as listed. */
export interface StoredEntry {
  /** The store key. */
  key: string;
  /** The record. */
  record: ServerRecord;
  /** Where it lives (`file <path>`, `keychain (Secret Service)`), for `status`. */
  where?: string;
}

/** Where credentials live. Every method is safe to call from several processes at once. */
export interface CredentialStore {
  /** Set when the store forgets everything at exit: shown once credentials are first saved. */
  readonly volatileWarning?: string;
  /** Reads the record of a store key; `undefined` when absent (or unreadable: a warning is logged). */
  read(key: string): Promise<ServerRecord | undefined>;
  /** Replaces the record of a store key atomically. */
  write(key: string, record: ServerRecord): Promise<void>;
  /** Deletes the record of a store key (no error when absent). */
  delete(key: string): Promise<void>;
  /** Lists every stored key with its record (and where it lives, when the store knows). */
  list(): Promise<StoredEntry[]>;
  /**
   * Runs `fn` while holding a named cross-process lock for a store key (e.g. `signin`, `refresh`),
   * waiting for it at most `waitMs`. A lock whose owner process is gone, or older than its
   * staleness limit, is taken over.
   */
  withLock<T>(key: string, name: string, waitMs: number, fn: () => Promise<T>): Promise<T>;
}
