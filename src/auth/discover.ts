/**
 * Authorization discovery: the protected resource metadata (RFC 9728) of the MCP server, then the
 * metadata of its authorization server (RFC 8414 or OpenID Connect Discovery), with the 2025-03-26
 * fallbacks for servers that publish no resource metadata.
 *
 * @module
 */

import { excerpt } from "../log/excerpt.ts";
import { neutralise } from "../log/neutralise.ts";
import { BodyTooLargeError, readBoundedText } from "../net/bounded_body.ts";
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
import { checkServerSuppliedUrl } from "./fetchable_url.ts";

/** The largest metadata document read (RFC 8414 and RFC 9728 documents are a few KiB). */
export const MAX_METADATA_BYTES = 1024 * 1024;
/** The longest wait for a metadata document (or key set), answer and body. */
export const METADATA_TIMEOUT_MS = 30_000;
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

/** The endpoints of authorization server metadata the bridge may send a request to (or open). */
const METADATA_ENDPOINTS = [
  "authorization_endpoint",
  "token_endpoint",
  "registration_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
] as const;

/** A server-supplied text, quoted for a message: escaped, bounded. */
function quoted(value: unknown): string {
  return `"${excerpt(neutralise(String(value)), 200)}"`;
}

/**
 * Checks every endpoint of authorization server metadata the bridge may use (authorization, token,
 * registration, revocation, device authorization) with the rule for server-supplied URLs; an
 * endpoint that is present must be a URL that passes it.
 *
 * @example Usage
 * ```ts
 * import { checkMetadataEndpoints } from "./discover.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new URL("https://mcp.example.com/mcp");
 * checkMetadataEndpoints({ issuer: "https://as.example.com", token_endpoint: "https://as.example.com/token" }, server, false);
 * assert.throws(
 *   () => checkMetadataEndpoints({ issuer: "https://as.example.com", token_endpoint: "http://10.0.0.1/token" }, server, true),
 *   /Refusing the token_endpoint of https:\/\/as\.example\.com "http:\/\/10\.0\.0\.1\/token": it points at a private address/,
 * );
 * ```
 *
 * @param metadata The authorization server metadata.
 * @param serverUrl The MCP server URL the user gave.
 * @param allowHttp `--allow-http`.
 * @throws {AuthError} Naming the first endpoint refused and why.
 */
export function checkMetadataEndpoints(
  metadata: AuthServerMetadata,
  serverUrl: URL,
  allowHttp: boolean,
): void {
  for (const name of METADATA_ENDPOINTS) {
    const value = metadata[name];
    if (value === undefined) continue;
    checkServerSuppliedUrl(value, serverUrl, allowHttp, `${name} of ${metadata.issuer}`);
  }
}

/**
 * GETs a JSON object (metadata, a key set) without following redirects, at most
 * {@linkcode MAX_METADATA_BYTES}: `undefined` when the answer is not a 2xx JSON object.
 *
 * @example Usage
 * ```ts ignore
 * import { getJson } from "./discover.ts";
 * const jwks = await getJson({ fetch, serverUrl: issuerUrl, allowHttp: false, log }, new URL(metadata.jwks_uri));
 * ```
 *
 * @param options The fetch seam, the logger and the MCP protocol version to send, if any.
 * @param url What to get (already checked by the caller).
 * @returns The object, or `undefined`.
 * @throws {AuthError} When the host cannot be reached (naming the missing `--allow-net`).
 */
export async function getJson(
  options: Pick<DiscoverOptions, "fetch" | "log" | "protocolVersion">,
  url: URL,
): Promise<Record<string, unknown> | undefined> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.protocolVersion) headers["mcp-protocol-version"] = options.protocolVersion;
  let res: Response;
  // The whole answer, body included, within the limit: a server that accepts and never answers must not
  // hold a host request (and the sign-in lock) for ever.
  const signal = AbortSignal.timeout(METADATA_TIMEOUT_MS);
  try {
    res = await options.fetch(url, { headers, redirect: "manual", signal });
  } catch (error) {
    if (signal.aborted) {
      throw new AuthError(
        `${url.host} did not answer ${url.pathname} within ${METADATA_TIMEOUT_MS / 1000} s`,
        {
          cause: error,
          unreachable: true,
        },
      );
    }
    if (error instanceof Deno.errors.NotCapable) {
      throw new AuthError(
        `Cannot reach ${url.host} for authorization: add --allow-net=${url.hostname}:${
          url.port || (url.protocol === "https:" ? 443 : 80)
        }`,
        { cause: error },
      );
    }
    // No answer at all: the server is away, which says nothing about its metadata. Signing in now would
    // send the user to a server that is down: the request waits for the network instead.
    throw new AuthError(`Cannot reach ${url.host} for authorization: ${(error as Error).message}`, {
      cause: error,
      unreachable: true,
    });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    options.log.debug(`Discovery: GET ${url.href}: HTTP ${res.status}`);
    return undefined;
  }
  try {
    const value = JSON.parse(await readBoundedText(res, MAX_METADATA_BYTES, `the metadata at ${url.href}`));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch (error) {
    // Not JSON, or past the limit: treated as absent (said at warn level when too large).
    if (error instanceof BodyTooLargeError) options.log.warn(`${error.message}: it is ignored`);
  }
  options.log.debug(`Discovery: GET ${url.href}: not a JSON object`);
  return undefined;
}

