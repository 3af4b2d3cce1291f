/**
 * Readable explanations of HTTP and network failures. Pure.
 *
 * @module
 */

import { excerpt } from "../log/excerpt.ts";

/** What is known about a failed HTTP exchange. */
export interface HttpFailure {
  /** The server's `host[:port]`. */
  host: string;
  /** The request path. */
  path: string;
  /** The status, or `undefined` when no response arrived. */
  status?: number;
  /** The status text. */
  statusText?: string;
  /** The response `Content-Type`. */
  contentType?: string | null;
  /** The first bytes of the body. */
  body?: string;
  /** The network error's message, when no response arrived. */
  networkError?: string;
  /** The request method, when known: a 405 to a POST means there is no MCP endpoint at the URL. */
  method?: string;
}

/** The hint for a request an MCP endpoint would have taken, refused as a method it does not have. */
function noEndpoint(status: number, method: string | undefined): string {
  const request = method ? ` to a ${method.toUpperCase()}` : "";
  return `there is no MCP endpoint at this URL (HTTP ${status}${request}): check the server URL`;
}

const HINTS: Record<number, string> = {
  400: "the server rejected the request as malformed",
  401: "the server refused the credentials: check the token in your Authorization header, or leave it out " +
    "so that mcp-bridge signs in by itself",
  403: "the server refused access: check the credentials passed with --header",
  404: "there is no MCP endpoint at this URL: check the server URL",
  405: "the endpoint does not accept this method: check --transport and the server URL",
  406: "the server does not accept JSON or event streams: is this an MCP endpoint?",
  408: "the server timed out: try again",
  413: "the message is too large for the server",
  415: "the server does not accept JSON: is this an MCP endpoint?",
  429: "the server is rate-limiting requests: wait and try again",
  // A gateway answered: the server behind it may have got the request (not a 503, which says it did not).
  502: "a gateway could not get an answer from the server, which may have received the request: check " +
    "before you retry",
  504: "a gateway timed out waiting for the server, which may still run the request: check before you retry",
};

function hintFor(status: number, method: string | undefined): string {
  // An MCP endpoint takes POSTs: one that refuses the method, or implements none, is not one.
  if (status === 501) return noEndpoint(501, method);
  if (status === 405 && method?.toUpperCase() === "POST") return noEndpoint(405, method);
  if (HINTS[status]) return HINTS[status];
  if (status >= 500) return "the server failed: try again later or contact its operator";
  return "check the server URL and flags";
}

/**
 * Says in a few words what an error body holds: the server's own message, "an HTML page", or its start.
 *
 * @example Usage
 * ```ts
 * import { summarise } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(summarise('{"error":"invalid_token"}', "application/json"), 'the server says "invalid_token"');
 * ```
 *
 * @param body The first bytes of the body.
 * @param contentType The response `Content-Type`.
 * @returns The summary, or `undefined` for an empty body.
 */
export function summarise(body: string, contentType: string | null | undefined): string | undefined {
  const trimmed = body.trim();
  if (trimmed === "") return undefined;
  if (/html/i.test(contentType ?? "") || /^<(!doctype|html)/i.test(trimmed)) {
    return "the body is an HTML page";
  }
  try {
    const parsed = JSON.parse(trimmed);
    const message = parsed?.error?.message ?? parsed?.error_description ?? parsed?.message ?? parsed?.error;
    if (typeof message === "string") return `the server says "${excerpt(message, 200)}"`;
  } catch {
    // Not JSON: quote the text itself.
  }
  return `the body starts "${excerpt(trimmed.replace(/\s+/g, " "), 120)}"`;
}

/**
 * Explains a failed exchange in one sentence: what happened, where, and what to try.
 *
 * @example Usage
 * ```ts
 * import { describeHttpFailure } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 *
 * const text = describeHttpFailure({ host: "example.com", path: "/mcp", status: 500, statusText: "Internal Server Error" });
 * assert.match(text, /HTTP 500 Internal Server Error/);
 * assert.match(text, /try again later/);
 * const post = describeHttpFailure({ host: "example.com", path: "/", status: 405, method: "POST" });
 * assert.match(post, /there is no MCP endpoint at this URL \(HTTP 405 to a POST\)/);
 * ```
 *
 * @param failure What is known.
 * @returns The explanation.
 */
export function describeHttpFailure(failure: HttpFailure): string {
  if (failure.status === undefined) {
    return `Cannot reach ${failure.host}: ${failure.networkError ?? "the connection failed"}: ` +
      "check the URL, your network, and that --allow-net covers the server";
  }
  const status = `HTTP ${failure.status}${failure.statusText ? ` ${failure.statusText}` : ""}`;
  const detail = failure.body !== undefined ? summarise(failure.body, failure.contentType) : undefined;
  return `The server at ${failure.host} answered ${status} for ${failure.path}` +
    `${detail ? ` (${detail})` : ""}: ${hintFor(failure.status, failure.method)}`;
}

