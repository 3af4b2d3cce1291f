/**
 * Authorization discovery: the protected resource metadata (RFC 9728) of the MCP server, then the
 * metadata of its authorization server (RFC 8414 or OpenID Connect Discovery), with the 2025-03-26
 * fallbacks for servers that publish no resource metadata.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { FetchLike } from "../transport/transport.ts";
import {
  authServerMetadataUrls,
  legacyDefaultEndpoints,
  protectedResourceMetadataUrls,
} from "./discovery_urls.ts";
import { AuthError } from "./errors.ts";
import { prmResourceMatches } from "./resource.ts";
import type { AuthServerMetadata, BearerChallenge, ProtectedResourceMetadata } from "./types.ts";
import { isLoopbackHost } from "../net/address.ts";

/** What discovery found. */
export interface Discovery {
  /** The server's protected resource metadata, when it publishes one. */
  prm?: ProtectedResourceMetadata;
  /** The issuer of the authorization server. */
  issuer: string;
  /** Its metadata (synthesised from the default endpoints for a 2025-03-26 server without any). */
  metadata: AuthServerMetadata;
  /** Whether the 2025-03-26 fallbacks were used. */
  legacy: boolean;
}

/** Options for {@linkcode discover}. */
export interface DiscoverOptions {
  /** The fetch seam. */
  fetch: FetchLike;
  /** The MCP server URL. */
  serverUrl: URL;
  /** The `Bearer` challenge of the 401 that started it, if any. */
  challenge?: BearerChallenge;
  /** `--allow-http`: plain http to hosts other than loopback. */
  allowHttp: boolean;
  /** The logger. */
  log: Logger;
  /** The negotiated MCP protocol version, sent as `MCP-Protocol-Version` (a SHOULD of the spec). */
  protocolVersion?: string;
}

/**
 * Checks that a server-supplied URL may be fetched: https, or http on loopback (or with
 * `--allow-http`), no credentials.
 *
 * @example Usage
 * ```ts
 * import { checkFetchableUrl } from "./discover.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkFetchableUrl("https://as.example.com/token", false, "token endpoint").host, "as.example.com");
 * assert.throws(() => checkFetchableUrl("http://as.example.com/token", false, "token endpoint"));
 * ```
 *
 * @param text The URL.
 * @param allowHttp `--allow-http`.
 * @param what What the URL is, for the message.
 * @returns The parsed URL.
 * @throws {AuthError} When the URL may not be used.
 */
export function checkFetchableUrl(text: string, allowHttp: boolean, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthError(`Cannot use the ${what} "${text}": it is not an absolute URL`);
  }
  if (url.username || url.password) {
    throw new AuthError(`Cannot use the ${what} of ${url.host}: it has credentials`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && (allowHttp || isLoopbackHost(url.hostname))) return url;
  throw new AuthError(
    `Cannot use the ${what} ${url.origin}: it must be https (plain http only on loopback or with --allow-http)`,
  );
}

async function getJson(
  options: DiscoverOptions,
  url: URL,
): Promise<Record<string, unknown> | undefined> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.protocolVersion) headers["mcp-protocol-version"] = options.protocolVersion;
  let res: Response;
  try {
    res = await options.fetch(url, { headers, redirect: "manual" });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new AuthError(
        `Cannot reach ${url.host} for authorization: add --allow-net=${url.hostname}:${
          url.port || (url.protocol === "https:" ? 443 : 80)
        }`,
        { cause: error },
      );
    }
    options.log.debug(`Discovery: GET ${url.href} failed: ${(error as Error).message}`);
    return undefined;
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    options.log.debug(`Discovery: GET ${url.href}: HTTP ${res.status}`);
    return undefined;
  }
  try {
    const value = await res.json();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // Not JSON: treated as absent.
  }
  options.log.debug(`Discovery: GET ${url.href}: not a JSON object`);
  return undefined;
}

