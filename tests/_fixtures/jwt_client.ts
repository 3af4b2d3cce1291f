/**
 * A `private_key_jwt` client for the demo authorization server: a fresh ES256 key pair (also as PEM), and
 * the client's registration holding only its public key.
 *
 * @module
 */

/** A fresh P-256 key pair: the private key as PKCS #8 PEM and as a JWK, the public key as a JWK. */
export async function keyPair(): Promise<{ pem: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  const base64 = btoa(String.fromCharCode(...pkcs8)).replace(/(.{64})/g, "$1\n").trim();
  return {
    pem: `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`,
    privateJwk: await crypto.subtle.exportKey("jwk", privateKey),
    publicJwk: await crypto.subtle.exportKey("jwk", publicKey),
  };
}

/** The registration of a client that authenticates with `private_key_jwt` (ES256, key id `k1`). */
export function jwtClient(clientId: string, publicJwk: JsonWebKey): Record<string, unknown> {
  return {
    client_id: clientId,
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "ES256",
    jwks: { keys: [{ ...publicJwk, kid: "k1", use: "sig", alg: "ES256" }] },
  };
}
