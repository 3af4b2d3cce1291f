/**
 * Quoting a piece of a server's text in a message, cut short without ever cutting a token in two
 * (a token cut at the edge would escape exact-value redaction). Pure.
 *
 * @module
 */

/** Characters a token can be made of (base64url, JWT dots, opaque token punctuation). */
const TOKEN_CHAR = /[A-Za-z0-9\-._~+/=]/;

/**
 * The first `max` characters of a server's text, cut so that no token is cut in two: a token cut
 * at the edge would escape exact-value redaction, so a cut inside a run of token characters drops
 * the whole run.
 *
 * @example Usage
 * ```ts
 * import { excerpt } from "./excerpt.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(excerpt("short", 10), "short");
 * assert.equal(excerpt("key abcdefghijkl", 8), "key …");
 * ```
 *
 * @param text The server's text.
 * @param max The most characters kept.
 * @returns The excerpt, with `…` when it was cut.
 */
export function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  if (TOKEN_CHAR.test(text[max]!)) cut = cut.replace(/[A-Za-z0-9\-._~+/=]+$/, "");
  return `${cut}…`;
}
