/**
 * Validation of stored records: what comes back from disk is checked member by member before the
 * rest of the bridge sees it.
 *
 * @module
 */

import type { ClientInfo, ServerRecord, TokenSet } from "../types.ts";

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optional(obj: Obj, name: string, type: "string" | "number" | "boolean"): boolean {
  const value = obj[name];
  if (value === undefined) return true;
  if (type === "number") return typeof value === "number" && Number.isFinite(value);
  return type === "string" ? typeof value === "string" : typeof value === "boolean";
}

function isClientInfo(value: unknown): value is ClientInfo {
  if (!isObject(value)) return false;
  if (typeof value.client_id !== "string") return false;
  if (value.source !== "static" && value.source !== "cimd" && value.source !== "dcr") return false;
  const uris = value.redirect_uris;
  if (uris !== undefined && !(Array.isArray(uris) && uris.every((u) => typeof u === "string"))) return false;
  return optional(value, "client_secret", "string") &&
    optional(value, "client_secret_expires_at", "number") &&
    optional(value, "token_endpoint_auth_method", "string");
}

function isTokenSet(value: unknown): value is TokenSet {
  if (!isObject(value)) return false;
  if (typeof value.access_token !== "string" || typeof value.token_type !== "string") return false;
  if (typeof value.obtained_at !== "number" || !Number.isFinite(value.obtained_at)) return false;
  return optional(value, "refresh_token", "string") && optional(value, "id_token", "string") &&
    optional(value, "scope", "string") && optional(value, "expires_at", "number");
}

/**
 * Whether a parsed value is a {@linkcode ServerRecord} of layout version 1. Unknown members are
 * allowed (a newer bridge may add some); known members must have their types.
 *
 * @example Usage
 * ```ts
 * import { isServerRecord } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isServerRecord({ version: 1, server_url: "https://example.com/mcp" }), true);
 * assert.equal(isServerRecord({ version: 2, server_url: "https://example.com/mcp" }), false);
 * ```
 *
 * @param value The parsed JSON.
 * @returns True when the bridge can use it.
 */
export function isServerRecord(value: unknown): value is ServerRecord {
  if (!isObject(value) || value.version !== 1 || typeof value.server_url !== "string") return false;
  if (value.client !== undefined && !isClientInfo(value.client)) return false;
  if (value.tokens !== undefined && !isTokenSet(value.tokens)) return false;
  if (
    value.idp !== undefined &&
    !(isObject(value.idp) && typeof value.idp.issuer === "string" &&
      typeof value.idp.client_id === "string" && isTokenSet(value.idp.tokens))
  ) return false;
  const bound = value.static_client;
  if (
    bound !== undefined &&
    !(isObject(bound) && typeof bound.client_id === "string" && typeof bound.issuer === "string")
  ) {
    return false;
  }
  if (value.dpop_key !== undefined && !(isObject(value.dpop_key) && typeof value.dpop_key.d === "string")) {
    return false;
  }
  return optional(value, "resource", "string") && optional(value, "issuer", "string") &&
    optional(value, "requested_scope", "string") && optional(value, "last_refresh", "number") &&
    optional(value, "needs_auth", "boolean");
}

/**
 * The secrets a stored record holds (tokens and a registered client's secret), to register with the
 * logger's redactor the moment the record is loaded.
 *
 * @example Usage
 * ```ts
 * import { recordSecrets } from "./record.ts";
 * import assert from "node:assert/strict";
 *
 * const record = { version: 1 as const, server_url: "https://mcp.example.com/mcp", tokens: { access_token: "at-1", token_type: "Bearer", obtained_at: 0 } };
 * assert.deepEqual(recordSecrets(record), ["at-1"]);
 * ```
 *
 * @param record The record, if any.
 * @returns The secrets, non-empty ones only.
 */
export function recordSecrets(record: ServerRecord | undefined): string[] {
  const all = [
    record?.tokens?.access_token,
    record?.tokens?.refresh_token,
    record?.tokens?.id_token,
    record?.idp?.tokens.access_token,
    record?.idp?.tokens.refresh_token,
    record?.idp?.tokens.id_token,
    record?.client?.client_secret,
    record?.dpop_key?.d,
  ];
  return all.filter((secret): secret is string => typeof secret === "string" && secret !== "");
}
