/**
 * The credential store: where the bridge keeps OAuth clients and tokens, one
 * {@linkcode ServerRecord} per server configuration ({@linkcode storeKey}). A
 * {@linkcode CredentialStore} is a small interface; {@linkcode FileStore} is the one the command line
 * uses (JSON files under the config directory, mode 0600, safe to share between processes) and
 * {@linkcode MemoryStore} keeps records in memory.
 *
 * @example Usage
 * ```ts
 * import { MemoryStore, type ServerRecord, storeKey } from "@mcp-bridge/mcp-bridge/store";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const key = await storeKey({ serverUrl: "https://mcp.example.com/mcp" });
 * const record: ServerRecord = {
 *   version: 1,
 *   server_url: "https://mcp.example.com/mcp",
 *   tokens: { access_token: "at-1", token_type: "Bearer", obtained_at: Date.now() },
 * };
 * await store.withLock(key, "refresh", 1_000, () => store.write(key, record));
 * assert.equal((await store.read(key))?.tokens?.access_token, "at-1");
 * await store.delete(key);
 * assert.deepEqual(await store.list(), []);
 * ```
 *
 * @module
 */

export type { CredentialStore, StoredEntry } from "./credential_store.ts";
export { FileStore, type FileStoreOptions } from "./file_store.ts";
export { MemoryStore } from "./memory_store.ts";
export { storeKey, type StoreKeyParts } from "./store_key.ts";
export { LockTimeoutError } from "./lock.ts";
export { StorePermissionError } from "./permissions.ts";
export type { ClientInfo, IdpSession, ServerRecord, TokenSet } from "../types.ts";
export type { SigningKey } from "../client_assertion.ts";
export { Logger, type LoggerOptions, type LogLevel, type LogSink } from "../../log/logger.ts";
