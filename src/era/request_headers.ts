/**
 * The modern era's request metadata headers on Streamable HTTP: `Mcp-Method` and `Mcp-Name`, and the
 * spec's Value Encoding (`=?base64?…?=`) shared with the `Mcp-Param-*` headers.
 *
 * @module
 */

const PREFIX = "=?base64?";
const SUFFIX = "?=";

/** The methods whose requests carry `Mcp-Name`, and the params member it mirrors. */
const NAME_SOURCES: Readonly<Record<string, "name" | "uri">> = Object.freeze({
  "tools/call": "name",
  "resources/read": "uri",
  "prompts/get": "name",
});

function isPlainSafe(value: string): boolean {
  if (value === "") return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return value.charCodeAt(0) !== 0x20 && value.charCodeAt(value.length - 1) !== 0x20;
}

function looksEncoded(value: string): boolean {
  return value.length >= PREFIX.length + SUFFIX.length && value.startsWith(PREFIX) && value.endsWith(SUFFIX);
}

function utf8Base64(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Encodes a value for an `Mcp-Name` or `Mcp-Param-*` header as the spec's Value Encoding says. A safe plain
 * ASCII value (printable 0x20–0x7E, no leading or trailing space) is sent as it is; anything else (non-ASCII,
 * control characters including tab, CR and LF, leading or trailing whitespace, the empty string) becomes
 * `=?base64?<Base64 of the UTF-8 bytes>?=`. A plain value that itself matches the sentinel pattern
 * (starts with `=?base64?`, ends with `?=`) is encoded too, so it cannot be mistaken for an encoded one.
 *
 * @example Usage
 * ```ts
 * import { encodeHeaderValue } from "./request_headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeHeaderValue("us-west1"), "us-west1");
 * assert.equal(encodeHeaderValue("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
 * assert.equal(encodeHeaderValue(" padded "), "=?base64?IHBhZGRlZCA=?=");
 * assert.equal(encodeHeaderValue("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
 * ```
 *
 * @param value The value as it appears in the request body (already converted to a string).
 * @returns The header value.
 */
export function encodeHeaderValue(value: string): string {
  if (isPlainSafe(value) && !looksEncoded(value)) return value;
  return `${PREFIX}${utf8Base64(value)}${SUFFIX}`;
}

/**
 * Decodes a header value written with {@link encodeHeaderValue}: a value in the sentinel form is Base64
 * decoded as UTF-8, any other value is returned as it is.
 *
 * @example Usage
 * ```ts
 * import { decodeHeaderValue } from "./request_headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?="), "Hello, 世界");
 * assert.equal(decodeHeaderValue("us-west1"), "us-west1");
 * ```
 *
 * @param value A header value.
 * @returns The original value.
 * @throws {TypeError} When the sentinel form holds invalid Base64 or invalid UTF-8.
 */
export function decodeHeaderValue(value: string): string {
  if (!looksEncoded(value)) return value;
  const payload = value.slice(PREFIX.length, value.length - SUFFIX.length);
  let binary: string;
  try {
    binary = atob(payload);
  } catch {
    throw new TypeError(`Cannot decode the header value: invalid Base64: ${JSON.stringify(payload)}`);
  }
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TypeError(`Cannot decode the header value: invalid UTF-8: ${JSON.stringify(payload)}`);
  }
}

/**
 * The standard request headers of a modern-era POST: `Mcp-Method` on every request, and `Mcp-Name` on
 * `tools/call` (from `params.name`), `resources/read` (from `params.uri`) and `prompts/get` (from
 * `params.name`), encoded with {@link encodeHeaderValue}. `Mcp-Name` is left out when the source member
 * is not a string (the server then rejects the request itself). `MCP-Protocol-Version` is not included:
 * it comes from the transport and has to equal the body's `_meta` version.
 *
 * @example Usage
 * ```ts
 * import { standardHeaders } from "./request_headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(standardHeaders("tools/call", { name: "get_weather", arguments: {} }), [
 *   ["Mcp-Method", "tools/call"],
 *   ["Mcp-Name", "get_weather"],
 * ]);
 * assert.deepEqual(standardHeaders("tools/list", undefined), [["Mcp-Method", "tools/list"]]);
 * ```
 *
 * @param method The JSON-RPC method.
 * @param params The request's params.
 * @returns Header name and value pairs, in order.
 * @throws {TypeError} When the method cannot be sent as a plain header value (the spec does not allow
 * encoding `Mcp-Method`).
 */
export function standardHeaders(
  method: string,
  params: Record<string, unknown> | undefined,
): [string, string][] {
  if (!isPlainSafe(method)) {
    throw new TypeError(
      `Cannot send the method in Mcp-Method: not a plain ASCII header value: ${JSON.stringify(method)}`,
    );
  }
  const headers: [string, string][] = [["Mcp-Method", method]];
  const source = Object.hasOwn(NAME_SOURCES, method) ? NAME_SOURCES[method] : undefined;
  if (source !== undefined) {
    const value = params?.[source];
    if (typeof value === "string") headers.push(["Mcp-Name", encodeHeaderValue(value)]);
  }
  return headers;
}
