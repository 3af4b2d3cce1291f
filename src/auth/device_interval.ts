/**
 * The polling interval of the device authorization grant (RFC 8628 §3.2, §3.5): at least 5 seconds
 * whatever the server says (5 is the default when it says nothing), and 5 seconds more after each
 * `slow_down`. Pure: the poll loop in `token_client.ts` does the waiting.
 *
 * @module
 */

/** The shortest interval between two polls, in seconds (RFC 8628 §3.5's default). */
export const MIN_POLL_INTERVAL_SECONDS = 5;

/** What `slow_down` adds to the interval, in seconds (RFC 8628 §3.5). */
export const SLOW_DOWN_SECONDS = 5;

/**
 * The first polling interval, from the `interval` of a device authorization response: a
 * non-negative number (or numeric string) of seconds, raised to {@linkcode MIN_POLL_INTERVAL_SECONDS};
 * anything else means the default.
 *
 * @example Usage
 * ```ts
 * import { pollIntervalSeconds } from "./device_interval.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(pollIntervalSeconds(undefined), 5);
 * assert.equal(pollIntervalSeconds(0), 5);
 * assert.equal(pollIntervalSeconds("12"), 12);
 * assert.equal(pollIntervalSeconds(-3), 5);
 * ```
 *
 * @param serverInterval The `interval` member as the server sent it.
 * @returns Seconds to wait before the first poll.
 */
export function pollIntervalSeconds(serverInterval: unknown): number {
  const value = typeof serverInterval === "string" && serverInterval.trim() !== ""
    ? Number(serverInterval)
    : serverInterval;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return MIN_POLL_INTERVAL_SECONDS;
  return Math.max(MIN_POLL_INTERVAL_SECONDS, value);
}

/**
 * The interval before the next poll, after the token endpoint answered `oauthError`: 5 seconds more
 * after `slow_down`, the same otherwise; never below {@linkcode MIN_POLL_INTERVAL_SECONDS}.
 *
 * @example Usage
 * ```ts
 * import { nextPollInterval } from "./device_interval.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nextPollInterval(5, "authorization_pending"), 5);
 * assert.equal(nextPollInterval(5, "slow_down"), 10);
 * assert.equal(nextPollInterval(0, "authorization_pending"), 5);
 * ```
 *
 * @param current The interval used so far, in seconds.
 * @param oauthError The OAuth `error` of the last poll (`authorization_pending`, `slow_down`).
 * @returns Seconds to wait before the next poll.
 */
export function nextPollInterval(current: number, oauthError: string | undefined): number {
  const base = Math.max(MIN_POLL_INTERVAL_SECONDS, Number.isFinite(current) ? current : 0);
  return oauthError === "slow_down" ? base + SLOW_DOWN_SECONDS : base;
}
