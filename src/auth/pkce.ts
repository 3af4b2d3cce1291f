/**
 * PKCE (RFC 7636) with the `S256` method, and the MCP rule that a client must refuse an
 * authorization server that does not advertise it.
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import type { AuthServerMetadata } from "./types.ts";

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Base64url without padding (RFC 7636 Appendix A). */
function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * The `S256` code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
 *
 * @example Usage
 * ```ts
 * import { s256Challenge } from "./pkce.ts";
 * import assert from "node:assert/strict";
 *
 * // RFC 7636 Appendix B
 * assert.equal(
 *   await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
 *   "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
 * );
 * ```
 *
 * @param verifier The code verifier.
 * @returns The code challenge.
 * @throws {RangeError} When the verifier is not 43 to 128 unreserved characters.
 */
export async function s256Challenge(verifier: string): Promise<string> {
  if (!VERIFIER.test(verifier)) {
    throw new RangeError(
      `Cannot compute a PKCE challenge: the verifier must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~ (got ${verifier.length} characters)`,
    );
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/**
 * A fresh PKCE pair: a verifier of 32 random bytes in base64url (43 characters) and its `S256`
 * challenge.
 *
 * @example Usage
 * ```ts
 * import { createPkce, s256Challenge } from "./pkce.ts";
 * import assert from "node:assert/strict";
 *
 * const pkce = await createPkce();
 * assert.equal(pkce.method, "S256");
 * assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43}$/);
 * assert.equal(pkce.challenge, await s256Challenge(pkce.verifier));
 * ```
 *
 * @returns The verifier, the challenge and the method.
 */
export async function createPkce(): Promise<{ verifier: string; challenge: string; method: "S256" }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { verifier, challenge: await s256Challenge(verifier), method: "S256" };
}

/**
 * Refuses an authorization server whose metadata does not list `S256` in
 * `code_challenge_methods_supported` (MCP § Authorization Code Protection: a client must refuse to
 * proceed when the member is absent).
 *
 * @example Usage
 * ```ts
 * import { requireS256 } from "./pkce.ts";
 * import { AuthError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * requireS256({ issuer: "https://auth.example", code_challenge_methods_supported: ["S256"] });
 * assert.throws(() => requireS256({ issuer: "https://auth.example" }), AuthError);
 * ```
 *
 * @param metadata The authorization server metadata.
 * @throws {AuthError} When `S256` is not advertised.
 */
export function requireS256(metadata: AuthServerMetadata): void {
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && methods.includes("S256")) return;
  const detail = Array.isArray(methods)
    ? `its code_challenge_methods_supported is ${JSON.stringify(methods)}`
    : "its metadata has no code_challenge_methods_supported";
  throw new AuthError(
    `Cannot sign in with authorization server "${metadata.issuer}": the server does not support PKCE S256 (${detail})`,
  );
}
