/**
 * Multi round-trip requests (MRTR, 2026-07-28 basic/patterns/mrtr): reading an `InputRequiredResult` and
 * building the retry's params. The retry itself (a new request with a new JSON-RPC id) is the caller's.
 *
 * @module
 */

/** The methods an input request may carry. */
export type InputMethod = "elicitation/create" | "sampling/createMessage" | "roots/list";

/** One server-to-client request embedded in an `InputRequiredResult`. */
export interface InputRequest {
  /** The server-assigned key; the response goes under the same key in `inputResponses`. */
  key: string;
  /** The request's method. */
  method: InputMethod;
  /** The request's params, when present. */
  params: Record<string, unknown> | undefined;
}

/** A parsed `InputRequiredResult`. */
export interface InputRequired {
  /** The embedded requests, in the order the server listed them (empty for a state-only result). */
  requests: InputRequest[];
  /** The opaque state to echo byte for byte; absent when the server sent none. */
  requestState?: string;
}

const METHODS: ReadonlySet<string> = new Set(["elicitation/create", "sampling/createMessage", "roots/list"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The `resultType` of a result; an absent one means `"complete"` (results from earlier protocol versions
 * have none). Any other string is returned as it is: the caller must treat an unrecognised type as invalid.
 *
 * @example Usage
 * ```ts
 * import { resultType } from "./mrtr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resultType({ content: [] }), "complete");
 * assert.equal(resultType({ resultType: "input_required", requestState: "s" }), "input_required");
 * ```
 *
 * @param result The JSON-RPC `result` object.
 * @returns The result type.
 * @throws {TypeError} When `resultType` is present but not a string.
 */
export function resultType(result: Record<string, unknown>): "complete" | "input_required" | string {
  const type = result.resultType;
  if (type === undefined) return "complete";
  if (typeof type !== "string") {
    throw new TypeError(`Invalid result: resultType is not a string: ${JSON.stringify(type)}`);
  }
  return type;
}

/**
 * Reads an `InputRequiredResult`: its `inputRequests` (each an `elicitation/create`,
 * `sampling/createMessage` or `roots/list` request) and its `requestState`. The result must carry at
 * least one of a non-empty `inputRequests` or a `requestState`.
 *
 * @example Usage
 * ```ts
 * import { parseInputRequired } from "./mrtr.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseInputRequired({
 *   resultType: "input_required",
 *   inputRequests: { login: { method: "elicitation/create", params: { mode: "form", message: "Name?" } } },
 *   requestState: "opaque",
 * });
 * assert.deepEqual(parsed, {
 *   requests: [{ key: "login", method: "elicitation/create", params: { mode: "form", message: "Name?" } }],
 *   requestState: "opaque",
 * });
 * ```
 *
 * @param result The JSON-RPC `result` object.
 * @returns The requests and the state.
 * @throws {TypeError} When the result is not a well-formed `InputRequiredResult`, or names a method other
 * than the three allowed.
 */
export function parseInputRequired(result: Record<string, unknown>): InputRequired {
  const type = resultType(result);
  if (type !== "input_required") {
    throw new TypeError(
      `Invalid input-required result: resultType is not "input_required": ${JSON.stringify(type)}`,
    );
  }
  const state = result.requestState;
  if (state !== undefined && typeof state !== "string") {
    throw new TypeError(
      `Invalid input-required result: requestState is not a string: ${JSON.stringify(state)}`,
    );
  }
  const raw = result.inputRequests;
  if (raw !== undefined && !isRecord(raw)) {
    throw new TypeError(
      `Invalid input-required result: inputRequests is not an object: ${JSON.stringify(raw)}`,
    );
  }
  const requests: InputRequest[] = [];
  for (const [key, request] of Object.entries(raw ?? {})) {
    if (!isRecord(request)) {
      throw new TypeError(`Invalid input request "${key}": not an object: ${JSON.stringify(request)}`);
    }
    const method = request.method;
    if (typeof method !== "string" || !METHODS.has(method)) {
      throw new TypeError(`Invalid input request "${key}": unsupported method: ${JSON.stringify(method)}`);
    }
    const params = request.params;
    if (params !== undefined && !isRecord(params)) {
      throw new TypeError(
        `Invalid input request "${key}": params is not an object: ${JSON.stringify(params)}`,
      );
    }
    requests.push({ key, method: method as InputMethod, params });
  }
  if (requests.length === 0 && state === undefined) {
    throw new TypeError("Invalid input-required result: neither inputRequests nor requestState is present");
  }
  return state === undefined ? { requests } : { requests, requestState: state };
}

/**
 * The params of the retry of an original request: the original params, with `inputResponses` and
 * `requestState` set for this round (any from an earlier round are dropped). `requestState` is copied
 * exactly as given and left out when `undefined`; `inputResponses` is left out when empty (a state-only
 * round). Everything else, `_meta` included, is kept. The original params are not modified.
 *
 * @example Usage
 * ```ts
 * import { retryParams } from "./mrtr.ts";
 * import assert from "node:assert/strict";
 *
 * const retry = retryParams(
 *   { name: "deploy", arguments: { env: "prod" }, requestState: "old" },
 *   { confirm: { action: "accept", content: { ok: true } } },
 *   undefined,
 * );
 * assert.deepEqual(retry, {
 *   name: "deploy",
 *   arguments: { env: "prod" },
 *   inputResponses: { confirm: { action: "accept", content: { ok: true } } },
 * });
 * ```
 *
 * @param original The params of the original request.
 * @param responses The responses by input-request key.
 * @param requestState The state from the `InputRequiredResult`, or `undefined` when it had none.
 * @returns New params for the retry.
 */
export function retryParams(
  original: Record<string, unknown> | undefined,
  responses: Record<string, unknown>,
  requestState: string | undefined,
): Record<string, unknown> {
  const params: Record<string, unknown> = { ...original };
  delete params.inputResponses;
  delete params.requestState;
  if (Object.keys(responses).length > 0) params.inputResponses = { ...responses };
  if (requestState !== undefined) params.requestState = requestState;
  return params;
}
