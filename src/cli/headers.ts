/**
 * Custom HTTP headers from `--header` and `--header-file`, with `${VAR}` interpolation.
 * Pure: the environment is passed in as a function.
 *
 * @module
 */

import { expandTemplate } from "./env.ts";

/** A header as the user wrote it: the value may still hold `${VAR}` placeholders. */
export interface HeaderTemplate {
  /** The header name as written. */
  name: string;
  /** The value before interpolation. */
  template: string;
  /** Where it came from, for error messages (`--header` or `file:line`). */
  source: string;
}

/** Header names the bridge sets itself; a user may not override them. */
export const OWNED_HEADERS: readonly string[] = [
  "mcp-session-id",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
  "accept",
  "content-type",
  "content-length",
  "host",
  "connection",
  "upgrade",
  "transfer-encoding",
  "last-event-id",
];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_VALUE = /[\r\n\0]/;

/** An error in the user's header configuration. */
export class HeaderError extends Error {
  /** @param message What is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "HeaderError";
  }
}

/**
 * Parses one `Name: value` header.
 *
 * @example Usage
 * ```ts
 * import { parseHeader } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseHeader("X-Api-Key: ${KEY}", "--header"), {
 *   name: "X-Api-Key",
 *   template: "${KEY}",
 *   source: "--header",
 * });
 * ```
 *
 * @param text The header as written.
 * @param source Where it came from.
 * @returns The parsed template.
 * @throws {HeaderError} When the text is not a valid header or names a header the bridge owns.
 */
export function parseHeader(text: string, source: string): HeaderTemplate {
  const colon = text.indexOf(":");
  // The text is not quoted: a line without a colon may well be a bare secret.
  if (colon === -1) {
    throw new HeaderError(`Cannot parse a header (${source}): missing ":" between name and value`);
  }
  const name = text.slice(0, colon).trim();
  const template = text.slice(colon + 1).trim();
  if (FORBIDDEN_VALUE.test(text)) {
    throw new HeaderError(`Cannot use header "${name}" (${source}): it contains a CR, LF or NUL character`);
  }
  if (!TOKEN.test(name)) {
    throw new HeaderError(`Cannot parse header "${name}" (${source}): the name is not a valid HTTP token`);
  }
  if (OWNED_HEADERS.includes(name.toLowerCase())) {
    throw new HeaderError(`Cannot set header "${name}" (${source}): mcp-bridge sets it itself`);
  }
  return { name, template, source };
}

/**
 * Parses the text of a `--header-file`: one `Name: value` per line, `#` comments and blank lines
 * skipped.
 *
 * @example Usage
 * ```ts
 * import { parseHeaderFile } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = parseHeaderFile("# auth\nX-A: 1\n\nX-B: 2\n", "h.txt");
 * assert.deepEqual(headers.map((h) => h.name), ["X-A", "X-B"]);
 * ```
 *
 * @param text The file's content.
 * @param path The file's path, for error messages.
 * @returns The headers in file order.
 * @throws {HeaderError} On the first bad line, naming its line number.
 */
export function parseHeaderFile(text: string, path: string): HeaderTemplate[] {
  const out: HeaderTemplate[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    out.push(parseHeader(line, `${path}:${i + 1}`));
  }
  return out;
}

/**
 * Replaces each `${NAME}` in a header value with the environment variable's value. An unset variable
 * is an error that names it; an empty one counts as set.
 *
 * @example Usage
 * ```ts
 * import { interpolate } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (name: string) => (name === "TOKEN" ? "abc" : undefined);
 * assert.equal(interpolate("Bearer ${TOKEN}", env, "Authorization"), "Bearer abc");
 * assert.throws(() => interpolate("${NOPE}", env, "X"), /NOPE/);
 * ```
 *
 * @param template The value as written.
 * @param getEnv Reads one variable; `undefined` when unset. It may throw (missing permission).
 * @param headerName The header, for error messages.
 * @returns The value.
 * @throws {HeaderError} When a variable is unset, or the result holds CR, LF or NUL.
 */
export function interpolate(
  template: string,
  getEnv: (name: string) => string | undefined,
  headerName: string,
): string {
  const value = expandTemplate(
    template,
    getEnv,
    `header "${headerName}"`,
    (message) => new HeaderError(message),
  );
  if (FORBIDDEN_VALUE.test(value)) {
    throw new HeaderError(`Cannot use header "${headerName}": its value contains a CR, LF or NUL character`);
  }
  return value;
}

/**
 * Turns templates into final header pairs. Later headers with the same name replace earlier ones.
 *
 * @example Usage
 * ```ts
 * import { parseHeader, resolveHeaders } from "./headers.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = resolveHeaders([parseHeader("X-A: ${A}", "--header")], () => "1");
 * assert.deepEqual(headers, [["X-A", "1"]]);
 * ```
 *
 * @param templates The headers as written.
 * @param getEnv Reads one environment variable.
 * @returns `[name, value]` pairs.
 */
export function resolveHeaders(
  templates: readonly HeaderTemplate[],
  getEnv: (name: string) => string | undefined,
): [string, string][] {
  const byName = new Map<string, [string, string]>();
  for (const t of templates) {
    byName.set(t.name.toLowerCase(), [t.name, interpolate(t.template, getEnv, t.name)]);
  }
  return [...byName.values()];
}
