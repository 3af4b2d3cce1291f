/**
 * Shared OAuth types for the authorization flow (MCP 2025-11-25 and 2026-07-28 authorization).
 *
 * @module
 */

import type { SigningKey } from "./client_assertion.ts";

/** RFC 9728 Protected Resource Metadata (the members the bridge uses). */
export interface ProtectedResourceMetadata {
  /** The protected resource's identifier. */
  resource: string;
  /** Issuers of the authorization servers that protect it. */
  authorization_servers?: string[];
  /** Scopes the resource understands. */
  scopes_supported?: string[];
  [key: string]: unknown;
}

/** RFC 8414 / OpenID Connect Discovery authorization server metadata (the members the bridge uses). */
export interface AuthServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  registration_endpoint?: string;
  revocation_endpoint?: string;
  device_authorization_endpoint?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  client_id_metadata_document_supported?: boolean;
  authorization_response_iss_parameter_supported?: boolean;
  /** RFC 9449 §5.1: the algorithms of DPoP proofs the server takes (present: it supports DPoP). */
  dpop_signing_alg_values_supported?: string[];
  [key: string]: unknown;
}

/** A `Bearer` challenge from `WWW-Authenticate` (RFC 6750 §3, RFC 9728 §5.1). */
export interface BearerChallenge {
  /** `resource_metadata`: where the PRM document is. */
  resourceMetadata?: string;
  /** `scope`: the scopes the request needs (space-separated, as sent). */
  scope?: string;
  /** `error`, e.g. `invalid_token` or `insufficient_scope`. */
  error?: string;
  /** `error_description`. */
  errorDescription?: string;
  /** The server offered the `DPoP` scheme (RFC 9449 §7.1): it takes DPoP-bound tokens. */
  dpop?: boolean;
}

/** The client's identity at one authorization server. */
export interface ClientInfo {
  /** The client id (for a CIMD client, the metadata document URL). */
  client_id: string;
  /** The client secret, for confidential clients. */
  client_secret?: string;
  /** When the secret expires (seconds since the epoch, RFC 7591); 0 or absent: never. */
  client_secret_expires_at?: number;
  /** How the client authenticates at the token endpoint. */
  token_endpoint_auth_method?: string;
  /** The redirect URIs registered. */
  redirect_uris?: string[];
  /** How the identity was obtained. */
  source: "static" | "cimd" | "dcr";
  /**
   * The private key of `private_key_jwt` (a static client's, from the command line): in memory only,
   * never written (a static client is never stored, and a `CryptoKey` serialises to nothing).
   */
  signing_key?: SigningKey;
}

/** Tokens from a token response, with the absolute expiry the bridge computed. */
export interface TokenSet {
  /** The access token, sent to the MCP server. */
  access_token: string;
  /** The token type (`Bearer`). */
  token_type: string;
  /** The refresh token, when the authorization server issued one. */
  refresh_token?: string;
  /** The OpenID Connect ID token, when one was issued. */
  id_token?: string;
  /** The scopes granted (space-separated), when the AS said or we asked. */
  scope?: string;
  /** Milliseconds since the epoch when the access token expires; absent: unknown. */
  expires_at?: number;
  /** Milliseconds since the epoch when these tokens were obtained. */
  obtained_at: number;
}

/** What the store keeps for one server (store key). */
export interface ServerRecord {
  /** The layout version of this record (not the package version). */
  version: 1;
  /** The server URL, for `mcp-bridge status`. */
  server_url: string;
  /** The resource the tokens are for (as sent in `resource`), if any. */
  resource?: string;
  /** The issuer of the authorization server the client and tokens belong to. */
  issuer?: string;
  /** The client identity at that issuer (never a static one from the command line). */
  client?: ClientInfo;
  /** The current tokens. */
  tokens?: TokenSet;
  /** The scopes last requested (space-separated). */
  requested_scope?: string;
  /** Milliseconds since the epoch of the last successful refresh. */
  last_refresh?: number;
  /** True once this server was seen to require authorization (to start discovery early). */
  needs_auth?: boolean;
  /**
   * The issuer the secret of `--static-oauth-client-info` (this client id) was first used with: the
   * secret is never sent to another issuer (the secret itself is never written to disk).
   */
  static_client?: { client_id: string; issuer: string };
  /**
   * The private DPoP key (a P-256 JWK) the tokens are bound to (RFC 9449), kept as long as they are: a
   * refresh must prove the same key.
   */
  dpop_key?: JsonWebKey;
  /**
   * The user's session at the enterprise identity provider (enterprise-managed authorization with a
   * browser sign-in there): its ID token is exchanged again, and refreshed, without a new sign-in.
   */
  idp?: IdpSession;
}

/** The user's tokens at an enterprise identity provider, for the client the bridge is there. */
export interface IdpSession {
  /** The identity provider's issuer. */
  issuer: string;
  /** The bridge's client id there. */
  client_id: string;
  /** Its tokens: the ID token, and a refresh token when it gave one. */
  tokens: TokenSet;
}
