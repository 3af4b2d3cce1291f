/**
 * The RFC 8707 `resource` parameter: the MCP server's canonical URI, the check of the Protected
 * Resource Metadata `resource` against the server URL, and the choice of what to send.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/**
 * The canonical URI of an MCP server (MCP § Canonical Server URI): scheme and host lower-case, no
 * fragment, no user info, the path and query as given. A root path gives no trailing slash
 * (`https://h.example`); any other path is kept exactly, with or without its trailing slash.
 *
 * @example Usage
 * ```ts
 * import { canonicalResourceUri } from "./resource.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(canonicalResourceUri(new URL("HTTPS://MCP.Example.com/Mcp#top")), "https://mcp.example.com/Mcp");
 * assert.equal(canonicalResourceUri(new URL("https://mcp.example.com/")), "https://mcp.example.com");
 * ```
 *
 * @param serverUrl The MCP server URL.
 * @returns The canonical URI.
 */
export function canonicalResourceUri(serverUrl: URL): string {
  const path = serverUrl.pathname === "/" ? "" : serverUrl.pathname;
  return `${serverUrl.protocol.toLowerCase()}//${serverUrl.host.toLowerCase()}${path}${serverUrl.search}`;
}

/** The path with exactly one trailing slash, for prefix comparison at a `/` boundary. */
function withSlash(path: string): string {
  return path.endsWith("/") ? path : path + "/";
}

/**
 * Whether a Protected Resource Metadata `resource` may stand for an MCP server URL (RFC 9728 §3.3):
 * same scheme, host and port, and a path equal to the server's or a parent of it at a `/` boundary
 * (a trailing slash does not matter). Query and fragment are ignored. An unparsable `resource` does
 * not match.
 *
 * @example Usage
 * ```ts
 * import { prmResourceMatches } from "./resource.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new URL("https://mcp.example.com/v1/mcp");
 * assert.equal(prmResourceMatches("https://mcp.example.com/v1/mcp", server), true);
 * assert.equal(prmResourceMatches("https://mcp.example.com/v1", server), true);
 * assert.equal(prmResourceMatches("https://mcp.example.com/v", server), false);
 * assert.equal(prmResourceMatches("https://evil.example.com/v1/mcp", server), false);
 * ```
 *
 * @param prmResource The `resource` member of the Protected Resource Metadata.
 * @param serverUrl The MCP server URL.
 * @returns `true` when the metadata is for this server.
 */
export function prmResourceMatches(prmResource: string, serverUrl: URL): boolean {
  let resource: URL;
  try {
    resource = new URL(prmResource);
  } catch {
    return false;
  }
  if (resource.protocol !== serverUrl.protocol || resource.host !== serverUrl.host) return false;
  if (resource.username !== "" || resource.password !== "") return false;
  return withSlash(serverUrl.pathname).startsWith(withSlash(resource.pathname));
}

/**
 * Chooses the `resource` to send in authorization and token requests:
 * - `override` `null` or `""` (`--disable-resource-parameter`, `--resource ""`): none;
 * - `override` a string (`--resource`): it, as written; it must be an absolute URI without a fragment;
 * - else the Protected Resource Metadata `resource`, byte-exact (check it first with
 *   {@linkcode prmResourceMatches});
 * - else the server's canonical URI ({@linkcode canonicalResourceUri}).
 *
 * @example Usage
 * ```ts
 * import { chooseResource } from "./resource.ts";
 * import assert from "node:assert/strict";
 *
 * const serverUrl = new URL("https://mcp.example.com/mcp");
 * assert.equal(chooseResource({ serverUrl }), "https://mcp.example.com/mcp");
 * assert.equal(chooseResource({ serverUrl, prmResource: "https://mcp.example.com/" }), "https://mcp.example.com/");
 * assert.equal(chooseResource({ serverUrl, override: "urn:example:mcp" }), "urn:example:mcp");
 * assert.equal(chooseResource({ serverUrl, override: null }), undefined);
 * ```
 *
 * @param options The server URL, the PRM `resource` if any, and the user's override if any.
 * @returns The `resource` value, or `undefined` to omit the parameter.
 * @throws {AuthError} When the override is not an absolute URI or has a fragment.
 */
export function chooseResource(
  options: { serverUrl: URL; prmResource?: string; override?: string | null },
): string | undefined {
  const { serverUrl, prmResource, override } = options;
  if (override === null || override === "") return undefined;
  if (override !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(override) || !URL.canParse(override)) {
      throw new AuthError(
        `Cannot use --resource "${override}": it is not an absolute URI (e.g. https://host/mcp)`,
      );
    }
    if (override.includes("#")) {
      throw new AuthError(`Cannot use --resource "${override}": a resource URI must not have a fragment (#)`);
    }
    return override;
  }
  if (prmResource !== undefined && prmResource !== "") return prmResource;
  return canonicalResourceUri(serverUrl);
}
