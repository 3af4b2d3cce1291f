/**
 * Secret redaction for everything the bridge writes to stderr or its debug log.
 *
 * @module
 */

const PATTERNS: [RegExp, string][] = [
  // Authorization headers: the credential after a scheme (`Authorization: Basic …`), or a quoted JSON
  // value (`"authorization":"…"`). Prose such as "for authorization: add --allow-net" keeps its words.
  [
    /\b(authorization|proxy-authorization)(\s*[:=]\s*["']?)(Basic|Bearer|Digest|DPoP|Negotiate|Token|MAC)\s+[^\s"',}]+/gi,
    "$1$2[redacted]",
  ],
  [/\b(authorization|proxy-authorization)(["']\s*:\s*["'])[^"']+/gi, "$1$2[redacted]"],
  // Cookies, in header or JSON form.
  [/\b(cookie|set-cookie)(\s*[:=]\s*|["']\s*:\s*["'])[^"'\r\n,}]+/gi, "$1$2[redacted]"],
  // Bearer and DPoP tokens anywhere in text.
  [/\b(Bearer|DPoP)\s+[A-Za-z0-9\-._~+/]+=*/gi, "$1 [redacted]"],
  // OAuth secrets as JSON members, query or form parameters.
  [
    /\b(access_token|refresh_token|id_token|client_secret|code_verifier|assertion|client_assertion|subject_token|device_code)(["']?\s*[:=]\s*["']?)[^"'&\s,}#]+/gi,
    "$1$2[redacted]",
  ],
  // An authorization code in a redirect URL or form body (not JSON-RPC's numeric "code" member).
  [/((?:^|[?&])code=)[^&\s#"']+/gm, "$1[redacted]"],
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
  // Longest first, so that a secret containing a shorter one is removed whole.
  const sorted = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  for (const secret of sorted) out = out.replaceAll(secret, "[redacted]");
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
