/**
 * Secret redaction for everything the bridge writes to stderr or its debug log.
 *
 * @module
 */

const PATTERNS: [RegExp, string][] = [
  // Authorization-style headers, whatever the scheme.
  [
    /\b(authorization|proxy-authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi,
    "$1$2[redacted]",
  ],
  // Bearer and DPoP tokens anywhere in text.
  [/\b(Bearer|DPoP)\s+[A-Za-z0-9\-._~+/]+=*/g, "$1 [redacted]"],
  // OAuth secrets as JSON members, query or form parameters.
  [
    /\b(access_token|refresh_token|id_token|client_secret|code_verifier|assertion|client_assertion|subject_token|device_code)(["']?\s*[:=]\s*["']?)[^"'&\s,}]+/g,
    "$1$2[redacted]",
  ],
  // An authorization code in a redirect URL (not JSON-RPC's numeric "code" member).
  [/([?&]code=)[^&\s#"']+/g, "$1[redacted]"],
];

/**
 * Replaces known secret values and secret-shaped text with `[redacted]`.
 *
 * @example Usage
 * ```ts
 * import { redact } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redact("token abc123", ["abc123"]), "token [redacted]");
 * assert.equal(redact("Authorization: Bearer xyz", []), "Authorization: [redacted]");
 * ```
 *
 * @param text The text to clean.
 * @param secrets Exact values to remove wherever they appear (header values, tokens).
 * @returns The text without secrets.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.replaceAll(secret, "[redacted]");
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
