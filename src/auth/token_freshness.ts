/**
 * When stored tokens are still good to send: before their expiry, with a margin so that a request
 * does not carry a token that expires on the way.
 *
 * @module
 */

import type { TokenSet } from "./types.ts";

/** How long before expiry an access token is refreshed (at most). */
export const REFRESH_MARGIN_MS = 60_000;

/**
 * Whether tokens may be sent as they are: no expiry known, or more than the margin left (a minute, or
 * a fifth of the lifetime for short-lived tokens).
 *
 * @example Usage
 * ```ts
 * import { isUsable } from "./token_freshness.ts";
 * import assert from "node:assert/strict";
 *
 * const tokens = { access_token: "a", token_type: "Bearer", obtained_at: 0, expires_at: 3_600_000 };
 * assert.equal(isUsable(tokens, 1_000), true);
 * assert.equal(isUsable(tokens, 3_550_000), false);
 * assert.equal(isUsable(undefined, 0), false);
 * ```
 *
 * @param tokens The stored tokens.
 * @param now The time, milliseconds since the epoch.
 * @returns Whether to send them without refreshing first.
 */
export function isUsable(tokens: TokenSet | undefined, now: number): boolean {
  if (!tokens) return false;
  if (tokens.expires_at === undefined) return true;
  const margin = Math.min(REFRESH_MARGIN_MS, (tokens.expires_at - tokens.obtained_at) / 5);
  return tokens.expires_at - margin > now;
}
