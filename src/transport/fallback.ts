/**
 * The transport strategy: which transport the host's first message tries, and when a failure
 * switches to the other one. Pure decisions, no I/O.
 *
 * @module
 */

/** `--transport` values. */
export type TransportMode = "http-first" | "sse-first" | "http-only" | "sse-only";

/** The two wire transports of the 2025 era. */
export type TransportKind = "streamable-http" | "http+sse";

/** All `--transport` values, for parsing and help. */
export const TRANSPORT_MODES: readonly TransportMode[] = ["http-first", "sse-first", "http-only", "sse-only"];

/**
 * The transport tried first.
 *
 * @example Usage
 * ```ts
 * import { firstTransport } from "./fallback.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(firstTransport("sse-first"), "http+sse");
 * ```
 *
 * @param mode The `--transport` value.
 * @returns The transport to try first.
 */
export function firstTransport(mode: TransportMode): TransportKind {
  return mode === "http-first" || mode === "http-only" ? "streamable-http" : "http+sse";
}

/**
 * Whether the failure of the first connection attempt switches to the other transport. Spec
 * 2025-11-25 §Backwards Compatibility: a POSTed `initialize` failing with 400, 404 or 405 means an
 * HTTP+SSE server; the reverse direction uses the same statuses for a GET that is not an SSE stream.
 * Authorization failures (401, 403), server errors and network errors never fall back.
 *
 * @example Usage
 * ```ts
 * import { shouldFallBack } from "./fallback.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shouldFallBack("http-first", 405), "http+sse");
 * assert.equal(shouldFallBack("http-first", 401), undefined);
 * assert.equal(shouldFallBack("http-only", 404), undefined);
 * ```
 *
 * @param mode The `--transport` value.
 * @param status The HTTP status of the failed first attempt (`undefined` for a network error or a
 *   response that was not the expected kind, e.g. a GET answered without an SSE stream).
 * @param notAStream For the SSE direction: the GET succeeded but did not yield an SSE stream with an
 *   `endpoint` event.
 * @returns The transport to switch to, or `undefined` to report the failure.
 */
export function shouldFallBack(
  mode: TransportMode,
  status: number | undefined,
  notAStream = false,
): TransportKind | undefined {
  if (mode === "http-only" || mode === "sse-only") return undefined;
  const legacyStatus = status === 400 || status === 404 || status === 405;
  if (mode === "http-first") return legacyStatus ? "http+sse" : undefined;
  return legacyStatus || notAStream ? "streamable-http" : undefined;
}
