/**
 * The well-known URLs of authorization discovery, in the order MCP says to try them: RFC 9728
 * Protected Resource Metadata, RFC 8414 / OpenID Connect Discovery authorization server metadata,
 * and the 2025-03-26 fallbacks. Pure: builds URLs, fetches nothing.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

const PRM_SUFFIX = "/.well-known/oauth-protected-resource";
const OAUTH_SUFFIX = "/.well-known/oauth-authorization-server";
const OIDC_SUFFIX = "/.well-known/openid-configuration";

/** `scheme://host[:port]`, without path, query or fragment. */
function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** The path without trailing slashes; "" for the root. */
function trimmedPath(url: URL): string {
  return url.pathname.replace(/\/+$/, "");
}

/**
 * The Protected Resource Metadata URLs to try for an MCP server when its `WWW-Authenticate` gave
 * no `resource_metadata` (MCP 2025-11-25 and later): the path-inserted URL first, then the root one.
 * The query and fragment are dropped, and so is a trailing slash of the path.
 *
 * @example Usage
 * ```ts
 * import { protectedResourceMetadataUrls } from "./discovery_urls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(protectedResourceMetadataUrls(new URL("https://h.example/public/mcp?x=1")).map(String), [
 *   "https://h.example/.well-known/oauth-protected-resource/public/mcp",
 *   "https://h.example/.well-known/oauth-protected-resource",
 * ]);
 * assert.deepEqual(protectedResourceMetadataUrls(new URL("https://h.example/")).map(String), [
 *   "https://h.example/.well-known/oauth-protected-resource",
 * ]);
 * ```
 *
 * @param serverUrl The MCP server URL.
 * @returns The URLs in the order to try them.
 */
export function protectedResourceMetadataUrls(serverUrl: URL): URL[] {
  const origin = originOf(serverUrl);
  const path = trimmedPath(serverUrl);
  const root = new URL(origin + PRM_SUFFIX);
  return path === "" ? [root] : [new URL(origin + PRM_SUFFIX + path), root];
}

/**
 * The authorization server metadata URLs to try for an issuer, in the MCP priority order (RFC 8414
 * first, then OpenID Connect Discovery). An issuer with a path gets the path-inserted forms and then
 * the OpenID Connect path-appended form; an issuer without a path gets the two root forms.
 *
 * @example Usage
 * ```ts
 * import { authServerMetadataUrls } from "./discovery_urls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(authServerMetadataUrls("https://auth.example/tenant1").map(String), [
 *   "https://auth.example/.well-known/oauth-authorization-server/tenant1",
 *   "https://auth.example/.well-known/openid-configuration/tenant1",
 *   "https://auth.example/tenant1/.well-known/openid-configuration",
 * ]);
 * assert.deepEqual(authServerMetadataUrls("https://auth.example").map(String), [
 *   "https://auth.example/.well-known/oauth-authorization-server",
 *   "https://auth.example/.well-known/openid-configuration",
 * ]);
 * ```
 *
 * @param issuer The issuer identifier (from the PRM `authorization_servers`).
 * @returns The URLs in the order to try them.
 * @throws {AuthError} When the issuer is not an absolute URL.
 */
export function authServerMetadataUrls(issuer: string): URL[] {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (cause) {
    throw new AuthError(
      `Cannot discover authorization server "${issuer}": the issuer is not an absolute URL`,
      {
        cause,
      },
    );
  }
  const origin = originOf(url);
  const path = trimmedPath(url);
  if (path === "") return [new URL(origin + OAUTH_SUFFIX), new URL(origin + OIDC_SUFFIX)];
  return [
    new URL(origin + OAUTH_SUFFIX + path),
    new URL(origin + OIDC_SUFFIX + path),
    new URL(origin + path + OIDC_SUFFIX),
  ];
}

/**
 * The 2025-03-26 authorization base URL of an MCP server: its URL with the path discarded (the
 * origin). Its RFC 8414 metadata is at `<base>/.well-known/oauth-authorization-server`.
 *
 * @example Usage
 * ```ts
 * import { legacyAuthorizationBase } from "./discovery_urls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(legacyAuthorizationBase(new URL("https://h.example:8443/v1/mcp?x=1")).href, "https://h.example:8443/");
 * ```
 *
 * @param serverUrl The MCP server URL.
 * @returns The authorization base URL.
 */
export function legacyAuthorizationBase(serverUrl: URL): URL {
  return new URL(originOf(serverUrl) + "/");
}

/**
 * The 2025-03-26 default endpoints, used when a server without Protected Resource Metadata has no
 * authorization server metadata either: `/authorize`, `/token` and `/register` at its origin.
 *
 * @example Usage
 * ```ts
 * import { legacyDefaultEndpoints } from "./discovery_urls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(legacyDefaultEndpoints(new URL("https://h.example/v1/mcp")), {
 *   authorization_endpoint: "https://h.example/authorize",
 *   token_endpoint: "https://h.example/token",
 *   registration_endpoint: "https://h.example/register",
 * });
 * ```
 *
 * @param serverUrl The MCP server URL.
 * @returns The three endpoints.
 */
export function legacyDefaultEndpoints(
  serverUrl: URL,
): { authorization_endpoint: string; token_endpoint: string; registration_endpoint: string } {
  const origin = originOf(serverUrl);
  return {
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
  };
}
