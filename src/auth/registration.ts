/**
 * Which client identity the bridge uses at an authorization server: the static client of
 * `--static-oauth-client-info`, a Client ID Metadata Document (`--client-metadata-url`, where the
 * server supports them), a stored dynamic registration still good for this issuer and redirect URIs,
 * or a new registration (RFC 7591) at the server's registration endpoint.
 *
 * @module
 */

import { chooseRegistrationMethod } from "./client_auth.ts";
import type { Discovery } from "./discover.ts";
import { AuthError } from "./errors.ts";
import { checkServerSuppliedUrl } from "./fetchable_url.ts";
import type { OAuthClientOptions } from "./oauth_options.ts";
import { staticClientInfo } from "./static_client.ts";
import { registerClient, type RequestOptions } from "./token_client.ts";
import type { ClientInfo, ServerRecord } from "./types.ts";

/** What {@linkcode clientFor} needs. */
export interface ClientForOptions {
  /** The OAuth client's options. */
  options: OAuthClientOptions;
  /** The authorization server. */
  discovery: Discovery;
  /** The stored record (its registration, if any). */
  record: ServerRecord;
  /** The redirect URIs a registration must hold (none for the device flow). */
  redirectUris: string[];
  /** What a new registration asks for (the grant's). */
  registration: { grant_types: string[]; response_types: string[] };
  /** The clock, milliseconds since the epoch. */
  now: number;
  /** The options of a request to the registration endpoint. */
  request: RequestOptions;
}

/**
 * The client identity at the authorization server for a sign-in.
 *
 * @example Usage
 * ```ts ignore
 * import { clientFor } from "./registration.ts";
 * const client = await clientFor({ options, discovery, record, redirectUris, registration, now: Date.now(), request });
 * ```
 *
 * @param o The options, the server, the record, the redirect URIs.
 * @returns The client.
 * @throws {AuthError} When no client can be had (no registration endpoint, a refused registration).
 */
export async function clientFor(o: ClientForOptions): Promise<ClientInfo> {
  const { options, discovery, record, redirectUris } = o;
  const metadata = discovery.metadata;
  if (options.staticClient) {
    return staticClientInfo({
      staticClient: options.staticClient,
      tokenEndpointGiven: Boolean(options.tokenEndpoint),
      serverUrl: options.serverUrl,
      discovery,
      record,
    });
  }
  if (options.clientMetadataUrl && metadata.client_id_metadata_document_supported === true) {
    return { client_id: options.clientMetadataUrl, token_endpoint_auth_method: "none", source: "cimd" };
  }
  const stored = record.client;
  const expired = stored?.client_secret_expires_at !== undefined && stored.client_secret_expires_at !== 0 &&
    stored.client_secret_expires_at * 1000 < o.now;
  if (
    stored && stored.source === "dcr" && record.issuer === discovery.issuer && !expired &&
    redirectUris.every((uri) => stored.redirect_uris?.includes(uri))
  ) {
    return stored;
  }
  if (!metadata.registration_endpoint) {
    throw new AuthError(
      `The authorization server ${discovery.issuer} does not offer dynamic client registration: ` +
        "pass a registered client with --static-oauth-client-info",
    );
  }
  const endpoint = checkServerSuppliedUrl(
    metadata.registration_endpoint,
    options.serverUrl,
    options.allowHttp,
    `registration_endpoint of ${discovery.issuer}`,
  );
  const body: Record<string, unknown> = {
    client_name: "mcp-bridge",
    application_type: "native",
    redirect_uris: redirectUris,
    grant_types: o.registration.grant_types,
    response_types: o.registration.response_types,
    token_endpoint_auth_method: chooseRegistrationMethod(metadata.token_endpoint_auth_methods_supported),
    ...(options.staticClientMetadata ?? {}),
  };
  options.log.info(`Registering mcp-bridge with ${discovery.issuer}`);
  const client = await registerClient(options.fetch, endpoint.href, body, o.request);
  return { ...client, redirect_uris: client.redirect_uris ?? redirectUris, source: "dcr" };
}
