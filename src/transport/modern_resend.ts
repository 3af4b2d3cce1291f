/**
 * What a 2026-07-28 request does after it failed (pure). Two rules meet here:
 *
 * - The era's own: "A broken response stream loses the in-flight request; clients MUST re-issue it as
 *   a new request with a new request ID" (2026-07-28 changelog, SEP-2575; no `Last-Event-ID` any more).
 *   Closing a request's stream is its cancellation, which the server MUST act on, so a request whose
 *   SSE response stream ended before its response ({@linkcode StreamCutError}) is re-issued, whatever
 *   its method.
 * - `reconnect.ts`'s, for every other failure: once the server has answered, a request that never
 *   reached it (unreachable), met a gateway's `503`, or only reads waits for the server and is sent
 *   again; anything else — a `tools/call` whose connection broke after it was sent and before any
 *   answer (`outcomeUnknown`) — goes to the host, whose error says the outcome is unknown.
 *
 * @module
 */

import { StreamCutError } from "./modern_http.ts";
import { isUnreachable, mayResend } from "./reconnect.ts";

/**
 * What to do: re-issue at once under a new id, wait for the server and send again (under a new id when
 * the server may have seen the request), or give the failure to the host.
 */
export type ModernResend =
  | { action: "reissue" }
  | { action: "wait"; newId: boolean }
  | { action: "fail" };

/** `subscriptions/listen` only reads: it is judged like `resources/subscribe`, which it replaces. */
function readOnlyName(method: string): string {
  return method === "subscriptions/listen" ? "resources/subscribe" : method;
}

/**
 * Decides what a failed 2026-07-28 request does next (see the module documentation).
 *
 * @example Usage
 * ```ts
 * import { modernResend } from "./modern_resend.ts";
 * import { StreamCutError } from "./modern_http.ts";
 * import { TransportError } from "./transport.ts";
 * import assert from "node:assert/strict";
 *
 * const refused = new TransportError("Cannot reach a: Connection refused", { unreachable: true });
 * const broke = new TransportError("broke after sending", { outcomeUnknown: true });
 * assert.deepEqual(modernResend(new StreamCutError("a"), "tools/call", true), { action: "reissue" });
 * assert.deepEqual(modernResend(refused, "tools/call", true), { action: "wait", newId: false });
 * assert.deepEqual(modernResend(refused, "tools/call", false), { action: "fail" });
 * assert.deepEqual(modernResend(broke, "tools/list", true), { action: "wait", newId: true });
 * assert.deepEqual(modernResend(broke, "tools/call", true), { action: "fail" });
 * ```
 *
 * @param error The failure.
 * @param method The JSON-RPC method of the request.
 * @param reachedOnce Whether the server has answered before (else nothing is waited for).
 * @returns The next step.
 */
export function modernResend(error: unknown, method: string, reachedOnce: boolean): ModernResend {
  if (error instanceof StreamCutError) return { action: "reissue" };
  if (reachedOnce && mayResend(error, readOnlyName(method))) {
    return { action: "wait", newId: !isUnreachable(error) };
  }
  return { action: "fail" };
}
