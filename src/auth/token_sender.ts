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
