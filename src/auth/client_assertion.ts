/**
 * Signed JWTs of the client's own (RFC 7523): the client assertion of `private_key_jwt` client
 * authentication (§2.2), signed with the private key of `--static-oauth-client-info`. JOSE is `jose`'s
 * (never hand-written); it is loaded only when a private key is configured.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/** The asymmetric algorithms a client assertion may be signed with (never `none`, never a MAC). */
export const ASSERTION_ALGORITHMS: readonly string[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** A private key imported for signing (not extractable), with its algorithm and key id. */
export interface SigningKey {
  /** The key. */
  key: CryptoKey;
  /** The JWS algorithm. */
  alg: string;
  /** The key id (`kid`), when the JWK had one. */
  kid?: string;
}

/**
 * Imports a private key given as PKCS#8 PEM text or as a JWK (an object, or its JSON text).
 *
 * @example Usage
 * ```ts
 * import { importSigningKey } from "./client_assertion.ts";
 * import assert from "node:assert/strict";
 *
 * const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
 * const jwk = await crypto.subtle.exportKey("jwk", privateKey);
 * const key = await importSigningKey({ ...jwk, kid: "k1" }, "ES256", "--static-oauth-client-info");
 * assert.equal(key.alg, "ES256");
 * assert.equal(key.kid, "k1");
 * ```
 *
 * @param material The PEM text, or the JWK.
 * @param alg The algorithm (default: the JWK's `alg`, else `RS256`).
 * @param flag The flag the key came from, for messages.
 * @returns The key.
 * @throws {AuthError} When the key cannot be used.
 */
export async function importSigningKey(
  material: string | Record<string, unknown>,
  alg: string | undefined,
  flag: string,
): Promise<SigningKey> {
  const jose = await import("jose");
  let jwk: Record<string, unknown> | undefined;
  if (typeof material === "string" && material.trim().startsWith("{")) {
    try {
      jwk = JSON.parse(material);
    } catch (error) {
      throw new AuthError(
        `Cannot use the private key of ${flag}: it is not JSON (${(error as Error).message})`,
      );
    }
  } else if (typeof material === "object") jwk = material;
  const chosen = alg ?? (typeof jwk?.alg === "string" ? jwk.alg : "RS256");
  if (!ASSERTION_ALGORITHMS.includes(chosen)) {
    throw new AuthError(
      `Cannot use the private key of ${flag}: the algorithm "${chosen}" is not one for client assertions ` +
        `(${ASSERTION_ALGORITHMS.join(", ")})`,
    );
  }
  try {
    if (jwk) {
      if (typeof jwk.d !== "string") {
        throw new Error("the JWK has no private part (d)");
      }
      const key = await jose.importJWK(jwk as Parameters<typeof jose.importJWK>[0], chosen, {
        extractable: false,
      });
      if (!(key instanceof CryptoKey)) throw new Error("the JWK is not an asymmetric key");
      return { key, alg: chosen, ...(typeof jwk.kid === "string" ? { kid: jwk.kid } : {}) };
    }
    const pem = material as string;
    if (!pem.includes("-----BEGIN PRIVATE KEY-----")) {
      throw new Error('it is not a PKCS#8 PEM key ("-----BEGIN PRIVATE KEY-----") or a JWK');
    }
    return { key: await jose.importPKCS8(pem, chosen, { extractable: false }), alg: chosen };
  } catch (error) {
    throw new AuthError(`Cannot use the private key of ${flag} for ${chosen}: ${(error as Error).message}`);
  }
}

/**
 * Signs a client assertion (RFC 7523 §3): `iss` and `sub` the client id, `aud` the authorization
 * server's issuer, a minute of life, a fresh `jti`.
 *
 * @example Usage
 * ```ts
 * import { importSigningKey, signClientAssertion } from "./client_assertion.ts";
 * import assert from "node:assert/strict";
 *
 * const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
 * const key = await importSigningKey(await crypto.subtle.exportKey("jwk", privateKey), "ES256", "test");
 * const jwt = await signClientAssertion("app", "https://as.example", key, Date.now());
 * assert.equal(JSON.parse(atob(jwt.split(".")[1]!)).sub, "app");
 * ```
 *
 * @param clientId The client id.
 * @param audience The authorization server's issuer identifier.
 * @param key The signing key.
 * @param now The time, milliseconds since the epoch.
 * @returns The compact JWS.
 */
export async function signClientAssertion(
  clientId: string,
  audience: string,
  key: SigningKey,
  now: number,
): Promise<string> {
  const jose = await import("jose");
  const seconds = Math.floor(now / 1000);
  return await new jose.SignJWT({})
    .setProtectedHeader({ alg: key.alg, typ: "JWT", ...(key.kid ? { kid: key.kid } : {}) })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt(seconds)
    .setNotBefore(seconds)
    .setExpirationTime(seconds + 60)
    .setJti(crypto.randomUUID())
    .sign(key.key);
}
