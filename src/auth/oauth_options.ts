/**
 * The options of the OAuth client for one server, shared by the client and its pieces (grants,
 * registration, the static client).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { FetchLike } from "../transport/transport.ts";
import type { SigningKey } from "./client_assertion.ts";
import type { IdpProfileName } from "./idp_profiles.ts";
import type { CredentialStore } from "./store/credential_store.ts";

/** The grants that can sign in (`--client-credentials`, `--device-code`, else the browser). */
export type GrantName =
  | "authorization_code"
  | "client_credentials"
  | "device_code"
  | "workload_identity"
  | "enterprise_managed";

/** `--enterprise-idp`: the enterprise identity provider of enterprise-managed authorization (SEP-990). */
export interface EnterpriseIdp {
  /** Its token endpoint (where the ID token is exchanged); from its metadata when absent. */
  tokenEndpoint?: string;
  /**
   * Its issuer: when given, an ID token naming another issuer is not sent. Needed for the browser
   * sign-in at the identity provider (its OpenID metadata is found from it).
   */
  issuer?: string;
  /** The bridge's client id there. */
  clientId: string;
  /** Its client secret there, if it is a confidential client. */
  clientSecret?: string;
  /**
   * The user's ID token: a file read at each sign-in, or the value itself (from `${VAR}`). Absent: the
   * user signs in at the identity provider in the browser (OpenID Connect, code flow with PKCE).
   */
  idToken?: { file: string; value?: undefined } | { value: string; file?: undefined };
}

/** A pre-registered client from `--static-oauth-client-info`. */
export interface StaticClient {
  /** The client id. */
  client_id: string;
  /** The client secret, for a confidential client. */
  client_secret?: string;
  /** How to authenticate at the token endpoint (default: `private_key_jwt` with a key, else from the AS metadata). */
  token_endpoint_auth_method?: string;
  /** The private key for `private_key_jwt` (RFC 7523), imported from `private_key`. */
  signing_key?: SigningKey;
}

/** Options for the OAuth client (`oauth_client.ts`). */
export interface OAuthClientOptions {
  /** The MCP server. */
  serverUrl: URL;
  /** The fetch seam. */
  fetch: FetchLike;
  /** The logger. */
  log: Logger;
  /** Where credentials live. */
  store: CredentialStore;
  /** This configuration's store key. */
  storeKey: string;
  /** `--allow-http`. */
  allowHttp: boolean;
  /** `--resource` (a string), `--resource ""` or `--disable-resource-parameter` (`null`), or absent. */
  resource?: string | null;
  /** `--static-oauth-client-info`. */
  staticClient?: StaticClient;
  /** `--static-oauth-client-metadata`, merged over the registration metadata. */
  staticClientMetadata?: Record<string, unknown>;
  /** `--client-metadata-url` (a Client ID Metadata Document). */
  clientMetadataUrl?: string;
  /** The redirect URI's host, explicit port, path, and `--auth-success-url`. */
  callback: { host: string; port?: number; path: string; successUrl?: string };
  /** How long to wait for the user to finish signing in. */
  authTimeoutMs: number;
  /** `--authorize-param` pairs. */
  authorizeParams: [string, string][];
  /** `--use-id-token`. */
  useIdToken: boolean;
  /** Which grant signs in (a name of the grant table, `grants/table.ts`). */
  grant: GrantName;
  /** `--idp-profile`: an identity provider's quirks (`auto`: recognised by the issuer; `none`: off). */
  idpProfile?: IdpProfileName | "none" | "auto";
  /** `--enterprise-idp`: the enterprise identity provider (enterprise-managed authorization). */
  enterpriseIdp?: EnterpriseIdp;
  /** `--workload-token-file`: the workload's identity token (workload identity federation). */
  workloadTokenFile?: string;
  /** `--workload-token-command`: a program that prints the workload's identity token. */
  workloadTokenCommand?: string[];
  /** `--token-endpoint` (client credentials without discovery). */
  tokenEndpoint?: string;
  /** Opens (or prints) the authorization URL. */
  openUrl: (url: string) => Promise<"opened" | "printed">;
  /** A URL the user pasted (the `login` command over SSH); resolves `undefined` when none. */
  pastedRedirect?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Aborts a sign-in in progress (the host went away). */
  signal?: AbortSignal;
  /** The clock (milliseconds since the epoch). */
  now?: () => number;
}
