/**
 * Results of a 2025-era server, made what a 2026-07-28 host expects: the `server/discover` result built
 * from the server's `initialize` result, and every other result marked `resultType: "complete"`, with
 * the caching hints the 2026-07-28 schema requires and the server's identity in `_meta`.
 *
 * Caching hints are chosen honestly: a 2025-era server never promised that a list stays fresh, nor that
 * it is the same for every user, so every cacheable result says `ttlMs: 0` (immediately stale: re-fetch
 * when needed) and `cacheScope: "private"` (never share across authorization contexts). The host then
 * behaves as it did with the 2025 server, where `list_changed` notifications were the only freshness signal.
 *
 * @module
 */

import { SERVER_INFO_META_KEY } from "./meta.ts";
import { MODERN_VERSION } from "./versions.ts";

type Json = Record<string, unknown>;

/** `ttlMs` of every cacheable result synthesized for a 2025-era server: immediately stale. */
export const LEGACY_TTL_MS = 0;
/** `cacheScope` of every cacheable result synthesized for a 2025-era server: one authorization context. */
export const LEGACY_CACHE_SCOPE = "private";

/** The methods whose complete results carry caching hints (2026-07-28 server/utilities/caching). */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  "server/discover",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
]);

/** The server capabilities that mean the same in the 2026-07-28 schema. */
const MODERN_CAPABILITIES: readonly string[] = [
  "completions",
  "experimental",
  "extensions",
  "logging",
  "prompts",
  "resources",
  "tools",
];

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The name and version of a server, as the 2026-07-28 `Implementation` needs them. */
export interface ServerIdentity {
  /** The server's name. */
  name: string;
  /** The server's version. */
  version: string;
  /** Other `Implementation` fields the server sent (title, icons, websiteUrl). */
  [field: string]: unknown;
}

/**
 * The server's identity from its `initialize` result: its `serverInfo` as sent, when it has a string
 * `name` and `version`; otherwise `undefined` (the bridge then claims no identity rather than invent one).
 *
 * @example Usage
 * ```ts
 * import { serverIdentity } from "./legacy_results.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(serverIdentity({ serverInfo: { name: "s", version: "1.2" } }), { name: "s", version: "1.2" });
 * assert.equal(serverIdentity({ serverInfo: { name: "s" } }), undefined);
 * ```
 *
 * @param initializeResult The server's `initialize` result.
 * @returns The identity, or `undefined`.
 */
export function serverIdentity(initializeResult: Json): ServerIdentity | undefined {
  const info = initializeResult.serverInfo;
  if (!isRecord(info) || typeof info.name !== "string" || typeof info.version !== "string") return undefined;
  return info as ServerIdentity;
}

/**
 * The server's capabilities in 2026-07-28 terms: the ones the 2026-07-28 schema defines (tools, prompts,
 * resources, logging, completions, experimental, extensions) are kept as they are; others (such as the
 * 2025-11-25 `tasks`) have no meaning for a 2026-07-28 host and are left out.
 *
 * @example Usage
 * ```ts
 * import { modernCapabilities } from "./legacy_results.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   modernCapabilities({ tools: { listChanged: true }, tasks: { list: {} } }),
 *   { tools: { listChanged: true } },
 * );
 * ```
 *
 * @param capabilities The `capabilities` of the server's `initialize` result.
 * @returns The capabilities to announce.
 */
export function modernCapabilities(capabilities: unknown): Json {
  const out: Json = {};
  if (!isRecord(capabilities)) return out;
  for (const name of MODERN_CAPABILITIES) {
    if (isRecord(capabilities[name])) out[name] = capabilities[name];
  }
  return out;
}

/**
 * The `server/discover` result for a 2025-era server, from its `initialize` result: the 2026-07-28
 * version the bridge speaks to the host, the server's capabilities and instructions, caching hints, and
 * the server's name and version in `_meta["io.modelcontextprotocol/serverInfo"]` (the 2026-07-28 schema
 * has no top-level `serverInfo`).
 *
 * @example Usage
 * ```ts
 * import { discoverResult } from "./legacy_results.ts";
 * import assert from "node:assert/strict";
 *
 * const result = discoverResult({
 *   protocolVersion: "2025-11-25",
 *   capabilities: { tools: {} },
 *   serverInfo: { name: "weather", version: "2.0.0" },
 *   instructions: "Ask about the weather.",
 * });
 * assert.deepEqual(result, {
 *   resultType: "complete",
 *   supportedVersions: ["2026-07-28"],
 *   capabilities: { tools: {} },
 *   instructions: "Ask about the weather.",
 *   ttlMs: 0,
 *   cacheScope: "private",
 *   _meta: { "io.modelcontextprotocol/serverInfo": { name: "weather", version: "2.0.0" } },
 * });
 * ```
 *
 * @param initializeResult The server's `initialize` result.
 * @returns The discover result.
 */
export function discoverResult(initializeResult: Json): Json {
  const identity = serverIdentity(initializeResult);
  const result: Json = {
    resultType: "complete",
    supportedVersions: [MODERN_VERSION],
    capabilities: modernCapabilities(initializeResult.capabilities),
  };
  if (typeof initializeResult.instructions === "string") result.instructions = initializeResult.instructions;
  result.ttlMs = LEGACY_TTL_MS;
  result.cacheScope = LEGACY_CACHE_SCOPE;
  if (identity) result._meta = { [SERVER_INFO_META_KEY]: identity };
  return result;
}

/**
 * A 2025-era server's result, completed for a 2026-07-28 host: `resultType: "complete"` (a 2025-era
 * server has no other kind; `inputRequests`/`requestState` it might send are dropped), `ttlMs` and `cacheScope` on the results of {@linkcode CACHEABLE_METHODS} when missing, and the
 * server's identity in `_meta` (the server's own `_meta` members are kept, its own identity there too).
 * Returns a new object.
 *
 * @example Usage
 * ```ts
 * import { completeResult } from "./legacy_results.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(completeResult("tools/list", { tools: [] }, { name: "s", version: "1" }), {
 *   resultType: "complete",
 *   tools: [],
 *   ttlMs: 0,
 *   cacheScope: "private",
 *   _meta: { "io.modelcontextprotocol/serverInfo": { name: "s", version: "1" } },
 * });
 * assert.deepEqual(completeResult("tools/call", { content: [] }, undefined), { resultType: "complete", content: [] });
 * ```
 *
 * @param method The method of the request the result answers.
 * @param result The server's result.
 * @param identity The server's identity, when known.
 * @returns The completed result.
 */
export function completeResult(method: string, result: Json, identity: ServerIdentity | undefined): Json {
  // A 2025-era result is always complete: whatever the server says, only the bridge issues input_required.
  const out: Json = { ...result, resultType: "complete" };
  delete out.inputRequests;
  delete out.requestState;
  if (CACHEABLE_METHODS.has(method)) {
    if (typeof out.ttlMs !== "number" || !Number.isInteger(out.ttlMs) || out.ttlMs < 0) {
      out.ttlMs = LEGACY_TTL_MS;
    }
    if (out.cacheScope !== "public" && out.cacheScope !== "private") out.cacheScope = LEGACY_CACHE_SCOPE;
  }
  if (identity) {
    const meta = isRecord(result._meta) ? result._meta : {};
    out._meta = { [SERVER_INFO_META_KEY]: identity, ...meta };
  }
  return out;
}
