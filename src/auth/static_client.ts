/**
 * The pre-registered client of `--static-oauth-client-info` at an authorization server. Its secret
 * is bound to the issuer of its first successful sign-in (kept in the record, never the secret
 * itself), unless the user named the token endpoint: it is never sent to another issuer.
 *
 * @module
 */

import { chooseSecretMethod } from "./client_auth.ts";
import type { Discovery } from "./discover.ts";
import { AuthError } from "./errors.ts";
import type { StaticClient } from "./oauth_options.ts";
import type { ClientInfo, ServerRecord } from "./types.ts";

/**
 * The issuer the static client's secret is bound to: the record's binding, or, for a record written
 * before bindings existed, the issuer of tokens stored without a client (a static one).
 *
 * @example Usage
 * ```ts
 * import { staticBinding } from "./static_client.ts";
 * import assert from "node:assert/strict";
 *
 * const record = { version: 1 as const, server_url: "https://mcp.example/mcp", static_client: { client_id: "app", issuer: "https://as.example" } };
 * assert.deepEqual(staticBinding({ client_id: "app" }, record), { client_id: "app", issuer: "https://as.example" });
 * assert.equal(staticBinding(undefined, record), undefined);
 * ```
 *
 * @param staticClient `--static-oauth-client-info`, if given.
 * @param record The stored record.
 * @returns The binding, if any.
 */
export function staticBinding(
  staticClient: StaticClient | undefined,
  record: ServerRecord | undefined,
): { client_id: string; issuer: string } | undefined {
  if (!staticClient) return undefined;
  if (record?.static_client) return record.static_client;
  return record?.issuer !== undefined && record.tokens !== undefined && record.client === undefined
    ? { client_id: staticClient.client_id, issuer: record.issuer }
    : undefined;
}

/**
 * The static client for an issuer, refused when its secret is bound to another one.
 *
 * @example Usage
 * ```ts
 * import { staticClientInfo } from "./static_client.ts";
 * import assert from "node:assert/strict";
 *
 * const discovery = { issuer: "https://as.example", metadata: { issuer: "https://as.example" }, legacy: false };
 * const client = staticClientInfo({
 *   staticClient: { client_id: "app", client_secret: "s3cret" },
 *   tokenEndpointGiven: false,
 *   serverUrl: new URL("https://mcp.example/mcp"),
 *   discovery,
 *   record: undefined,
 * });
 * assert.equal(client.token_endpoint_auth_method, "client_secret_basic");
 * ```
 *
 * @param options The static client, whether `--token-endpoint` was given, the server, the discovery
 *   and the stored record.
 * @returns The client.
 * @throws {AuthError} When the secret belongs to another issuer.
 */
export function staticClientInfo(options: {
  staticClient: StaticClient;
  tokenEndpointGiven: boolean;
  serverUrl: URL;
  discovery: Discovery;
  record: ServerRecord | undefined;
}): ClientInfo {
  const { staticClient: s, discovery } = options;
  const bound = staticBinding(s, options.record);
  if (
    s.client_secret !== undefined && !options.tokenEndpointGiven && bound !== undefined &&
    bound.client_id === s.client_id && bound.issuer !== discovery.issuer
  ) {
    throw new AuthError(
      `Refusing to send the client secret of --static-oauth-client-info to ${discovery.issuer}: it belongs to ` +
        `${bound.issuer}, where it was first used. If the server really moved, run \`mcp-bridge logout ` +
        `${options.serverUrl.href}\` and sign in again, or name the token endpoint with --token-endpoint`,
    );
  }
  return {
    client_id: s.client_id,
    ...(s.client_secret !== undefined ? { client_secret: s.client_secret } : {}),
    ...(s.signing_key !== undefined ? { signing_key: s.signing_key } : {}),
    token_endpoint_auth_method: s.token_endpoint_auth_method ??
      (s.signing_key !== undefined
        ? "private_key_jwt"
        : s.client_secret === undefined
        ? "none"
        : chooseSecretMethod(discovery.metadata.token_endpoint_auth_methods_supported)),
    source: "static",
  };
}
