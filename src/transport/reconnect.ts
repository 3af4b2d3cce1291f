/**
 * When and how long to try again after the server could not be reached: exponential backoff with full
 * jitter, each wait at most `maxDelayMs`, the whole outage at most `maxDurationMs` (`--reconnect-max-delay`,
 * `--reconnect-max-duration`, off with `--no-reconnect`). Pure: the transports do the waiting.
 *
 * Only a request that never reached the server is sent again: a connection that could not be opened. A
 * request whose connection broke after it was sent may have run on the server (`outcomeUnknown`): it is
 * sent again only when running it twice changes nothing (the read-only methods of {@linkcode SAFE_TO_RESEND}),
 * at once and at most twice (a server that keeps cutting its streams must not make a read loop; one that
 * went away then fails to connect, which is waited for); a `tools/call` gets an error that says the
 * outcome is unknown. A failure no retry can fix (`permanent`: a
 * certificate, proxy credentials) is reported at once, as is every answer the server gave (an HTTP status).
 *
 * @module
 */

import { TransportError } from "./transport.ts";

/** The reconnection bounds. */
export interface ReconnectSettings {
  /** Whether to try again at all (`--no-reconnect` turns it off). */
  enabled: boolean;
  /** The first wait (before jitter). */
  initialDelayMs: number;
  /** The longest wait between two attempts (`--reconnect-max-delay`). */
  maxDelayMs: number;
  /** The longest an outage may last before requests fail (`--reconnect-max-duration`). */
  maxDurationMs: number;
}

/** The defaults: waits from 0.5 s up to 30 s, for at most 5 minutes. */
export const DEFAULT_RECONNECT: ReconnectSettings = Object.freeze({
  enabled: true,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxDurationMs: 5 * 60_000,
});

/** No reconnection (`--no-reconnect`). */
export const NO_RECONNECT: ReconnectSettings = Object.freeze({ ...DEFAULT_RECONNECT, enabled: false });

/**
 * Whether a failure means the request never reached the server, so that sending it again is safe.
 *
 * @example Usage
 * ```ts
 * import { isUnreachable } from "./reconnect.ts";
 * import { TransportError } from "./transport.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isUnreachable(new TransportError("Cannot reach a: Connection refused")), true);
 * assert.equal(isUnreachable(new TransportError("HTTP 500", { status: 500 })), false);
 * assert.equal(isUnreachable(new TransportError("broke", { outcomeUnknown: true })), false);
 * ```
 *
 * @param error The failure.
 * @returns `true` for a connection that could not be opened.
 */
export function isUnreachable(error: unknown): boolean {
  return error instanceof TransportError && error.status === undefined && !error.outcomeUnknown &&
    !error.permanent && !error.tooLarge && !error.notAStream && error.serverResponse === undefined &&
    error.unreachable;
}

/** How many times a read-only request whose answer was lost is sent again, at once (see the module). */
export const MAX_RESENDS = 2;

/** The methods that only read: sending one twice changes nothing on the server. */
export const SAFE_TO_RESEND: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "tools/list",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "logging/setLevel",
  "server/discover",
]);

/**
 * Whether a gateway answered for a server that is away (a deploy, a restart behind a load balancer): `503`
 * means the request was not processed, so any request may be sent again; after `502` or `504` the server may
 * have got it, so only a read-only one is. The server's own JSON-RPC error is an answer, never an outage.
 *
 * @example Usage
 * ```ts
 * import { isUnavailable } from "./reconnect.ts";
 * import { TransportError } from "./transport.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isUnavailable(new TransportError("HTTP 503", { status: 503 }), "tools/call"), true);
 * assert.equal(isUnavailable(new TransportError("HTTP 502", { status: 502 }), "tools/call"), false);
 * assert.equal(isUnavailable(new TransportError("HTTP 502", { status: 502 }), "tools/list"), true);
 * ```
 *
 * @param error The failure.
 * @param method The JSON-RPC method of the request.
 * @returns `true` when it is an outage the request may wait out.
 */
export function isUnavailable(error: unknown, method: string): boolean {
  if (!(error instanceof TransportError) || error.serverResponse !== undefined) return false;
  if (error.status === 503) return true;
  return (error.status === 502 || error.status === 504) && SAFE_TO_RESEND.has(method);
}

/**
 * Whether a failed request may be sent again once the server can be reached: it never reached the
 * server, or it only reads.
 *
 * @example Usage
 * ```ts
 * import { mayResend } from "./reconnect.ts";
 * import { TransportError } from "./transport.ts";
 * import assert from "node:assert/strict";
 *
 * const broke = new TransportError("broke after sending", { outcomeUnknown: true });
 * assert.equal(mayResend(broke, "tools/list"), true);
 * assert.equal(mayResend(broke, "tools/call"), false);
 * ```
 *
 * @param error The failure.
 * @param method The JSON-RPC method of the request.
 * @returns `true` when sending it again is safe.
 */
export function mayResend(error: unknown, method: string): boolean {
  if (isUnreachable(error) || isUnavailable(error, method)) return true;
  return error instanceof TransportError && error.outcomeUnknown && !error.permanent &&
    SAFE_TO_RESEND.has(method);
}

/**
 * The wait before attempt `attempt` (1 for the first retry): a random time up to
 * `initialDelayMs × 2^(attempt-1)`, capped at `maxDelayMs` (full jitter, so that many bridges that lost
 * the same server do not come back at the same moment).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_RECONNECT, reconnectDelay } from "./reconnect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(reconnectDelay(1, DEFAULT_RECONNECT, () => 1), 500);
 * assert.equal(reconnectDelay(20, DEFAULT_RECONNECT, () => 1), 30_000);
 * assert.equal(reconnectDelay(3, DEFAULT_RECONNECT, () => 0), 0);
 * ```
 *
 * @param attempt The retry number, from 1.
 * @param settings The bounds.
 * @param random A number in [0, 1] (default `Math.random`).
 * @returns The wait in milliseconds.
 */
export function reconnectDelay(attempt: number, settings: ReconnectSettings, random = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling * random());
}

/**
 * Whether another attempt fits in the outage budget: the wait must end before `maxDurationMs` has passed
 * since the first failure.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_RECONNECT, mayRetry } from "./reconnect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mayRetry(0, 10_000, 1_000, DEFAULT_RECONNECT), true);
 * assert.equal(mayRetry(0, 299_500, 1_000, DEFAULT_RECONNECT), false);
 * ```
 *
 * @param since When the outage began (ms, any clock).
 * @param now Now (same clock).
 * @param wait The wait before the next attempt.
 * @param settings The bounds.
 * @returns `true` when the bridge should try again after `wait`.
 */
export function mayRetry(since: number, now: number, wait: number, settings: ReconnectSettings): boolean {
  return settings.enabled && now + wait - since < settings.maxDurationMs;
}
