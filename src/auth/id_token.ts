/**
 * The checks of an OpenID Connect ID token the bridge received from an identity provider's token
 * endpoint (OpenID Connect Core §3.1.3.7, §12.2): the signature against the provider's published keys
 * (JOSE is `jose`'s, loaded only here), `iss` identical to the issuer, `aud` naming the bridge's client
 * (and `azp` naming it when there are several audiences), `exp` in the future and `iat` not in it
 * (a minute of tolerance), and the `nonce` of the authorization request; a refreshed one must match the
 * one it replaces (§12.2). Asymmetric algorithms only:
 * `none` and MACs are refused.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/** What the ID token must say. */
export interface IdTokenExpectations {
  /** The identity provider's issuer. */
  issuer: string;
  /** The bridge's client id there. */
  clientId: string;
  /** The `nonce` sent in the authorization request (absent for a refreshed ID token). */
  nonce?: string;
  /**
   * For a refreshed ID token, the claims of the one it replaces (§12.2): the same `sub`, the same `azp`
   * (or none when there was none), the same `auth_time` when there was one, and a `nonce` only if equal.
   */
  original?: Record<string, unknown>;
  /** The time, milliseconds since the epoch. */
  now: number;
}

/** The signature algorithms accepted. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/**
 * Verifies an ID token and returns its claims.
 *
 * @example Usage
 * ```ts
 * import { verifyIdToken } from "./id_token.ts";
 * import { exportJWK, generateKeyPair, SignJWT } from "jose";
 * import assert from "node:assert/strict";
 *
 * const { publicKey, privateKey } = await generateKeyPair("ES256");
 * const jwks = { keys: [{ ...(await exportJWK(publicKey)), alg: "ES256" }] };
 * const idToken = await new SignJWT({ nonce: "n-1" }).setProtectedHeader({ alg: "ES256" })
 *   .setIssuer("https://idp.example").setAudience("bridge").setSubject("ada")
 *   .setIssuedAt().setExpirationTime("5m").sign(privateKey);
 * const claims = await verifyIdToken(idToken, jwks, {
 *   issuer: "https://idp.example", clientId: "bridge", nonce: "n-1", now: Date.now(),
 * });
 * assert.equal(claims.sub, "ada");
 * ```
 *
 * @param idToken The compact JWS.
 * @param jwks The identity provider's key set (its `jwks_uri`).
 * @param expect What it must say.
 * @returns Its claims.
 * @throws {AuthError} When anything does not hold, saying what.
 */
export async function verifyIdToken(
  idToken: string,
  jwks: unknown,
  expect: IdTokenExpectations,
): Promise<Record<string, unknown>> {
  const jose = await import("jose");
  const refuse = (why: string, cause?: unknown) =>
    new AuthError(`Refusing the ID token of ${expect.issuer}: ${why}`, cause ? { cause } : {});
  if (typeof jwks !== "object" || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw refuse("its jwks_uri holds no key set");
  }
  let payload: Record<string, unknown>;
  try {
    const keys = jose.createLocalJWKSet(jwks as Parameters<typeof jose.createLocalJWKSet>[0]);
    ({ payload } = await jose.jwtVerify(idToken, keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: ALGORITHMS,
      currentDate: new Date(expect.now),
      clockTolerance: 60,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    const why = code === "ERR_JWT_EXPIRED"
      ? "it has expired"
      : code === "ERR_JWT_CLAIM_VALIDATION_FAILED"
      ? `its "${(error as { claim?: string }).claim}" claim is wrong`
      : code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" || code === "ERR_JWKS_NO_MATCHING_KEY"
      ? "its signature does not verify with the provider's keys"
      : code === "ERR_JOSE_ALG_NOT_ALLOWED"
      ? "it is not signed with an asymmetric algorithm"
      : "it is not a valid signed JWT";
    throw refuse(why, error);
  }
  if (typeof payload.iat === "number" && payload.iat * 1000 > expect.now + 60_000) {
    throw refuse("it was issued in the future");
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length > 1 && payload.azp !== expect.clientId) {
    throw refuse("it names several audiences and another authorized party");
  }
  if (expect.nonce !== undefined && payload.nonce !== expect.nonce) {
    throw refuse("its nonce is not the one of this sign-in");
  }
  const original = expect.original;
  if (original !== undefined) {
    if (payload.sub !== original.sub) throw refuse("it names another user than the sign-in did");
    if (payload.azp !== original.azp) throw refuse("its authorized party is not the sign-in's");
    if (original.auth_time !== undefined && payload.auth_time !== original.auth_time) {
      throw refuse("its auth_time is not the sign-in's");
    }
    if (payload.nonce !== undefined && payload.nonce !== original.nonce) {
      throw refuse("its nonce is not the sign-in's");
    }
  }
  return payload;
}
