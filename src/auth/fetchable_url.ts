/**
 * Which URLs the OAuth code may send a request to (or open in a browser).
 *
 * - A URL that came from the MCP server or from metadata it led to (the `resource_metadata` of a
 *   `WWW-Authenticate` challenge, `authorization_servers`, every endpoint of the authorization
 *   server's metadata) must pass {@linkcode serverSuppliedUrlProblem}: https (http only to loopback
 *   when the MCP server is on loopback, or anywhere with `--allow-http`), no credentials, never a
 *   link-local or cloud metadata address, and a loopback or private address only when the MCP server
 *   is on one. Refused before any network attempt.
 * - A URL the user gave (`--token-endpoint`) must be https, or http on loopback or with
 *   `--allow-http`, without credentials: the user chose the address.
 *
 * Pure: parses and decides, fetches nothing.
 *
 * @module
 */

import { excerpt } from "../log/excerpt.ts";
import { neutralise } from "../log/neutralise.ts";
import { isLoopbackHost, serverSuppliedUrlProblem } from "../net/address.ts";
import { AuthError } from "./errors.ts";

/** The longest URL text put into a message. */
const MAX_SHOWN = 200;

/** A URL as shown in a message: no credentials, query or fragment; control characters escaped. */
function shown(url: URL): string {
  return excerpt(neutralise(`${url.protocol}//${url.host}${url.pathname}`), MAX_SHOWN);
}

function parse(text: unknown, what: string): URL {
  if (typeof text !== "string") throw new AuthError(`Refusing the ${what}: it is not a URL string`);
  try {
    return new URL(text);
  } catch {
    throw new AuthError(
      `Refusing the ${what} "${excerpt(neutralise(text), MAX_SHOWN)}": it is not an absolute URL`,
    );
  }
}

/**
 * Checks a URL that came from the MCP server or its metadata, with the rule of
 * {@linkcode serverSuppliedUrlProblem}.
 *
 * @example Usage
 * ```ts
 * import { checkServerSuppliedUrl } from "./fetchable_url.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new URL("https://mcp.example.com/mcp");
 * assert.equal(checkServerSuppliedUrl("https://as.example.com/token", server, false, "token endpoint").host, "as.example.com");
 * assert.throws(
 *   () => checkServerSuppliedUrl("http://169.254.169.254/latest", server, true, "token endpoint"),
 *   /^AuthError: Refusing the token endpoint "http:\/\/169\.254\.169\.254\/latest": it points at a link-local/,
 * );
 * ```
 *
 * @param text The URL as the server (or its metadata) gave it.
 * @param serverUrl The MCP server URL the user gave.
 * @param allowHttp `--allow-http`.
 * @param what What the URL is, for the message ("token endpoint").
 * @returns The parsed URL.
 * @throws {AuthError} Naming the URL (without credentials or query) and the reason.
 */
export function checkServerSuppliedUrl(text: unknown, serverUrl: URL, allowHttp: boolean, what: string): URL {
  const url = parse(text, what);
  const problem = serverSuppliedUrlProblem(url, serverUrl, allowHttp);
  if (problem !== undefined) throw new AuthError(`Refusing the ${what} "${shown(url)}": ${problem}`);
  return url;
}

/**
 * Checks a URL the user gave on the command line (`--token-endpoint`): https, or http on loopback or
 * with `--allow-http`, and no credentials. The address rules of server-supplied URLs do not apply.
 *
 * @example Usage
 * ```ts
 * import { checkUserGivenUrl } from "./fetchable_url.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkUserGivenUrl("http://10.0.0.5/token", true, "token endpoint").host, "10.0.0.5");
 * assert.throws(() => checkUserGivenUrl("http://as.example.com/token", false, "token endpoint"), /must be https/);
 * ```
 *
 * @param text The URL.
 * @param allowHttp `--allow-http`.
 * @param what What the URL is, for the message.
 * @returns The parsed URL.
 * @throws {AuthError} When the URL may not be used.
 */
export function checkUserGivenUrl(text: string, allowHttp: boolean, what: string): URL {
  const url = parse(text, what);
  if (url.username || url.password) {
    throw new AuthError(`Refusing the ${what} "${shown(url)}": it carries credentials`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && (allowHttp || isLoopbackHost(url.hostname))) return url;
  throw new AuthError(
    `Refusing the ${what} "${
      shown(url)
    }": it must be https (plain http only on loopback, or with --allow-http)`,
  );
}
