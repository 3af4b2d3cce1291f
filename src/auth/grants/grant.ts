/**
 * The common interface of the grants that sign in (RFC 6749 §4 and its extensions): each grant is one
 * module with an `obtain`, and `table.ts` names them. The OAuth client does the rest the same way for
 * all of them: discovery, the sign-in lock, scope and resource, the record, refresh.
 *
 * @module
 */

import type { Brakes } from "../brakes.ts";
import type { Discovery } from "../discover.ts";
import type { OAuthClientOptions } from "../oauth_options.ts";
import type { RequestOptions } from "../token_client.ts";
import type { ClientInfo, IdpSession, ServerRecord, TokenSet } from "../types.ts";

/** What a grant gets from the OAuth client for one sign-in. */
export interface GrantContext {
  /** The client's options (server, flags, seams). */
  options: OAuthClientOptions;
  /** The authorization server, as discovered (or named by `--token-endpoint`). */
  discovery: Discovery;
  /** The stored record (its registered client, if any). */
  record: ServerRecord;
  /** The scope to ask for, if any. */
  scope: string | undefined;
  /** The `resource` to ask for, if any. */
  resource: string | undefined;
  /** Authorization request parameters an identity provider needs (its profile's), before `--authorize-param`. */
  authorizeParams: [string, string][];
  /** The clock, milliseconds since the epoch. */
  now: () => number;
  /** The storm brakes: `use("token request")` before each token request. */
  brakes: Brakes;
  /** The token endpoint and the options of a request to it (its URL checked). */
  tokenEndpoint(): RequestOptions & { tokenEndpoint: string };
  /** The options of a request to another endpoint of the authorization server's metadata. */
  request(): RequestOptions & { serverUrl: URL; allowHttp: boolean; now: () => number };
  /**
   * The pre-registered client of `--static-oauth-client-info` at this authorization server (its secret
   * bound to the issuer); throws an `AuthError` with `missing` when there is none.
   */
  staticClient(missing: string): ClientInfo;
  /**
   * Stores the session at an enterprise identity provider at once (under the sign-in lock), before the
   * rest of the sign-in: a refresh token rotated there is not lost when a later step fails.
   */
  keepIdpSession(session: IdpSession): Promise<void>;
  /** The client identity at this authorization server (static, CIMD, stored or newly registered). */
  client(record: ServerRecord, redirectUris: string[]): Promise<ClientInfo>;
}

/** What a sign-in with a grant obtained. */
export interface Obtained {
  /** The tokens. */
  tokens: TokenSet;
  /** The client used, to store when registered (`undefined`: nothing to store). */
  client: ClientInfo | undefined;
  /** The session at an enterprise identity provider to keep (`undefined`: none). */
  idp?: IdpSession;
}

/** One grant. */
export interface Grant {
  /**
   * How expired tokens are renewed: `refresh` with the refresh token (a user's grant), or `obtain`
   * anew (a client's own grant, which gets no refresh token).
   */
  readonly renewal: "refresh" | "obtain";
  /** Whether `--token-endpoint` alone is enough to sign in (no discovery: a client's own grant). */
  readonly tokenEndpointSuffices: boolean;
  /** Whether signing in needs the loopback callback listener (a browser comes back to it). */
  readonly callback: boolean;
  /** What a dynamic client registration asks for (RFC 7591 `grant_types`, `response_types`). */
  readonly registration: { grant_types: string[]; response_types: string[] };
  /** Obtains tokens. */
  obtain(context: GrantContext): Promise<Obtained>;
}
