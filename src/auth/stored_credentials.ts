/**
 * What the store holds for one server, found without the OAuth code: the store key of a server (the
 * same for the bridge, `login`, `logout` and `status`), and a cheap check, before any OAuth module is
 * loaded, of whether a record exists at all. A bridge for a server that never asked for sign-in then
 * neither loads the OAuth code nor waits for it before its first request.
 *
 * @module
 */

import type { AuthOptions } from "../cli/args.ts";
import { resolveConfigDir } from "../cli/config_dir.ts";
import { optionalEnv } from "../cli/env.ts";
import type { HeaderTemplate } from "../cli/headers.ts";
import { Logger } from "../log/logger.ts";
import { LAYOUT_VERSION, serversDirOf } from "./store/file_layout.ts";
import { storeKey } from "./store/store_key.ts";

/** What identifies a server's record in the store. */
export interface StoreKeyParts {
  /** The MCP server. */
  serverUrl: URL;
  /** The OAuth flags (`--resource`, `--authorize-param`, `--client-metadata-url` are part of the key). */
  auth: Pick<AuthOptions, "authorizeParams"> & Partial<Pick<AuthOptions, "resource" | "clientMetadataUrl">>;
  /** The header templates (names and templates, never values). */
  headers: readonly HeaderTemplate[];
}

/**
 * The store key of a server's record.
 *
 * @example Usage
 * ```ts
 * import { serverStoreKey } from "./stored_credentials.ts";
 * import assert from "node:assert/strict";
 *
 * const parts = { serverUrl: new URL("https://x.example/mcp"), auth: { authorizeParams: [] }, headers: [] };
 * assert.equal(await serverStoreKey(parts), await serverStoreKey(parts));
 * assert.notEqual(await serverStoreKey(parts), await serverStoreKey({ ...parts, serverUrl: new URL("https://y.example/mcp") }));
 * ```
 *
 * @param parts The server, its OAuth flags and its header templates.
 * @returns The key.
 */
export async function serverStoreKey(parts: StoreKeyParts): Promise<string> {
  return await storeKey({
    serverUrl: parts.serverUrl.href,
    ...(parts.auth.resource !== undefined ? { resource: parts.auth.resource } : {}),
    headers: parts.headers.map((h) => ({ name: h.name, template: h.template })),
    authorizeParams: parts.auth.authorizeParams,
    ...(parts.auth.clientMetadataUrl ? { clientMetadataUrl: parts.auth.clientMetadataUrl } : {}),
  });
}

/**
 * Whether the store may hold a record for the server that this bridge could send: `false` when it holds
 * none (no config dir can be found, so credentials would live in memory; no record file) or when the
 * bridge may not read the records (a bridge granted only the era memory: the permission is queried, never
 * asked for; the OAuth client then loads on the server's first 401, and names a missing flag there).
 * Anything else it cannot tell (an error) is `true`, so that the OAuth client loads and reports it.
 *
 * @example Usage
 * ```ts
 * import { mayHaveStoredRecord } from "./stored_credentials.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const parts = { serverUrl: new URL("https://x.example/mcp"), auth: { authorizeParams: [] }, headers: [] };
 * assert.equal(await mayHaveStoredRecord(parts, dir), false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param parts The server, its OAuth flags and its header templates.
 * @param configDir `--config-dir`, if given.
 * @returns Whether a record may exist.
 */
export async function mayHaveStoredRecord(
  parts: StoreKeyParts,
  configDir: string | undefined,
): Promise<boolean> {
  const dir = resolveConfigDir(configDir, Deno.build.os, optionalEnv);
  if ("missing" in dir) return false;
  try {
    // A store this bridge may not read (it was granted only the era memory, or nothing) holds nothing it
    // could send: the OAuth client loads on the server's first 401, and names a missing flag then.
    const servers = serversDirOf(dir.path);
    if (Deno.permissions.querySync({ name: "read", path: servers }).state !== "granted") return false;
    // No records at all (a server without OAuth, or none signed in yet): known from one directory listing,
    // without hashing the key (its SHA-256 loads the runtime's crypto code) or a stat (dearer than a listing).
    if (Deno.permissions.querySync({ name: "read", path: dir.path }).state === "granted") {
      let layout = false;
      let seen = 0;
      for (const entry of Deno.readDirSync(dir.path)) {
        // A crowded directory is looked at no further: the full check below decides.
        if (entry.name === LAYOUT_VERSION || ++seen > 1000) {
          layout = true;
          break;
        }
      }
      if (!layout) return false;
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
  }
  try {
    // Loaded here, not at start-up: only a bridge whose config dir resolves (--config-dir, or the variables
    // that locate it) gets this far.
    const { FileStore } = await import("./store/file_store.ts");
    const store = new FileStore({ dir: dir.path, log: new Logger({ level: "silent" }) });
    const path = store.pathOf(await serverStoreKey(parts));
    // Queried first: a terminal must not get Deno's prompt. Without the right, the OAuth client loads and
    // names the missing flag, as it always did.
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return true;
    await Deno.lstat(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}