async function findPrm(options: DiscoverOptions): Promise<ProtectedResourceMetadata | undefined> {
  const candidates: URL[] = [];
  if (options.challenge?.resourceMetadata) {
    candidates.push(
      checkFetchableUrl(options.challenge.resourceMetadata, options.allowHttp, "resource metadata URL"),
    );
  }
  // The well-known locations only when the challenge named none (or it did not answer).
  const wellKnown = protectedResourceMetadataUrls(options.serverUrl);
  for (const url of candidates) {
    const prm = await getJson(options, url);
    if (prm && typeof prm.resource === "string") return prm as ProtectedResourceMetadata;
  }
  for (const url of wellKnown) {
    if (candidates.some((c) => c.href === url.href)) continue;
    const prm = await getJson(options, url);
    if (prm && typeof prm.resource === "string") return prm as ProtectedResourceMetadata;
  }
  return undefined;
}

async function findAuthServerMetadata(options: DiscoverOptions, issuer: string): Promise<AuthServerMetadata> {
  checkFetchableUrl(issuer, options.allowHttp, "authorization server");
  let mismatch: string | undefined;
  for (const url of authServerMetadataUrls(issuer)) {
    const metadata = await getJson(options, url);
    if (!metadata) continue;
    // RFC 8414 §3.3 / OIDC Discovery §4.3: compared exactly, or the document is not used.
    if (metadata.issuer !== issuer) {
      mismatch = String(metadata.issuer);
      options.log.debug(`Discovery: ${url.href} names issuer "${mismatch}", not "${issuer}": ignored`);
      continue;
    }
    return metadata as AuthServerMetadata;
  }
  if (mismatch !== undefined) {
    throw new AuthError(
      `Refusing the authorization server metadata of ${issuer}: it names issuer "${mismatch}" (they must be identical)`,
    );
  }
  throw new AuthError(
    `Cannot find the metadata of authorization server ${issuer}: no well-known document answered`,
  );
}

/**
 * Discovers where and how to authorize for an MCP server.
 *
 * @example Usage
 * ```ts ignore
 * import { discover } from "./discover.ts";
 * const found = await discover({ fetch, serverUrl: new URL("https://mcp.example.com/mcp"), allowHttp: false, log });
 * console.log(found.issuer, found.metadata.token_endpoint);
 * ```
 *
 * @param options The server, the challenge and the seams.
 * @returns The resource metadata (if any), the issuer and its metadata.
 * @throws {AuthError} When the resource metadata names another resource, or no authorization
 *   server can be found.
 */
export async function discover(options: DiscoverOptions): Promise<Discovery> {
  const prm = await findPrm(options);
  if (prm) {
    if (!prmResourceMatches(prm.resource, options.serverUrl)) {
      throw new AuthError(
        `Refusing to authorize: the server's resource metadata is for "${prm.resource}", not ${options.serverUrl.href}`,
      );
    }
    const issuer = prm.authorization_servers?.[0];
    if (typeof issuer !== "string") {
      throw new AuthError(`The resource metadata of ${options.serverUrl.host} names no authorization server`);
    }
    return { prm, issuer, metadata: await findAuthServerMetadata(options, issuer), legacy: false };
  }
  // MCP 2025-03-26: no resource metadata; the authorization base URL is the server's origin.
  const origin = options.serverUrl.origin;
  const metadata = await getJson(options, new URL("/.well-known/oauth-authorization-server", origin));
  if (metadata && typeof metadata.issuer === "string") {
    return { issuer: metadata.issuer, metadata: metadata as AuthServerMetadata, legacy: true };
  }
  options.log.debug(
    `Discovery: no metadata at ${origin}; using the default endpoints /authorize, /token, /register`,
  );
  return {
    issuer: origin,
    metadata: {
      issuer: origin,
      ...legacyDefaultEndpoints(options.serverUrl),
      // The 2025-03-26 specification makes PKCE mandatory for these servers.
      code_challenge_methods_supported: ["S256"],
    },
    legacy: true,
  };
}