/**
 * Explains a 2xx answer whose body is neither JSON nor an event stream.
 *
 * @example Usage
 * ```ts
 * import { describeUnexpectedBody } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(describeUnexpectedBody("example.com", "/mcp", "text/html", "<html>"), /HTML page/);
 * ```
 *
 * @param host The server's host.
 * @param path The request path.
 * @param contentType The response `Content-Type`.
 * @param body The first bytes of the body.
 * @returns The explanation.
 */
export function describeUnexpectedBody(
  host: string,
  path: string,
  contentType: string | null,
  body: string,
): string {
  const what = /html/i.test(contentType ?? "") || /^\s*<(!doctype|html)/i.test(body)
    ? "an HTML page"
    : `"${contentType ?? "no content type"}"`;
  return `The server at ${host} answered ${path} with ${what} instead of JSON or an event stream: ` +
    "check that the URL is the MCP endpoint (often ending in /mcp or /sse)";
}

/**
 * Explains a 401 or 403 that persists although mcp-bridge signed in by itself (the user passed no
 * `Authorization` header, so the generic hint about it would mislead).
 *
 * @example Usage
 * ```ts
 * import { describeRefusedAfterSignIn } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(describeRefusedAfterSignIn("example.com", 401), /still refuses the credentials/);
 * ```
 *
 * @param host The server's host.
 * @param status 401 or 403.
 * @param detail What the response body said (see {@linkcode summarise}).
 * @returns The explanation.
 */
export function describeRefusedAfterSignIn(host: string, status: number, detail?: string): string {
  const why = detail ? `, ${detail}` : "";
  return status === 401
    ? `The server at ${host} still refuses the credentials mcp-bridge signed in for (HTTP 401${why}): check --resource ` +
      "and the scopes the server needs, or run `mcp-bridge logout <url>` and sign in again"
    : `The server at ${host} refuses access (HTTP ${status}${why}) with the credentials mcp-bridge signed in for: ` +
      "ask its operator for access";
}

/**
 * Explains a failure to set up the connection that more attempts cannot fix: a TLS certificate the bridge
 * cannot trust, a server that wants a client certificate or refuses the one given, a proxy that wants
 * credentials, a port the runtime refuses to fetch from. Each message says what helps, naming the flag when
 * one does. `undefined` for anything else (an outage, say).
 *
 * @example Usage
 * ```ts
 * import { describeNetworkSetupFailure } from "./http_errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(
 *   describeNetworkSetupFailure("mcp.corp:443", "client error (Connect): invalid peer certificate: UnknownIssuer")!,
 *   /--ca-file/,
 * );
 * assert.match(describeNetworkSetupFailure("127.0.0.1:6000", "Fetch failed: Requests to port 6000 are blocked")!, /another port/);
 * assert.equal(describeNetworkSetupFailure("mcp.corp:443", "tcp connect error: Connection refused"), undefined);
 * ```
 *
 * @param host The server's `host:port`.
 * @param reason The runtime's reason (see `networkReason`).
 * @returns The explanation, or `undefined`.
 */
export function describeNetworkSetupFailure(host: string, reason: string): string | undefined {
  const detail = reason.replace(/^client error \(\w+\):\s*/, "");
  if (/UnknownIssuer|self[- ]signed/i.test(detail)) {
    return `Cannot trust the TLS certificate of ${host} (${detail}): if a private certificate authority signed ` +
      "it, pass that authority's certificate with --ca-file <pem> (and --allow-read for the file); for a test " +
      "server only, Deno's --unsafely-ignore-certificate-errors=<host>";
  }
  if (/NotValidForName/i.test(detail)) {
    return `The TLS certificate of ${host} is not for that name (${detail}): check the server URL`;
  }
  if (/Expired|NotValidYet/i.test(detail)) {
    return `The TLS certificate of ${host} is expired or not yet valid (${detail}): check the server, and this ` +
      "machine's clock";
  }
  if (/CertificateRequired|certificate required/i.test(detail)) {
    return `The server at ${host} asks for a client certificate (${detail}): pass --client-cert <pem> and ` +
      "--client-key <pem> (and --allow-read for both)";
  }
  if (
    /alert.*(BadCertificate|UnknownCA|CertificateUnknown|AccessDenied|UnsupportedCertificate)/i.test(detail)
  ) {
    return `The server at ${host} refused the client certificate (${detail}): check --client-cert and --client-key`;
  }
  const blocked = /Requests to port (\d+) are blocked/i.exec(detail);
  if (blocked) {
    const port = blocked[1];
    return `Cannot connect to ${host}: the runtime (Deno's fetch) refuses port ${port} as unsafe, a "bad port" ` +
      "of the Fetch standard that browsers refuse too: run the MCP server on another port and use that URL";
  }
  if (/proxy authentication required/i.test(detail)) {
    return `The proxy refused to connect to ${host} without credentials (HTTP 407): put the proxy's user name ` +
      "and password in its URL, as user:password@ before the proxy's host (in --proxy, or in HTTPS_PROXY)";
  }
  return undefined;
}
