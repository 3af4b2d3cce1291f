/**
 * The JSON-RPC envelope: just enough of a message to route it, and the error responses the bridge
 * writes itself. A forwarded message is never re-serialised: the router keeps the original text.
 *
 * @module
 */

/** A JSON-RPC request id: a string or a number (never `null` in a request). */
export type JsonRpcId = string | number;

/** What the router needs to know about one message. */
export type Envelope =
  | { kind: "request"; id: JsonRpcId; method: string; value: Record<string, unknown> }
  | { kind: "notification"; method: string; value: Record<string, unknown> }
  | { kind: "response"; id: JsonRpcId | null; value: Record<string, unknown> }
  | { kind: "invalid"; id: JsonRpcId | null; reason: string };

/** JSON-RPC 2.0 error codes used by the bridge. */
export const ErrorCode = {
  /** Invalid JSON was received. */
  ParseError: -32700,
  /** The JSON sent is not a valid request object. */
  InvalidRequest: -32600,
  /** The method does not exist (a 2026-07-28 server answers it with HTTP 404). */
  MethodNotFound: -32601,
  /** Invalid method parameters (also: unknown or blocked tool). */
  InvalidParams: -32602,
  /** Internal error. */
  InternalError: -32603,
  /** The bridge could not get an answer from the remote server (network, HTTP or stream failure). */
  TransportError: -32000,
  /** 2026-07-28 `HeaderMismatch`: headers missing, malformed or not matching the body (HTTP 400). */
  HeaderMismatch: -32020,
  /** 2026-07-28 `MissingRequiredClientCapability`: the request needs an undeclared capability (HTTP 400). */
  MissingRequiredClientCapability: -32021,
  /** 2026-07-28 `UnsupportedProtocolVersion`: the server does not implement the requested version. */
  UnsupportedProtocolVersion: -32022,
} as const;

/** The error codes only a 2026-07-28 server sends. */
export const MODERN_ERROR_CODES: readonly number[] = [
  ErrorCode.HeaderMismatch,
  ErrorCode.MissingRequiredClientCapability,
  ErrorCode.UnsupportedProtocolVersion,
];

function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/**
 * Classifies an already parsed JSON value as a JSON-RPC request, notification or response.
 *
 * @example Usage
 * ```ts
 * import { classify } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const env = classify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
 * assert.equal(env.kind, "request");
 * ```
 *
 * @param value The parsed JSON value.
 * @returns The envelope.
 */
export function classify(value: unknown): Envelope {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      kind: "invalid",
      id: null,
      reason: Array.isArray(value) ? "batches are not supported" : "not a JSON object",
    };
  }
  const v = value as Record<string, unknown>;
  const hasId = "id" in v;
  const id = v.id;
  if (v.jsonrpc !== "2.0") {
    return { kind: "invalid", id: isId(id) ? id : null, reason: 'missing "jsonrpc": "2.0"' };
  }
  if (typeof v.method === "string") {
    if (!hasId) return { kind: "notification", method: v.method, value: v };
    if (isId(id)) return { kind: "request", id, method: v.method, value: v };
    return { kind: "invalid", id: null, reason: "the request id must be a string or a number" };
  }
  if ("result" in v || "error" in v) {
    return { kind: "response", id: isId(id) ? id : null, value: v };
  }
  return {
    kind: "invalid",
    id: isId(id) ? id : null,
    reason: "neither a request, a notification nor a response",
  };
}

/**
 * Parses one line of text as a JSON-RPC message.
 *
 * @example Usage
 * ```ts
 * import { parseMessage } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseMessage("{oops").kind, "invalid");
 * assert.equal(parseMessage('{"jsonrpc":"2.0","method":"x"}').kind, "notification");
 * ```
 *
 * @param text The message text.
 * @returns The envelope; `invalid` with reason `parse` when the text is not JSON.
 */
export function parseMessage(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "invalid", id: null, reason: `parse: ${(error as Error).message}` };
  }
  return classify(value);
}

/**
 * Builds the text of a JSON-RPC error response.
 *
 * @example Usage
 * ```ts
 * import { errorResponse, ErrorCode } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * const text = errorResponse(7, ErrorCode.InternalError, "Boom");
 * assert.deepEqual(JSON.parse(text), { jsonrpc: "2.0", id: 7, error: { code: -32603, message: "Boom" } });
 * ```
 *
 * @param id The id of the request answered (`null` when it could not be read).
 * @param code The JSON-RPC error code.
 * @param message A sentence that says what happened and what to try.
 * @param data Optional structured detail.
 * @returns The serialised response (no trailing newline).
 */
export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): string {
  const error: Record<string, unknown> = { code, message };
  if (data !== undefined) error.data = data;
  return JSON.stringify({ jsonrpc: "2.0", id, error });
}

/**
 * A key for a JSON-RPC id that keeps `1` and `"1"` apart.
 *
 * @example Usage
 * ```ts
 * import { idKey } from "./message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(idKey(1), idKey("1"));
 * ```
 *
 * @param id The id.
 * @returns A string key.
 */
export function idKey(id: JsonRpcId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}
