/**
 * The authorization request URL (RFC 6749 §4.1.1 with PKCE and RFC 8707 `resource`) and the
 * validation of the authorization response (`state`, RFC 9207 `iss`, OAuth errors).
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/** Parameters the bridge sets itself; `--authorize-param` may not set them. */
const OWNED_PARAMS: readonly string[] = [
  "response_type",
  "client_id",
  "redirect_uri",
  "state",
  "code_challenge",
  "code_challenge_method",
];

/**
 * Builds the authorization request URL: `response_type=code`, `client_id`, `redirect_uri`,
 * `state`, `code_challenge` with `code_challenge_method=S256`, then `scope` and `resource` when
 * given, then the extra parameters (which replace an earlier one of the same name). A query the
 * endpoint already has is kept, except for parameters set here.
 *
 * @example Usage
 * ```ts
 * import { buildAuthorizationUrl } from "./authorization_request.ts";
 * import assert from "node:assert/strict";
 *
 * const url = buildAuthorizationUrl({
 *   endpoint: "https://auth.example/authorize",
 *   clientId: "abc",
 *   redirectUri: "http://127.0.0.1:33418/callback",
 *   state: "st",
 *   codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
 *   scope: "mcp:basic",
 *   resource: "https://mcp.example/mcp",
 *   extraParams: [["prompt", "consent"]],
 * });
 * assert.equal(url.searchParams.get("response_type"), "code");
 * assert.equal(url.searchParams.get("code_challenge_method"), "S256");
 * assert.equal(url.searchParams.get("resource"), "https://mcp.example/mcp");
 * assert.equal(url.searchParams.get("prompt"), "consent");
 * ```
 *
 * @param options The endpoint and the request's parameters.
 * @returns The URL to open in the browser.
 * @throws {AuthError} When the endpoint is not an http(s) URL, or an extra parameter is one the
 * bridge sets itself.
 */
export function buildAuthorizationUrl(options: {
  endpoint: string;
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  scope?: string;
  resource?: string;
  extraParams?: [string, string][];
}): URL {
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch (cause) {
    throw new AuthError(
      `Cannot use authorization endpoint "${options.endpoint}": it is not an absolute URL`,
      {
        cause,
      },
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AuthError(
      `Cannot use authorization endpoint "${options.endpoint}": only https: and http: URLs can be opened`,
    );
  }
  for (const [name] of options.extraParams ?? []) {
    if (name === "resource") {
      throw new AuthError(
        `Cannot set authorization parameter "resource": use --resource (or --disable-resource-parameter) instead`,
      );
    }
    if (OWNED_PARAMS.includes(name)) {
      throw new AuthError(`Cannot set authorization parameter "${name}": mcp-bridge sets it itself`);
    }
  }
  url.hash = "";
  const params = url.searchParams;
  params.set("response_type", "code");
  params.set("client_id", options.clientId);
  params.set("redirect_uri", options.redirectUri);
  params.set("state", options.state);
  params.set("code_challenge", options.codeChallenge);
  params.set("code_challenge_method", "S256");
  if (options.scope !== undefined && options.scope.trim() !== "") params.set("scope", options.scope);
  else params.delete("scope");
  if (options.resource !== undefined) params.set("resource", options.resource);
  else params.delete("resource");
  for (const [name, value] of options.extraParams ?? []) params.set(name, value);
  return url;
}

/** A server-sent value made safe to show: control characters replaced, at most 200 characters. */
function printable(value: string): string {
  // deno-lint-ignore no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > 200 ? clean.slice(0, 200) + "…" : clean;
}

/** A server-sent value made safe to quote in a message. */
function quote(value: string): string {
  return JSON.stringify(printable(value));
}

/** The single value of a parameter; `undefined` when absent; AuthError when repeated. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw new AuthError(
      `Cannot accept the authorization response: it has the parameter "${name}" more than once`,
    );
  }
  return values[0];
}

/**
 * Validates the parameters of an authorization response (the redirect to the callback) and
 * returns the authorization code. In order:
 * 1. `state` must equal the request's exactly;
 * 2. RFC 9207: `iss`, when present, must equal the expected issuer by simple string comparison
 *    (no normalisation); when absent, the response is refused if the authorization server
 *    advertises `authorization_response_iss_parameter_supported`. On a mismatch the response's
 *    `error`, `error_description` and `error_uri` are neither used nor shown (mix-up attack);
 * 3. an `error` fails with the OAuth error code and description;
 * 4. the `code` must be present.
 *
 * @example Usage
 * ```ts
 * import { validateAuthorizationResponse } from "./authorization_request.ts";
 * import { AuthError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const expected = { state: "st", issuer: "https://auth.example", issParameterSupported: true };
 * const ok = new URLSearchParams("code=c1&state=st&iss=https%3A%2F%2Fauth.example");
 * assert.equal(validateAuthorizationResponse(ok, expected), "c1");
 * const slash = new URLSearchParams("code=c1&state=st&iss=https%3A%2F%2Fauth.example%2F");
 * assert.throws(() => validateAuthorizationResponse(slash, expected), AuthError);
 * ```
 *
 * @param params The query parameters of the redirect.
 * @param expected The `state` sent, the issuer the request went to, and whether its metadata
 * advertises `authorization_response_iss_parameter_supported`.
 * @returns The authorization code.
 * @throws {AuthError} When the response fails a check or reports an error.
 */
export function validateAuthorizationResponse(
  params: URLSearchParams,
  expected: { state: string; issuer: string; issParameterSupported: boolean },
): string {
  const state = single(params, "state");
  if (state === undefined) {
    throw new AuthError("Cannot accept the authorization response: it has no state parameter");
  }
  if (state !== expected.state) {
    throw new AuthError(
      "Cannot accept the authorization response: its state does not match the request (it may be from an older sign-in attempt)",
    );
  }

  const iss = single(params, "iss");
  if (iss !== undefined && iss !== expected.issuer) {
    throw new AuthError(
      `Cannot accept the authorization response: its issuer ${
        quote(iss)
      } is not the authorization server the request went to ("${expected.issuer}"), a possible mix-up attack`,
    );
  }
  if (iss === undefined && expected.issParameterSupported) {
    throw new AuthError(
      `Cannot accept the authorization response: it has no iss parameter, but authorization server "${expected.issuer}" advertises authorization_response_iss_parameter_supported`,
    );
  }

  const error = single(params, "error");
  if (error !== undefined) {
    const description = single(params, "error_description");
    const uri = single(params, "error_uri");
    const detail = [description ? quote(description) : undefined, uri ? `see ${quote(uri)}` : undefined]
      .filter((part) => part !== undefined).join(", ");
    throw new AuthError(
      `Authorization server "${expected.issuer}" refused the authorization: ${printable(error)}${
        detail ? ` (${detail})` : ""
      }`,
      { oauthError: error },
    );
  }

  const code = single(params, "code");
  if (code === undefined || code === "") {
    throw new AuthError(
      `Cannot complete the authorization: the response from "${expected.issuer}" has no code`,
    );
  }
  return code;
}
