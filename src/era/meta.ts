/**
 * The per-request protocol fields of the modern era: the reserved `io.modelcontextprotocol/*` keys in
 * `params._meta`. The bridge stamps them on a legacy host's requests and reads them from a modern host's.
 *
 * @module
 */

/** `_meta` key: the protocol version of this request (required on every modern request). */
export const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";
/** `_meta` key: the client capabilities relevant to this request (required on every modern request). */
export const CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities";
/** `_meta` key: the client's name and version (clients SHOULD send it on every request). */
export const CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo";
/** `_meta` key: the minimum log level the server should emit for this request (optional). */
export const LOG_LEVEL_META_KEY = "io.modelcontextprotocol/logLevel";
/** `_meta` key: on a notification, the id of the `subscriptions/listen` request it belongs to. */
export const SUBSCRIPTION_ID_META_KEY = "io.modelcontextprotocol/subscriptionId";
/** `_meta` key: on a result, the server's name and version. */
export const SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo";

/** The name and version of an MCP implementation. */
export interface Implementation {
  /** The implementation's name. */
  name: string;
  /** The implementation's version. */
  version: string;
}

/** The per-request protocol fields the bridge stamps on a request. */
export interface StampMeta {
  /** The protocol version of the request; the caller sends the same value in `MCP-Protocol-Version`. */
  protocolVersion: string;
  /** The client capabilities for this request (an empty object declares none). */
  clientCapabilities: Record<string, unknown>;
  /** The client's name and version. */
  clientInfo: Implementation;
  /** The minimum log level; when absent, a log level the host put in `_meta` itself is kept. */
  logLevel?: string;
}

/** The per-request protocol fields read back from a request; a field is absent when missing or mistyped. */
export interface RequestMeta {
  /** `io.modelcontextprotocol/protocolVersion`, when a string. */
  protocolVersion?: string;
  /** `io.modelcontextprotocol/clientCapabilities`, when an object. */
  clientCapabilities?: Record<string, unknown>;
  /** `io.modelcontextprotocol/clientInfo`, when an object with string `name` and `version`. */
  clientInfo?: Implementation;
  /** `io.modelcontextprotocol/logLevel`, when a string. */
  logLevel?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isImplementation(value: unknown): value is Implementation {
  return isRecord(value) && typeof value.name === "string" && typeof value.version === "string";
}

/**
 * Returns a copy of a JSON-RPC request whose `params._meta` carries the modern per-request protocol fields.
 * The host's own `_meta` members (such as `progressToken` or trace context) and all other params are kept;
 * the stamped keys replace any the host sent. The input is not modified.
 *
 * @example Usage
 * ```ts
 * import { stampRequest } from "./meta.ts";
 * import assert from "node:assert/strict";
 *
 * const stamped = stampRequest(
 *   { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { progressToken: 7 } } },
 *   { protocolVersion: "2026-07-28", clientCapabilities: {}, clientInfo: { name: "host", version: "1.0.0" } },
 * );
 * assert.deepEqual(stamped.params, {
 *   _meta: {
 *     progressToken: 7,
 *     "io.modelcontextprotocol/protocolVersion": "2026-07-28",
 *     "io.modelcontextprotocol/clientCapabilities": {},
 *     "io.modelcontextprotocol/clientInfo": { name: "host", version: "1.0.0" },
 *   },
 * });
 * ```
 *
 * @param message The request (a parsed JSON-RPC object).
 * @param meta The protocol fields to stamp.
 * @returns A new message; `params` and `params._meta` are new objects.
 * @throws {TypeError} When `params` or `params._meta` is present but not a JSON object.
 */
export function stampRequest(message: Record<string, unknown>, meta: StampMeta): Record<string, unknown> {
  const params = message.params;
  if (params !== undefined && !isRecord(params)) {
    throw new TypeError(`Cannot stamp the request: params is not an object: ${JSON.stringify(params)}`);
  }
  const hostMeta = params?._meta;
  if (hostMeta !== undefined && !isRecord(hostMeta)) {
    throw new TypeError(
      `Cannot stamp the request: params._meta is not an object: ${JSON.stringify(hostMeta)}`,
    );
  }
  const stamped: Record<string, unknown> = {
    ...hostMeta,
    [PROTOCOL_VERSION_META_KEY]: meta.protocolVersion,
    [CLIENT_CAPABILITIES_META_KEY]: meta.clientCapabilities,
    [CLIENT_INFO_META_KEY]: { ...meta.clientInfo },
  };
  if (meta.logLevel !== undefined) stamped[LOG_LEVEL_META_KEY] = meta.logLevel;
  return { ...message, params: { ...params, _meta: stamped } };
}

/**
 * Reads the modern per-request protocol fields of a request (as a modern host sends them). A field that is
 * missing or of the wrong type is left out, so a request without `protocolVersion` is not a modern one.
 *
 * @example Usage
 * ```ts
 * import { requestMeta } from "./meta.ts";
 * import assert from "node:assert/strict";
 *
 * const meta = requestMeta({
 *   jsonrpc: "2.0",
 *   id: 1,
 *   method: "tools/list",
 *   params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
 * });
 * assert.deepEqual(meta, { protocolVersion: "2026-07-28" });
 * ```
 *
 * @param message The request (a parsed JSON-RPC object).
 * @returns The fields found.
 */
export function requestMeta(message: Record<string, unknown>): RequestMeta {
  const params = message.params;
  const meta = isRecord(params) ? params._meta : undefined;
  if (!isRecord(meta)) return {};
  const out: RequestMeta = {};
  const version = meta[PROTOCOL_VERSION_META_KEY];
  if (typeof version === "string") out.protocolVersion = version;
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  if (isRecord(capabilities)) out.clientCapabilities = capabilities;
  const info = meta[CLIENT_INFO_META_KEY];
  if (isImplementation(info)) out.clientInfo = info;
  const level = meta[LOG_LEVEL_META_KEY];
  if (typeof level === "string") out.logLevel = level;
  return out;
}

/**
 * Reads `io.modelcontextprotocol/serverInfo` from a result's `_meta` (servers SHOULD include it).
 *
 * @example Usage
 * ```ts
 * import { resultServerInfo } from "./meta.ts";
 * import assert from "node:assert/strict";
 *
 * const result = { resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "s", version: "2" } } };
 * assert.deepEqual(resultServerInfo(result), { name: "s", version: "2" });
 * assert.equal(resultServerInfo({ resultType: "complete" }), undefined);
 * ```
 *
 * @param result The JSON-RPC `result` object.
 * @returns The server's name and version, or `undefined` when absent or malformed.
 */
export function resultServerInfo(result: Record<string, unknown>): Implementation | undefined {
  const meta = result._meta;
  if (!isRecord(meta)) return undefined;
  const info = meta[SERVER_INFO_META_KEY];
  return isImplementation(info) ? info : undefined;
}
