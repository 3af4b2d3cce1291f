/**
 * verifyIdToken: every check of OpenID Connect Core §3.1.3.7 refuses a token that breaks it, each made
 * with `jose` and a key of the test's own (the way a hostile or broken identity provider would sign).
 */

import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { verifyIdToken } from "../../src/auth/id_token.ts";
import { AuthError } from "../../src/auth/errors.ts";

const ISSUER = "https://idp.example";
const CLIENT = "bridge";
const { publicKey, privateKey } = await generateKeyPair("ES256");
const other = await generateKeyPair("ES256");
const JWKS = { keys: [{ ...(await exportJWK(publicKey)), alg: "ES256", kid: "k1" }] };

async function idToken(claims: JWTPayload = {}, key: CryptoKey = privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({
    iss: ISSUER,
    aud: CLIENT,
    sub: "ada",
    iat: now,
    exp: now + 300,
    nonce: "n-1",
    ...claims,
  })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .sign(key);
}

const expect = { issuer: ISSUER, clientId: CLIENT, nonce: "n-1", now: Date.now() };

async function refused(
  token: string,
  why: RegExp,
  overrides: Partial<typeof expect> & { subject?: string } = {},
) {
  await assert.rejects(verifyIdToken(token, JWKS, { ...expect, ...overrides }), (error: unknown) => {
    assert.ok(error instanceof AuthError, String(error));
    assert.match(error.message, why);
    return true;
  });
}

Deno.test("verifyIdToken: a good ID token gives its claims", async () => {
  const claims = await verifyIdToken(await idToken(), JWKS, expect);
  assert.equal(claims.sub, "ada");
  const refreshed = await verifyIdToken(await idToken({ nonce: undefined }), JWKS, {
    issuer: ISSUER,
    clientId: CLIENT,
    original: { sub: "ada", nonce: "n-1" },
    now: Date.now(),
  });
  assert.equal(refreshed.sub, "ada");
});

Deno.test("verifyIdToken: another key's signature, another issuer, another audience are refused", async () => {
  await refused(await idToken({}, other.privateKey), /signature does not verify/);
  await refused(await idToken({ iss: "https://evil.example" }), /"iss" claim is wrong/);
  await refused(await idToken({ aud: "someone-else" }), /"aud" claim is wrong/);
});

Deno.test("verifyIdToken: expired, issued in the future, or missing a required claim", async () => {
  const now = Math.floor(Date.now() / 1000);
  await refused(await idToken({ exp: now - 120, iat: now - 600 }), /expired/);
  await refused(await idToken({ iat: now + 600, exp: now + 900 }), /future|"iat" claim/);
  await refused(await idToken({ sub: undefined }), /"sub" claim is wrong|not a valid/);
});

Deno.test("verifyIdToken: the nonce of another sign-in, or none, is refused", async () => {
  await refused(await idToken({ nonce: "n-2" }), /nonce/);
  await refused(await idToken({ nonce: undefined }), /nonce/);
});

Deno.test("verifyIdToken: several audiences need this client as azp; a refreshed token matches the one it replaces", async () => {
  await refused(await idToken({ aud: [CLIENT, "other"] }), /several audiences/);
  await verifyIdToken(await idToken({ aud: [CLIENT, "other"], azp: CLIENT }), JWKS, expect);
  const refreshed = { nonce: undefined, original: { sub: "ada", nonce: "n-1", auth_time: 100 } };
  await refused(await idToken({ sub: "eve", auth_time: 100 }), /another user/, refreshed);
  await refused(await idToken({ auth_time: 200 }), /auth_time/, refreshed);
  await refused(await idToken({ auth_time: 100, azp: CLIENT }), /authorized party/, refreshed);
  await refused(await idToken({ auth_time: 100, nonce: "n-2" }), /nonce/, refreshed);
});

Deno.test("verifyIdToken: unsigned (alg none) and MAC-signed tokens, and a key set that is none, are refused", async () => {
  const encode = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: ISSUER, aud: CLIENT, sub: "ada", iat: now, exp: now + 300, nonce: "n-1" };
  await refused(`${encode({ alg: "none" })}.${encode(payload)}.`, /not a valid|asymmetric/);
  // A MAC with a key the key set holds (as an IdP publishing a symmetric key would): the signature
  // checks out, and only the algorithm allow-list refuses it.
  const secret = "x".repeat(32);
  const mac = await new SignJWT(payload).setProtectedHeader({ alg: "HS256", kid: "mac" })
    .sign(new TextEncoder().encode(secret));
  const withMac = {
    keys: [...JWKS.keys, { kty: "oct", k: btoa(secret).replace(/=+$/, ""), alg: "HS256", kid: "mac" }],
  };
  await assert.rejects(verifyIdToken(mac, withMac, expect), /asymmetric/);
  await assert.rejects(verifyIdToken(await idToken(), { nope: true }, expect), /no key set/);
});
