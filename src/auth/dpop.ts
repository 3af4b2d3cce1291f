/**
 * DPoP (RFC 9449): sender-constrained tokens. One ES256 key pair per stored record (per issuer), kept
 * for the tokens' lifetime so that a refresh is bound to the same key; a fresh proof (`typ: dpop+jwt`,
 * the public key in the header, a new `jti`, `htm`, `htu` without query and fragment, `iat`, `ath` for a
 * resource request, the server's `nonce` once it gave one) for every request. JOSE is `jose`'s, loaded
 * with the first proof.
 *
 * The private key lives in the record (the file store writes it 0600; its private member is registered
 * with the redactor when loaded), because a refresh token bound to a key that a restart forgot is
 * useless. Nonces are kept per origin, in memory only.
 *
 * @module
 */

/** The only algorithm the bridge signs proofs with. */
export const DPOP_ALG = "ES256";

/** What a proof is for. */
export interface ProofTarget {
  /** The HTTP method. */
  method: string;
  /** The request URL (its query and fragment are left out of `htu`). */
  url: URL;
  /** The access token the request carries (a resource request): its hash goes in `ath`. */
  accessToken?: string;
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The `htu` of a URL: without query and fragment (RFC 9449 §4.2). */
export function htu(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Signs DPoP proofs with one key, and remembers the servers' nonces. */
export class DpopProver {
  #privateKey: CryptoKey;
  #publicJwk: JsonWebKey;
  #nonces = new Map<string, string>();
  #now: () => number;

  private constructor(privateKey: CryptoKey, publicJwk: JsonWebKey, now: () => number) {
    this.#privateKey = privateKey;
    this.#publicJwk = publicJwk;
    this.#now = now;
  }

  /**
   * A new key pair; returns the prover and the private JWK to store.
   *
   * @example Usage
   * ```ts
   * import { DpopProver } from "./dpop.ts";
   * import assert from "node:assert/strict";
   *
   * const { prover, jwk } = await DpopProver.generate();
   * assert.equal(jwk.crv, "P-256");
   * const proof = await prover.proof({ method: "POST", url: new URL("https://as.example/token?x=1") });
   * assert.equal(JSON.parse(atob(proof.split(".")[0]!)).typ, "dpop+jwt");
   * ```
   *
   * @param now The clock, milliseconds since the epoch.
   * @returns The prover and its private JWK.
   */
  static async generate(now: () => number = Date.now): Promise<{ prover: DpopProver; jwk: JsonWebKey }> {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]);
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    return { prover: await DpopProver.fromJwk(jwk, now), jwk };
  }

  /**
   * The prover of a stored private JWK (imported not extractable).
   *
   * @param jwk The private JWK (P-256).
   * @param now The clock, milliseconds since the epoch.
   * @returns The prover.
   */
  static async fromJwk(jwk: JsonWebKey, now: () => number = Date.now): Promise<DpopProver> {
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") {
      throw new TypeError("Cannot use the stored DPoP key: it is not a private P-256 key");
    }
    const privateKey = await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, d: jwk.d },
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    return new DpopProver(privateKey, { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, now);
  }

  /**
   * Remembers a server's nonce (`DPoP-Nonce`) for the next proofs to its origin.
   *
   * @param url Where it came from.
   * @param nonce The nonce (ignored when absent or unreasonably long).
   * @returns Whether it is a new one for that origin.
   */
  rememberNonce(url: URL, nonce: string | null): boolean {
    if (nonce === null || nonce === "" || nonce.length > 1024) return false;
    if (this.#nonces.get(url.origin) === nonce) return false;
    this.#nonces.set(url.origin, nonce);
    return true;
  }

  /**
   * Whether a nonce is known for an origin.
   *
   * @param url A URL of the origin.
   * @returns Whether the next proof there carries a nonce.
   */
  hasNonce(url: URL): boolean {
    return this.#nonces.has(url.origin);
  }

  /**
   * A fresh proof for one request.
   *
   * @param target The method, the URL and, for a resource request, the access token.
   * @returns The compact JWS for the `DPoP` header.
   */
  async proof(target: ProofTarget): Promise<string> {
    const jose = await import("jose");
    const nonce = this.#nonces.get(target.url.origin);
    const claims: Record<string, unknown> = { htm: target.method.toUpperCase(), htu: htu(target.url) };
    if (target.accessToken !== undefined) {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(target.accessToken));
      claims.ath = base64Url(new Uint8Array(digest));
    }
    if (nonce !== undefined) claims.nonce = nonce;
    return await new jose.SignJWT(claims)
      .setProtectedHeader({ typ: "dpop+jwt", alg: DPOP_ALG, jwk: this.#publicJwk as Record<string, string> })
      .setJti(crypto.randomUUID())
      .setIssuedAt(Math.floor(this.#now() / 1000))
      .sign(this.#privateKey);
  }
}
