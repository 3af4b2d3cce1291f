/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1, RFC 6750 §3, RFC 9728 §5.1). Pure and forgiving:
 * malformed input yields what could be read, never an exception.
 *
 * @module
 */

import type { BearerChallenge } from "./types.ts";

/** One challenge of a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** The auth scheme as sent (compare it case-insensitively). */
  scheme: string;
  /** The auth-params, names lower-cased, values unquoted; the first of a repeated name wins. */
  params: Record<string, string>;
  /** The token68, for schemes that send one instead of auth-params. */
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/** A cursor over the header text. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text.charAt(this.pos + offset);
  }

  /** Skips spaces and tabs. */
  skipSpace(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  /** Skips spaces, tabs and commas (empty list elements are allowed). */
  skipSpaceAndCommas(): void {
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === ",") this.pos++;
  }

  /** Reads a token; "" when none starts here. */
  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Reads a quoted-string starting at `"`, resolving backslash escapes; tolerates a missing close. */
  quoted(): string {
    this.pos++; // the opening quote
    let value = "";
    while (!this.done) {
      const char = this.peek();
      this.pos++;
      if (char === '"') return value;
      if (char === "\\" && !this.done) {
        value += this.peek();
        this.pos++;
      } else {
        value += char;
      }
    }
    return value;
  }

  /** Reads an unquoted value leniently: up to a comma, whitespace or quote. */
  bareValue(): string {
    const start = this.pos;
    while (!this.done && !/[,\s"]/.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Skips to the next comma outside a quoted-string (recovery from malformed input). */
  skipToComma(): void {
    while (!this.done && this.peek() !== ",") {
      if (this.peek() === '"') this.quoted();
      else this.pos++;
    }
  }

  /** Whether `token BWS "="` starts here, i.e. an auth-param rather than a new challenge. */
  atParam(): boolean {
    let i = this.pos;
    const text = this.text;
    const start = i;
    while (i < text.length && TCHAR.test(text.charAt(i))) i++;
    if (i === start) return false;
    while (text.charAt(i) === " " || text.charAt(i) === "\t") i++;
    return text.charAt(i) === "=";
  }

  /** The length of a token68 starting here if it is followed only by OWS and a comma or the end; else 0. */
  token68Length(): number {
    let i = this.pos;
    const text = this.text;
    while (i < text.length && TOKEN68_CHAR.test(text.charAt(i))) i++;
    if (i === this.pos) return 0;
    while (text.charAt(i) === "=") i++;
    const end = i;
    while (text.charAt(i) === " " || text.charAt(i) === "\t") i++;
    return i >= text.length || text.charAt(i) === "," ? end - this.pos : 0;
  }
}

function setParam(params: Record<string, string>, name: string, value: string): void {
  if (Object.hasOwn(params, name)) return;
  Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Parses a `WWW-Authenticate` header value (several headers may be joined with commas) into its
 * challenges. Scheme and parameter names are case-insensitive: parameter names are lower-cased, the
 * scheme is kept as sent. Values may be tokens or quoted-strings with backslash escapes. Never throws:
 * unreadable parts are skipped.
 *
 * @example Usage
 * ```ts
 * import { parseWwwAuthenticate } from "./www_authenticate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseWwwAuthenticate('Basic realm="x", Bearer scope="a b", Negotiate abc=='), [
 *   { scheme: "Basic", params: { realm: "x" } },
 *   { scheme: "Bearer", params: { scope: "a b" } },
 *   { scheme: "Negotiate", params: {}, token68: "abc==" },
 * ]);
 * ```
 *
 * @param header The header value.
 * @returns The challenges in order; empty when there is none.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const cursor = new Cursor(String(header ?? ""));
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;

  while (true) {
    cursor.skipSpaceAndCommas();
    if (cursor.done) break;

    // Within a challenge, `name=` continues its parameter list; anything else starts a new challenge.
    if (cursor.atParam()) {
      if (current) readParam(cursor, current);
      else cursor.skipToComma(); // a parameter without a challenge to belong to
      continue;
    }

    const scheme = cursor.token();
    if (scheme === "") {
      cursor.skipToComma();
      continue;
    }
    current = { scheme, params: {} };
    challenges.push(current);

    const afterScheme = cursor.peek();
    cursor.skipSpace();
    if (cursor.done || cursor.peek() === ",") continue;
    if (afterScheme !== " " && afterScheme !== "\t") {
      // e.g. `Bearer"x"`: not a challenge we can read further; drop to the next element.
      cursor.skipToComma();
      continue;
    }
    const token68Length = cursor.token68Length();
    if (token68Length > 0) {
      current.token68 = cursor.text.slice(cursor.pos, cursor.pos + token68Length);
      cursor.pos += token68Length;
      current = undefined; // a token68 challenge has no auth-params
      continue;
    }
    if (cursor.atParam()) readParam(cursor, current);
    else cursor.skipToComma();
  }
  return challenges;
}

/** Reads one `name = value` into the challenge, leaving the cursor after it. */
function readParam(cursor: Cursor, challenge: AuthChallenge): void {
  const name = cursor.token().toLowerCase();
  cursor.skipSpace();
  cursor.pos++; // "="
  cursor.skipSpace();
  const value = cursor.peek() === '"' ? cursor.quoted() : cursor.bareValue();
  setParam(challenge.params, name, value);
  cursor.skipSpace();
  // Tolerate a missing comma before another `name=` or a new challenge; skip other junk.
  if (!cursor.done && cursor.peek() !== "," && !TCHAR.test(cursor.peek())) cursor.skipToComma();
}

/**
 * Reads the first `Bearer` challenge of a `WWW-Authenticate` header: its `resource_metadata`,
 * `scope`, `error` and `error_description`, as sent. Never throws.
 *
 * @example Usage
 * ```ts
 * import { bearerChallenge } from "./www_authenticate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   bearerChallenge(
 *     'Bearer error="insufficient_scope", scope="files:read files:write", ' +
 *       'resource_metadata="https://h/.well-known/oauth-protected-resource/mcp"',
 *   ),
 *   {
 *     resourceMetadata: "https://h/.well-known/oauth-protected-resource/mcp",
 *     scope: "files:read files:write",
 *     error: "insufficient_scope",
 *   },
 * );
 * assert.equal(bearerChallenge('Basic realm="x"'), undefined);
 * assert.equal(bearerChallenge(null), undefined);
 * ```
 *
 * @param header The header value, or `null` when the response had none.
 * @returns The challenge's parameters (only those present), or `undefined` without a `Bearer` challenge.
 */
export function bearerChallenge(header: string | null): BearerChallenge | undefined {
  if (header === null || header === undefined) return undefined;
  // A server that takes DPoP-bound tokens may challenge with `DPoP` only (RFC 9449 §7.1).
  const challenges = parseWwwAuthenticate(header);
  const bearer = challenges.find((c) => c.scheme.toLowerCase() === "bearer") ??
    challenges.find((c) => c.scheme.toLowerCase() === "dpop");
  if (!bearer) return undefined;
  const result: BearerChallenge = {};
  const { params } = bearer;
  if (Object.hasOwn(params, "resource_metadata")) result.resourceMetadata = params.resource_metadata;
  if (Object.hasOwn(params, "scope")) result.scope = params.scope;
  if (Object.hasOwn(params, "error")) result.error = params.error;
  if (Object.hasOwn(params, "error_description")) result.errorDescription = params.error_description;
  if (challenges.some((c) => c.scheme.toLowerCase() === "dpop")) result.dpop = true;
  return result;
}

/**
 * Whether a `WWW-Authenticate` header asks for a DPoP nonce (RFC 9449 §9: `DPoP error="use_dpop_nonce"`).
 *
 * @example Usage
 * ```ts
 * import { asksForDpopNonce } from "./www_authenticate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(asksForDpopNonce('DPoP error="use_dpop_nonce", error_description="nonce"'), true);
 * assert.equal(asksForDpopNonce('Bearer error="invalid_token"'), false);
 * ```
 *
 * @param header The header value, or `null`.
 * @returns Whether it does.
 */
export function asksForDpopNonce(header: string | null): boolean {
  if (header === null) return false;
  return parseWwwAuthenticate(header).some((c) =>
    c.scheme.toLowerCase() === "dpop" && c.params.error === "use_dpop_nonce"
  );
}
