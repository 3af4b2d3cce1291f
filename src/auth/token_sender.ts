/**
 * How a token is presented to the MCP server: today the `Bearer` scheme (RFC 6750), the access token
 * or, with `--use-id-token`, the OpenID `id_token`. A sender-constrained scheme (DPoP, RFC 9449) is a
 * second implementation of {@linkcode TokenSender}.
 *
 * @module
 */

import type { TokenSet } from "./types.ts";

/** Turns stored tokens into the `Authorization` value of a request. */
export interface TokenSender {
  /** The scheme, as sent. */
  readonly scheme: string;
  /**
   * The `Authorization` value for the tokens, `undefined` when they hold no token to send.
   *
   * @param tokens The stored tokens.
   * @param useIdToken Whether to send the `id_token` instead of the access token.
   */
  authorization(tokens: TokenSet, useIdToken: boolean): string | undefined;
}

/**
 * The `Bearer` scheme.
 *
 * @example Usage
 * ```ts
 * import { BEARER } from "./token_sender.ts";
 * import assert from "node:assert/strict";
 *
 * const tokens = { access_token: "at", token_type: "Bearer", obtained_at: 0 };
 * assert.equal(BEARER.authorization(tokens, false), "Bearer at");
 * assert.equal(BEARER.authorization(tokens, true), undefined);
 * ```
 */
export const BEARER: TokenSender = {
  scheme: "Bearer",
  authorization(tokens, useIdToken) {
    const token = useIdToken ? tokens.id_token : tokens.access_token;
    return token ? `Bearer ${token}` : undefined;
  },
};

/**
 * The `DPoP` scheme (RFC 9449 §7.1) for a DPoP-bound access token; every request also carries a proof
 * (`AuthHook.proof`). An `id_token` is never DPoP-bound: `--use-id-token` sends it as Bearer.
 *
 * @example Usage
 * ```ts
 * import { DPOP, senderFor } from "./token_sender.ts";
 * import assert from "node:assert/strict";
 *
 * const tokens = { access_token: "at", token_type: "DPoP", obtained_at: 0 };
 * assert.equal(senderFor(tokens), DPOP);
 * assert.equal(DPOP.authorization(tokens, false), "DPoP at");
 * ```
 */
export const DPOP: TokenSender = {
  scheme: "DPoP",
  authorization(tokens, useIdToken) {
    if (useIdToken) return BEARER.authorization(tokens, true);
    return tokens.access_token ? `DPoP ${tokens.access_token}` : undefined;
  },
};

/**
 * The sender for stored tokens: by their type.
 *
 * @param tokens The tokens.
 * @returns {@linkcode DPOP} for a DPoP-bound token, else {@linkcode BEARER}.
 */
export function senderFor(tokens: TokenSet): TokenSender {
  return tokens.token_type.toLowerCase() === "dpop" ? DPOP : BEARER;
}
