/**
 * What an HTTP+SSE (2024-11-05) host message does after it failed, and whether a failed attempt to open
 * the event stream again is waited for (pure). The rules are those of `reconnect.ts`; what HTTP+SSE adds
 * is that a request has two halves: its POST, answered `202 Accepted`, and its response, which arrives on
 * the event stream. Once the server has answered:
 *
 * - a POST that never reached the server (no connection could be opened) or reached a session the
 *   server no longer knows (`404`: a restarted server) did not run: it is sent again on a new stream;
 * - a gateway's `503` (or `502`/`504` for a read-only request) is waited out like an outage;
 * - a request the server accepted whose response was lost with the stream ({@linkcode StreamLostError}),
 *   or whose POST broke after it was sent, may have run: only a read-only one ({@linkcode SAFE_TO_RESEND})
 *   is sent again, at most {@linkcode MAX_RESENDS} times; a `tools/call` gets one error that says so.
 *
 * @module
 */

import { isUnavailable, isUnreachable, MAX_RESENDS, SAFE_TO_RESEND } from "./reconnect.ts";
import { TransportError } from "./transport.ts";

/** How many times one message is moved to a new event stream because its POST found no session. */
export const MAX_RENEWALS = 3;

/**
 * The server accepted a request (its POST was answered) and the event stream that was to carry the
 * response ended first: the server may have run it.
 *
 * @example Usage
 * ```ts
 * import { StreamLostError } from "./sse_resend.ts";
 * import assert from "node:assert/strict";
 *
 * const lost = new StreamLostError("The event stream closed before the response arrived");
 * assert.equal(lost.outcomeUnknown, true);
 * ```
 */
export class StreamLostError extends TransportError {
  /**
   * Creates the error.
   *
   * @param message What happened, for the host when the request is not sent again.
   */
  constructor(message: string) {
    super(message, { outcomeUnknown: true });
    this.name = "StreamLostError";
  }
}

/** What a failed host message does next. */
export type SseResend =
  /** Send it again on the current stream, or on the next one once it is open. */
  | { action: "resend" }
  /** Its session is gone: drop the stream it used (a new one is opened) and send it there. */
  | { action: "renew" }
  /** Wait for the server within the reconnection bounds, then send it again. */
  | { action: "wait" }
  /** Give the failure to the host. */
  | { action: "fail" };

/** How often one message was sent again so far. */
export interface SseTries {
  /** Sent again after its answer was lost. */
  resent: number;
  /** Moved to a new stream. */
  renewed: number;
}

/**
 * Decides what a failed HTTP+SSE host message does next (see the module documentation).
 *
 * @example Usage
 * ```ts
 * import { sseResend, StreamLostError } from "./sse_resend.ts";
 * import { TransportError } from "./transport.ts";
 * import assert from "node:assert/strict";
 *
 * const tries = { resent: 0, renewed: 0 };
 * const refused = new TransportError("Cannot reach a: Connection refused", { unreachable: true });
 * const lost = new StreamLostError("The event stream closed before the response arrived");
 * assert.deepEqual(sseResend(refused, "tools/call", true, tries), { action: "renew" });
 * assert.deepEqual(sseResend(refused, "tools/call", false, tries), { action: "fail" });
 * assert.deepEqual(sseResend(lost, "tools/list", true, tries), { action: "resend" });
 * assert.deepEqual(sseResend(lost, "tools/list", true, { resent: 2, renewed: 0 }), { action: "fail" });
 * assert.deepEqual(sseResend(lost, "tools/call", true, tries), { action: "fail" });
 * ```
 *
 * @param error The failure.
 * @param method The JSON-RPC method of the message (`response` for the host's answers).
 * @param reachedOnce Whether the server has answered before (else nothing is sent again).
 * @param tries How often the message was sent again so far.
 * @returns The next step.
 */
export function sseResend(error: unknown, method: string, reachedOnce: boolean, tries: SseTries): SseResend {
  if (!reachedOnce || !(error instanceof TransportError) || error.permanent) return { action: "fail" };
  const sessionGone = error.status === 404 && error.serverResponse === undefined;
  if (isUnreachable(error) || sessionGone) {
    return tries.renewed < MAX_RENEWALS ? { action: "renew" } : { action: "fail" };
  }
  if (isUnavailable(error, method)) return { action: "wait" };
  if (error.outcomeUnknown && SAFE_TO_RESEND.has(method) && tries.resent < MAX_RESENDS) {
    return { action: "resend" };
  }
  return { action: "fail" };
}

/**
 * Whether a failed attempt to open the event stream again (and replay the host's handshake on it) is
 * waited for and tried again: anything but an answer that trying again cannot change (a refusal, a
 * certificate, a status other than a gateway's `502`/`503`/`504`). Once the stream was open, a `404` from
 * its message endpoint means that the session is already gone (the server dropped it again): that is
 * tried again too.
 *
 * @example Usage
 * ```ts
 * import { mayReopen } from "./sse_resend.ts";
 * import { TransportError } from "./transport.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mayReopen(new TransportError("Cannot reach a", { unreachable: true })), true);
 * assert.equal(mayReopen(new TransportError("HTTP 503", { status: 503 })), true);
 * assert.equal(mayReopen(new TransportError("HTTP 401", { status: 401 })), false);
 * assert.equal(mayReopen(new TransportError("bad certificate", { permanent: true })), false);
 * assert.equal(mayReopen(new TransportError("HTTP 404", { status: 404 })), false);
 * assert.equal(mayReopen(new TransportError("HTTP 404", { status: 404 }), true), true);
 * ```
 *
 * @param error Why the attempt failed.
 * @param streamOpened Whether the stream was open (the failure came from replaying the handshake on it).
 * @returns `true` when the attempt is tried again after a wait.
 */
export function mayReopen(error: unknown, streamOpened = false): boolean {
  if (!(error instanceof TransportError) || error.permanent) return false;
  if (streamOpened && error.status === 404 && error.serverResponse === undefined) return true;
  // Opening a stream and replaying `initialize` only read.
  return error.status === undefined || isUnavailable(error, "initialize");
}
