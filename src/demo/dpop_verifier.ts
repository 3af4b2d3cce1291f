/**
 * The resource server's side of DPoP (RFC 9449 §7), for the demo's protected MCP server: the proof of a
 * request is checked against the request and the DPoP-bound access token it goes with; nonces are
 * issued and required when asked. JOSE is `jose`'s.
 *
 * @module
 */

import * as jose from "jose";

/** What one check found. */
export type DpopCheck = { ok: true; jti: string } | { ok: false; error: string; useNonce?: boolean };

/** Options for {@linkcode dpopVerifier}. */
export interface DpopVerifierOptions {
  /** Require the server's current nonce in every proof. */
  requireNonce: boolean;
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * A checker of DPoP proofs with its replay cache and its current nonce.
 *
 * @example Usage
 * ```ts ignore
 * import { dpopVerifier } from "./dpop_verifier.ts";
 * const dpop = dpopVerifier({ requireNonce: true });
 * const check = await dpop.check(request, token, claims.cnf?.jkt);
 * ```
 *
 * @param options Whether a nonce is required.
 * @returns The checker: `check()`, the `nonce` to hand out, and the `jti`s seen.
 */
export function dpopVerifier(options: DpopVerifierOptions): {
  check(request: Request, token: string, jkt: unknown): Promise<DpopCheck>;
  nonce: string;
  jtis: string[];
} {
  const jtis: string[] = [];
  const nonce = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  return {
    nonce,
    jtis,
    async check(request, token, jkt) {
      const proof = request.headers.get("dpop");
      if (!proof || proof.includes(",")) return { ok: false, error: "one DPoP proof is needed" };
      if (typeof jkt !== "string") return { ok: false, error: "the access token is not DPoP-bound" };
      let payload: jose.JWTPayload;
      let header: jose.JWTHeaderParameters;
      try {
        ({ payload, protectedHeader: header } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
          typ: "dpop+jwt",
          algorithms: ["ES256", "ES384", "PS256", "RS256", "EdDSA"],
          maxTokenAge: "60s",
          clockTolerance: 5,
        }));
      } catch (error) {
        return { ok: false, error: `bad proof: ${(error as Error).message}` };
      }
      const url = new URL(request.url);
      if (payload.htm !== request.method) return { ok: false, error: `htm ${payload.htm}` };
      if (payload.htu !== `${url.origin}${url.pathname}`) return { ok: false, error: `htu ${payload.htu}` };
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
      if (payload.ath !== base64Url(new Uint8Array(digest))) {
        return { ok: false, error: "ath does not match" };
      }
      if (await jose.calculateJwkThumbprint(header.jwk!) !== jkt) {
        return { ok: false, error: "the proof's key is not the token's" };
      }
      if (typeof payload.jti !== "string" || jtis.includes(payload.jti)) {
        return { ok: false, error: "jti replayed" };
      }
      if (options.requireNonce && payload.nonce !== nonce) {
        return { ok: false, error: "nonce required", useNonce: true };
      }
      jtis.push(payload.jti);
      return { ok: true, jti: payload.jti };
    },
  };
}