async function findPrm(options: DiscoverOptions): Promise<ProtectedResourceMetadata | undefined> {
  const candidates: URL[] = [];
  if (options.challenge?.resourceMetadata) {
    candidates.push(
      checkServerSuppliedUrl(
        options.challenge.resourceMetadata,
        options.serverUrl,
        options.allowHttp,
        "resource metadata URL",
      ),
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

/** Options for {@linkcode fetchAuthServerMetadata}. */
export type MetadataOptions = Omit<DiscoverOptions, "challenge">;

/**
 * Fetches the metadata of one authorization server from its own well-known URLs (RFC 8414, then
 * OpenID Connect Discovery), keeps only a document whose `issuer` is identical to `issuer`, and
 * checks its endpoints ({@linkcode checkMetadataEndpoints}). `logout` uses it with the stored
 * issuer, so that revocation never goes to an endpoint another issuer's metadata names.
 *
 * @example Usage
 * ```ts ignore
 * import { fetchAuthServerMetadata } from "./discover.ts";
 * const metadata = await fetchAuthServerMetadata({ fetch, serverUrl, allowHttp: false, log }, record.issuer);
 * console.log(metadata.revocation_endpoint);
 * ```
 *
 * @param options The fetch seam, the MCP server URL (for the address rule) and the logger.
 * @param issuer The issuer identifier.
 * @returns The validated metadata.
 * @throws {AuthError} When the issuer or an endpoint is refused, or no document names the issuer.
 */
export async function fetchAuthServerMetadata(
  options: MetadataOptions,
  issuer: string,
): Promise<AuthServerMetadata> {
  checkServerSuppliedUrl(issuer, options.serverUrl, options.allowHttp, "authorization server");
  let mismatch: string | undefined;
  for (const url of authServerMetadataUrls(issuer)) {
    const metadata = await getJson(options, url);
    if (!metadata) continue;
    // RFC 8414 §3.3 / OIDC Discovery §4.3: compared exactly, or the document is not used.
    if (metadata.issuer !== issuer) {
      mismatch = quoted(metadata.issuer);
      options.log.debug(`Discovery: ${url.href} names issuer ${mismatch}, not "${issuer}": ignored`);
      continue;
    }
    checkMetadataEndpoints(metadata as AuthServerMetadata, options.serverUrl, options.allowHttp);
    return metadata as AuthServerMetadata;
  }
  if (mismatch !== undefined) {
    throw new AuthError(
      `Refusing the authorization server metadata of ${issuer}: it names issuer ${mismatch} (they must be identical)`,
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
    return { prm, issuer, metadata: await fetchAuthServerMetadata(options, issuer), legacy: false };
  }
  // MCP 2025-03-26: no resource metadata; the authorization base URL is the server's origin.
  const origin = options.serverUrl.origin;
  const url = new URL("/.well-known/oauth-authorization-server", origin);
  const metadata = await getJson(options, url);
  if (metadata) {
    // RFC 8414 §3.3: the document fetched from <origin>/.well-known/… must name <origin> as issuer
    // (with or without the empty path's "/"), or its endpoints could lead credentials elsewhere.
    if (metadata.issuer !== origin && metadata.issuer !== `${origin}/`) {
      throw new AuthError(
        `Refusing the authorization server metadata at ${url.href}: it names issuer ${
          metadata.issuer === undefined ? "none" : quoted(metadata.issuer)
        }, not ${origin} (RFC 8414 §3.3: they must be identical)`,
      );
    }
    checkMetadataEndpoints(metadata as AuthServerMetadata, options.serverUrl, options.allowHttp);
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
