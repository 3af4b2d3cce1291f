/**
 * The OAuth client of the bridge: keeps credentials for one server, refreshes them, and signs the
 * user in when the server asks (401, or 403 `insufficient_scope`). It is the transports'
 * {@linkcode AuthHook}. Loaded with a dynamic `import()` only when authorization is needed.
 *
 * Several bridge processes share the store: sign-in and refresh run under cross-process locks, so
 * exactly one instance opens the browser and a rotating refresh token is never sent twice.
 *
 * @module
 */

import { missingNetForSignIn, type SignInNeeds } from "./sign_in_permissions.ts";
import { startCountdown } from "../log/countdown.ts";
import type { Logger } from "../log/logger.ts";
import type { AuthHook, FetchLike } from "../transport/transport.ts";
import { buildAuthorizationUrl, validateAuthorizationResponse } from "./authorization_request.ts";
import { callbackPortCandidates } from "./callback_port.ts";
import { type CallbackServer, startCallbackServer } from "./callback_server.ts";
import { discover, type Discovery } from "./discover.ts";
import { AuthError } from "./errors.ts";
import { checkServerSuppliedUrl, checkUserGivenUrl } from "./fetchable_url.ts";
import { createPkce, requireS256 } from "./pkce.ts";
import { chooseResource } from "./resource.ts";
import { selectScopes } from "./scopes.ts";
import type { CredentialStore } from "./store/credential_store.ts";
import { recordSecrets } from "./store/record.ts";
import {
  clientCredentialsToken,
  exchangeCode,
  pollDeviceToken,
  refreshTokens,
  registerClient,
  requestDeviceCode,
  type RequestOptions,
} from "./token_client.ts";
import type { AuthServerMetadata, BearerChallenge, ClientInfo, ServerRecord, TokenSet } from "./types.ts";
import { bearerChallenge } from "./www_authenticate.ts";

/** A pre-registered client from `--static-oauth-client-info`. */
export interface StaticClient {
  /** The client id. */
  client_id: string;
  /** The client secret, for a confidential client. */
  client_secret?: string;
  /** How to authenticate at the token endpoint (default: from the AS metadata). */
  token_endpoint_auth_method?: string;
}

/** Options for {@linkcode OAuthClient}. */
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
  /** Which grant signs in. */
  grant: "authorization_code" | "client_credentials" | "device_code";
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

/** How long before expiry an access token is refreshed. */
const REFRESH_MARGIN_MS = 60_000;
/** Storm brakes: at most this many sign-ins, and token requests, per minute in one process. */
const MAX_SIGN_INS_PER_MINUTE = 3;
const MAX_TOKEN_REQUESTS_PER_MINUTE = 12;
/** Step-up re-authorizations per operation. */
const MAX_STEP_UPS = 3;

function bearer(tokens: TokenSet, useIdToken: boolean): string | undefined {
  const token = useIdToken ? tokens.id_token : tokens.access_token;
  return token ? `Bearer ${token}` : undefined;
}

function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The OAuth client for one server configuration. */
export class OAuthClient implements AuthHook {
  #o: OAuthClientOptions;
  #now: () => number;
  #record: ServerRecord | undefined;
  #loaded: Promise<void> | undefined;
  #discovery: Promise<Discovery> | undefined;
  #busy: Promise<void> | undefined;
  #stepUps = new Map<string, number>();
  #signIns: number[] = [];
  #tokenRequests: number[] = [];
  #warnedNoIdToken = false;
  #refreshFailedFor: string | undefined;
  #discoveredFor: BearerChallenge | undefined;

  /**
   * Creates the client; nothing is read or sent yet.
   *
   * @example Usage
   * ```ts ignore
   * import { OAuthClient } from "./oauth_client.ts";
   * const oauth = new OAuthClient({ serverUrl, fetch, log, store, storeKey, allowHttp: false, ... });
   * const header = await oauth.header();
   * ```
   *
   * @param options The server, the store and the flags.
   */
  constructor(options: OAuthClientOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts discovery early when the store says this server needs authorization and holds no
   * usable tokens (so that the host's `initialize` does not wait for it).
   */
  async prepare(): Promise<void> {
    await this.#load();
    const record = this.#record;
    if (record?.needs_auth && !this.#usable(record.tokens) && !record.tokens?.refresh_token) {
      this.#o.log.debug("This server needed authorization before: discovering its authorization server now");
      this.#discoverOnce(undefined).catch((error) =>
        this.#o.log.debug(`Early discovery: ${(error as Error).message}`)
      );
    }
  }

  /** The `Authorization` header for the next request, refreshing tokens about to expire. */
  async header(): Promise<string | undefined> {
    await this.#load();
    const tokens = this.#record?.tokens;
    if (!tokens) return undefined;
    if (
      !this.#usable(tokens) && tokens.refresh_token && this.#o.grant !== "client_credentials" &&
      this.#refreshFailedFor !== tokens.refresh_token
    ) {
      await this.#exclusive(() => this.#refreshIfStill(tokens)).catch((error) => {
        // Not again for these tokens: the server's 401 will decide (refresh once more, or sign in). When
        // the authorization server could not be reached, the next request tries again.
        if (!(error instanceof AuthError && error.unreachable)) this.#refreshFailedFor = tokens.refresh_token;
        this.#o.log.debug(`Refresh before expiry failed: ${(error as Error).message}`);
      });
    } else if (!this.#usable(tokens) && this.#o.grant === "client_credentials") {
      await this.#exclusive(() => this.#signIn(undefined, false, bearer(tokens, false))).catch((error) =>
        this.#o.log.debug(`Renewing client credentials failed: ${(error as Error).message}`)
      );
    }
    const current = this.#record?.tokens;
    if (!current) return undefined;
    const value = bearer(current, this.#o.useIdToken);
    if (value === undefined && this.#o.useIdToken && !this.#warnedNoIdToken) {
      this.#warnedNoIdToken = true;
      this.#o.log.warn(
        "--use-id-token: the authorization server issued no id_token; sending the access token",
      );
    }
    return value ?? bearer(current, false);
  }

  /**
   * Reacts to a refusal by the server (see {@linkcode AuthHook.challenge}).
   *
   * @param status 401 or 403.
   * @param wwwAuthenticate The `WWW-Authenticate` header.
   * @param sentHeader The `Authorization` value the refused request carried.
   * @param operation What was refused.
   * @returns Whether to send the request again.
   */
  async challenge(
    status: number,
    wwwAuthenticate: string | null,
    sentHeader: string | undefined,
    operation: string,
  ): Promise<boolean> {
    const challenge = bearerChallenge(wwwAuthenticate);
    if (status === 403) {
      if (challenge?.error !== "insufficient_scope") return false;
      const attempts = (this.#stepUps.get(operation) ?? 0) + 1;
      if (attempts > MAX_STEP_UPS) {
        throw new AuthError(
          `The server still refuses ${operation} for lack of scope after ${MAX_STEP_UPS} re-authorizations` +
            (challenge.scope ? ` (it asks for "${challenge.scope}")` : "") +
            ": ask its operator to grant those scopes to your account",
        );
      }
      this.#stepUps.set(operation, attempts);
      this.#o.log.info(
        `The server needs more scope for ${operation}${
          challenge.scope ? ` (${challenge.scope})` : ""
        }: signing in again`,
      );
      await this.#exclusive(() => this.#signIn(challenge, true, sentHeader));
      return true;
    }
    if (status !== 401) return false;
    await this.#exclusive(async () => {
      const record = await this.#reload();
      const current = record?.tokens ? bearer(record.tokens, this.#o.useIdToken) : undefined;
      // Another request, or another bridge process, already has new credentials.
      if (current !== undefined && current !== sentHeader && this.#usable(record?.tokens)) return;
      if (record?.tokens?.refresh_token && this.#o.grant !== "client_credentials") {
        try {
          await this.#refreshIfStill(record.tokens, challenge);
          if (bearer(this.#record!.tokens!, this.#o.useIdToken) !== sentHeader) return;
        } catch (error) {
          // The network is down, not the tokens: no browser for a server that cannot be reached; the
          // request waits for the network and refreshes then.
          // Nor after the brake stopped token requests that kept failing (an authorization server that
          // is away behind a gateway, say): only a refusal of the refresh token leads to a sign-in.
          if (!(error instanceof AuthError) || error.unreachable || error.braked) throw error;
          this.#o.log.info(`Refreshing the tokens failed (${error.message}); signing in again`);
        }
      }
      await this.#signIn(challenge, false, sentHeader);
    });
    return true;
  }

  /**
   * Signs in now (the `login` command), whatever the store holds.
   *
   * @returns The record saved.
   */
  async login(): Promise<ServerRecord> {
    await this.#load();
    await this.#exclusive(() => this.#signIn(undefined, false, "force"));
    return this.#record!;
  }

  #usable(tokens: TokenSet | undefined): boolean {
    if (!tokens) return false;
    if (tokens.expires_at === undefined) return true;
    // Refresh a minute early, or a fifth of the lifetime early for short-lived tokens.
    const margin = Math.min(REFRESH_MARGIN_MS, (tokens.expires_at - tokens.obtained_at) / 5);
    return tokens.expires_at - margin > this.#now();
  }

  /** Runs one credential operation at a time in this process; callers that arrive meanwhile share it. */
  async #exclusive(fn: () => Promise<void>): Promise<void> {
    while (this.#busy) await this.#busy.catch(() => {});
    const run = fn();
    this.#busy = run;
    try {
      await run;
    } finally {
      if (this.#busy === run) this.#busy = undefined;
    }
  }

  async #load(): Promise<void> {
    this.#loaded ??= this.#o.store.read(this.#o.storeKey).then((record) => {
      this.#secretsOf(record);
      this.#record = record;
    });
    await this.#loaded;
  }

  async #reload(): Promise<ServerRecord | undefined> {
    this.#record = await this.#o.store.read(this.#o.storeKey);
    this.#secretsOf(this.#record);
    return this.#record;
  }

  /** Registers every secret of a stored record with the logger, the moment it is loaded. */
  #secretsOf(record: ServerRecord | undefined): void {
    for (const secret of recordSecrets(record)) this.#o.log.addSecret(secret);
  }

  /**
   * The options of a request to an endpoint of the authorization server's metadata: the rule for
   * server-supplied URLs applies, and every secret in the answer is registered with the logger.
   */
  #request(): RequestOptions & { serverUrl: URL; allowHttp: boolean; now: () => number } {
    return {
      allowHttp: this.#o.allowHttp,
      serverUrl: this.#o.serverUrl,
      onSecret: (secret) => this.#o.log.addSecret(secret),
      now: this.#now,
    };
  }

  #brake(kind: "sign-in" | "token request"): void {
    const list = kind === "sign-in" ? this.#signIns : this.#tokenRequests;
    const limit = kind === "sign-in" ? MAX_SIGN_INS_PER_MINUTE : MAX_TOKEN_REQUESTS_PER_MINUTE;
    const now = this.#now();
    while (list.length > 0 && list[0]! < now - 60_000) list.shift();
    if (list.length >= limit) {
      throw new AuthError(
        `Stopped after ${limit} ${kind}s within a minute: the server keeps refusing fresh credentials ` +
          "(check the server and the authorization server configuration, then try again)",
        { braked: true },
      );
    }
    list.push(now);
  }

  #discoverOnce(challenge: BearerChallenge | undefined): Promise<Discovery> {
    // A challenge that names resource metadata discovers again (once per challenge): the server may
    // have moved to another authorization server.
    if (!this.#discovery || (challenge?.resourceMetadata && challenge !== this.#discoveredFor)) {
      this.#discoveredFor = challenge;
      this.#discovery = discover({
        fetch: this.#o.fetch,
        serverUrl: this.#o.serverUrl,
        challenge,
        allowHttp: this.#o.allowHttp,
        log: this.#o.log,
      });
      this.#discovery.catch(() => (this.#discovery = undefined));
    }
    return this.#discovery;
  }

  /**
   * Refreshes under the cross-process refresh lock, unless someone already rotated the tokens. The
   * refresh token goes only to the token endpoint of the issuer that issued it: when discovery now
   * names another issuer, nothing is sent and the caller signs in again.
   */
  async #refreshIfStill(seen: TokenSet, challenge?: BearerChallenge): Promise<void> {
    await this.#o.store.withLock(this.#o.storeKey, "refresh", 30_000, async () => {
      const record = await this.#reload();
      const tokens = record?.tokens;
      if (!record || !tokens?.refresh_token) throw new AuthError("No refresh token is stored");
      if (tokens.refresh_token !== seen.refresh_token || tokens.access_token !== seen.access_token) {
        this.#o.log.debug("Another bridge process refreshed the tokens already");
        return;
      }
      const discovery = await this.#discoverOnce(challenge);
      if (record.issuer !== discovery.issuer) {
        throw new AuthError(
          `The stored tokens were issued by ${record.issuer ?? "an unknown authorization server"}, and the ` +
            `server now names ${discovery.issuer}: the refresh token is not sent there`,
        );
      }
      const client = this.#clientForRefresh(record, discovery);
      const token = this.#tokenEndpoint(discovery.metadata);
      this.#brake("token request");
      let next: TokenSet;
      try {
        next = await refreshTokens(this.#o.fetch, {
          ...token,
          client,
          refreshToken: tokens.refresh_token,
          // No scope: RFC 6749 §6 then grants what the refresh token carries (asking for more fails).
          ...(record.resource ? { resource: record.resource } : {}),
        });
      } catch (error) {
        if (error instanceof AuthError && error.oauthError === "invalid_grant") {
          // The refresh token is dead (revoked, expired, or used): forget the tokens, keep the client.
          const cleared: ServerRecord = { ...record, tokens: undefined };
          await this.#o.store.write(this.#o.storeKey, cleared);
          this.#record = cleared;
        } else if (
          error instanceof AuthError && error.oauthError === "invalid_client" && client.source === "dcr"
        ) {
          // The authorization server forgot the registration: the next sign-in registers again.
          const cleared: ServerRecord = { ...record, tokens: undefined, client: undefined };
          await this.#o.store.write(this.#o.storeKey, cleared);
          this.#record = cleared;
        }
        throw error;
      }
      const updated: ServerRecord = { ...record, tokens: next, last_refresh: this.#now() };
      await this.#o.store.write(this.#o.storeKey, updated);
      this.#record = updated;
      this.#o.log.debug("Refreshed the access token");
    });
  }

  #clientForRefresh(record: ServerRecord, discovery: Discovery): ClientInfo {
    if (this.#o.staticClient) return this.#staticClientInfo(discovery, record);
    if (record.client && record.issuer === discovery.issuer) return record.client;
    if (this.#o.clientMetadataUrl) {
      return { client_id: this.#o.clientMetadataUrl, token_endpoint_auth_method: "none", source: "cimd" };
    }
    throw new AuthError("No client registration is stored for this authorization server");
  }

  /**
   * The token endpoint and the options of a request to it: `--token-endpoint` (the user's choice,
   * checked as such), else the metadata's, which must pass the rule for server-supplied URLs.
   */
  #tokenEndpoint(metadata: AuthServerMetadata): RequestOptions & { tokenEndpoint: string } {
    if (this.#o.tokenEndpoint) {
      checkUserGivenUrl(this.#o.tokenEndpoint, this.#o.allowHttp, "token endpoint");
      const { serverUrl: _, ...options } = this.#request();
      return { ...options, tokenEndpoint: this.#o.tokenEndpoint };
    }
    const endpoint = metadata.token_endpoint;
    if (!endpoint) throw new AuthError(`The authorization server ${metadata.issuer} has no token endpoint`);
    checkServerSuppliedUrl(
      endpoint,
      this.#o.serverUrl,
      this.#o.allowHttp,
      `token_endpoint of ${metadata.issuer}`,
    );
    return { ...this.#request(), tokenEndpoint: endpoint };
  }

  /**
   * The issuer the static client's secret is bound to: the record's binding, or, for a record
   * written before bindings existed, the issuer of tokens stored without a client (a static one).
   */
  #staticBinding(record: ServerRecord | undefined): { client_id: string; issuer: string } | undefined {
    const s = this.#o.staticClient;
    if (!s) return undefined;
    if (record?.static_client) return record.static_client;
    return record?.issuer !== undefined && record.tokens !== undefined && record.client === undefined
      ? { client_id: s.client_id, issuer: record.issuer }
      : undefined;
  }

  /**
   * The static client of `--static-oauth-client-info` for an issuer. Its secret is bound to the
   * issuer of the first successful sign-in (kept in the record), unless the user named the token
   * endpoint: it is never sent to another one.
   */
  #staticClientInfo(discovery: Discovery, record: ServerRecord | undefined): ClientInfo {
    const s = this.#o.staticClient!;
    const bound = this.#staticBinding(record);
    if (
      s.client_secret !== undefined && !this.#o.tokenEndpoint && bound !== undefined &&
      bound.client_id === s.client_id && bound.issuer !== discovery.issuer
    ) {
      throw new AuthError(
        `Refusing to send the client secret of --static-oauth-client-info to ${discovery.issuer}: it belongs to ` +
          `${bound.issuer}, where it was first used. If the server really moved, run \`mcp-bridge logout ` +
          `${this.#o.serverUrl.href}\` and sign in again, or name the token endpoint with --token-endpoint`,
      );
    }
    const metadata = discovery.metadata;
    return {
      client_id: s.client_id,
      ...(s.client_secret !== undefined ? { client_secret: s.client_secret } : {}),
      token_endpoint_auth_method: s.token_endpoint_auth_method ??
        (s.client_secret === undefined
          ? "none"
          : chooseSecretMethod(metadata.token_endpoint_auth_methods_supported)),
      source: "static",
    };
  }

  /** Signs in under the cross-process sign-in lock. */
  /** What a sign-in will reach, besides the metadata already fetched. */
  #signInNeeds(discovery: Discovery | undefined): SignInNeeds {
    const urls: URL[] = [];
    for (
      const name of ["token_endpoint", "registration_endpoint", "device_authorization_endpoint"] as const
    ) {
      const value = discovery?.metadata[name];
      if (typeof value === "string" && URL.canParse(value)) urls.push(new URL(value));
    }
    const browser = this.#o.grant === "authorization_code";
    const loopback = this.#o.callback.host === "127.0.0.1" ? ["127.0.0.1"] : ["127.0.0.1", "::1"];
    return {
      urls,
      callbackHosts: browser ? loopback : [],
      ...(this.#o.callback.port !== undefined ? { callbackPort: this.#o.callback.port } : {}),
    };
  }

  /** Fails before the sign-in starts when it would fail later for a network permission, naming them all. */
  #checkSignInPermissions(discovery: Discovery): void {
    const needs = this.#signInNeeds(discovery);
    // `localhost` in the redirect URI works with 127.0.0.1 alone (the listener then names that address).
    const missing = missingNetForSignIn({ ...needs, callbackHosts: needs.callbackHosts.slice(0, 1) });
    if (missing.length === 0) return;
    throw new AuthError(
      `Signing in to ${this.#o.serverUrl.host} needs network permissions mcp-bridge lacks: add ` +
        `--allow-net=${missing.join(",")} (or print the whole host entry with \`mcp-bridge config <url>\`)`,
    );
  }

  /** A discovery that failed for a network permission: the error names the sign-in's other needs too. */
  #withOtherMissingPermissions(error: unknown): unknown {
    if (!(error instanceof AuthError)) return error;
    const flag = /add --allow-net=(\S+)/.exec(error.message)?.[1];
    if (flag === undefined) return error;
    const needs = this.#signInNeeds(undefined);
    const others = missingNetForSignIn({ ...needs, callbackHosts: needs.callbackHosts.slice(0, 1) })
      .filter((host) => host !== flag);
    if (others.length === 0) return error;
    return new AuthError(
      `${error.message.replace(/add --allow-net=\S+/, `add --allow-net=${[flag, ...others].join(",")}`)} ` +
        "(everything the sign-in needs; or print the whole host entry with `mcp-bridge config <url>`)",
      { cause: error },
    );
  }

  async #signIn(
    challenge: BearerChallenge | undefined,
    stepUp: boolean,
    refused: string | undefined,
  ): Promise<void> {
    this.#o.signal?.throwIfAborted();
    const discovery: Discovery = this.#o.grant === "client_credentials" && this.#o.tokenEndpoint
      ? {
        issuer: new URL(this.#o.tokenEndpoint).origin,
        metadata: { issuer: new URL(this.#o.tokenEndpoint).origin },
        legacy: false,
      }
      : await this.#discoverOnce(challenge).catch((error) => {
        throw this.#withOtherMissingPermissions(error);
      });
    this.#checkSignInPermissions(discovery);
    const waitMs = this.#o.authTimeoutMs + 60_000;
    await this.#o.store.withLock(this.#o.storeKey, "signin", waitMs, async () => {
      const stored = await this.#reload();
      const storedHeader = stored?.tokens ? bearer(stored.tokens, this.#o.useIdToken) : undefined;
      if (
        !stepUp && refused !== "force" && storedHeader !== undefined && storedHeader !== refused &&
        stored?.issuer === discovery.issuer && this.#usable(stored.tokens)
      ) {
        this.#o.log.debug("Another bridge process signed in meanwhile: using its tokens");
        return;
      }
      this.#brake("sign-in");
      let record: ServerRecord = stored ?? { version: 1, server_url: this.#o.serverUrl.href };
      if (record.issuer !== undefined && record.issuer !== discovery.issuer) {
        // Credentials are bound to their issuer: nothing of the old one (tokens, client, secret) is
        // sent to the new one. Only the binding of a static client's secret is kept.
        this.#o.log.warn(
          `The authorization server changed from ${record.issuer} to ${discovery.issuer}: signing in again ` +
            `there (nothing stored for ${record.issuer} is sent to it)`,
        );
        const binding = this.#staticBinding(record);
        record = {
          version: 1,
          server_url: record.server_url,
          ...(binding ? { static_client: binding } : {}),
        };
      }
      const scope = selectScopes({
        challengeScope: challenge?.scope,
        prmScopesSupported: discovery.prm?.scopes_supported,
        asScopesSupported: discovery.metadata.scopes_supported,
        previouslyRequested: record.requested_scope,
        stepUp,
      });
      const resource = chooseResource({
        serverUrl: this.#o.serverUrl,
        ...(discovery.prm?.resource !== undefined ? { prmResource: discovery.prm.resource } : {}),
        ...(this.#o.resource !== undefined ? { override: this.#o.resource } : {}),
      });
      let tokens: TokenSet;
      let client: ClientInfo | undefined = record.client;
      if (this.#o.grant === "client_credentials") {
        if (!this.#o.staticClient?.client_secret) {
          throw new AuthError(
            "--client-credentials needs a client id and secret from --static-oauth-client-info",
          );
        }
        const staticClient = this.#staticClientInfo(discovery, record);
        this.#brake("token request");
        tokens = await clientCredentialsToken(this.#o.fetch, {
          ...this.#tokenEndpoint(discovery.metadata),
          client: staticClient,
          ...(scope ? { scope } : {}),
          ...(resource ? { resource } : {}),
        });
        client = undefined;
      } else if (this.#o.grant === "device_code") {
        ({ tokens, client } = await this.#deviceFlow(discovery, record, scope, resource));
      } else {
        ({ tokens, client } = await this.#codeFlow(discovery, record, scope, resource));
      }
      record = {
        ...record,
        version: 1,
        server_url: this.#o.serverUrl.href,
        issuer: discovery.issuer,
        tokens,
        needs_auth: true,
        ...(resource !== undefined ? { resource } : {}),
        ...(scope !== undefined ? { requested_scope: scope } : {}),
      };
      // A static client is never written to disk; a registered or CIMD one is, keyed by issuer.
      if (client && client.source !== "static") record.client = client;
      else delete record.client;
      // A static secret is bound to the issuer of its first successful sign-in.
      const staticClient = this.#o.staticClient;
      if (
        staticClient?.client_secret !== undefined && !this.#o.tokenEndpoint &&
        record.static_client?.client_id !== staticClient.client_id
      ) {
        record.static_client = { client_id: staticClient.client_id, issuer: discovery.issuer };
      }
      await this.#o.store.write(this.#o.storeKey, record);
      this.#record = record;
      this.#o.log.info(`Signed in to ${this.#o.serverUrl.host}`);
      if (this.#o.store.volatileWarning) this.#o.log.warn(this.#o.store.volatileWarning);
    });
  }

  /** The client identity at this authorization server for a redirect URI. */
  async #clientFor(discovery: Discovery, record: ServerRecord, redirectUris: string[]): Promise<ClientInfo> {
    const metadata = discovery.metadata;
    if (this.#o.staticClient) return this.#staticClientInfo(discovery, record);
    if (this.#o.clientMetadataUrl && metadata.client_id_metadata_document_supported === true) {
      return { client_id: this.#o.clientMetadataUrl, token_endpoint_auth_method: "none", source: "cimd" };
    }
    const stored = record.client;
    const expired = stored?.client_secret_expires_at !== undefined && stored.client_secret_expires_at !== 0 &&
      stored.client_secret_expires_at * 1000 < this.#now();
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
      this.#o.serverUrl,
      this.#o.allowHttp,
      `registration_endpoint of ${discovery.issuer}`,
    );
    const grantTypes = this.#o.grant === "device_code"
      ? ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]
      : ["authorization_code", "refresh_token"];
    const body: Record<string, unknown> = {
      client_name: "mcp-bridge",
      application_type: "native",
      redirect_uris: redirectUris,
      grant_types: grantTypes,
      response_types: this.#o.grant === "device_code" ? [] : ["code"],
      token_endpoint_auth_method: chooseRegistrationMethod(metadata.token_endpoint_auth_methods_supported),
      ...(this.#o.staticClientMetadata ?? {}),
    };
    this.#o.log.info(`Registering mcp-bridge with ${discovery.issuer}`);
    const client = await registerClient(this.#o.fetch, endpoint.href, body, this.#request());
    return { ...client, redirect_uris: client.redirect_uris ?? redirectUris, source: "dcr" };
  }

  async #listen(state: string, signal: AbortSignal): Promise<CallbackServer> {
    const { host, port, path, successUrl } = this.#o.callback;
    const candidates = callbackPortCandidates(this.#o.storeKey, port);
    let lastError: unknown;
    for (const candidate of candidates) {
      try {
        return await startCallbackServer({
          host,
          port: candidate,
          path,
          state,
          signal,
          log: this.#o.log,
          ...(successUrl ? { successUrl } : {}),
        });
      } catch (error) {
        // Only a busy port moves on to the next candidate; anything else (a missing --allow-net) is final.
        if (!(error instanceof AuthError) || !(error.cause instanceof Deno.errors.AddrInUse)) throw error;
        lastError = error;
        this.#o.log.debug(`Callback port ${candidate}: ${error.message}`);
      }
    }
    throw port !== undefined
      ? new AuthError(
        `Cannot listen for the sign-in callback on port ${port}: it is in use (it was given explicitly)`,
        {
          cause: lastError,
        },
      )
      : new AuthError(
        `Cannot listen for the sign-in callback: ports ${candidates.join(", ")} are all in use`,
        {
          cause: lastError,
        },
      );
  }

  async #codeFlow(
    discovery: Discovery,
    record: ServerRecord,
    scope: string | undefined,
    resource: string | undefined,
    retried = false,
  ): Promise<{ tokens: TokenSet; client: ClientInfo }> {
    const metadata = discovery.metadata;
    requireS256(metadata);
    if (!metadata.authorization_endpoint) {
      throw new AuthError(`The authorization server ${discovery.issuer} has no authorization endpoint`);
    }
    checkServerSuppliedUrl(
      metadata.authorization_endpoint,
      this.#o.serverUrl,
      this.#o.allowHttp,
      `authorization_endpoint of ${discovery.issuer}`,
    );
    const state = randomState();
    const stop = new AbortController();
    const signals = [stop.signal, ...(this.#o.signal ? [this.#o.signal] : [])];
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const server = await this.#listen(state, signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopCountdown = () => {};
    try {
      const client = await this.#clientFor(discovery, record, [server.redirectUri]);
      const pkce = await createPkce();
      this.#o.log.addSecret(pkce.verifier);
      const url = buildAuthorizationUrl({
        endpoint: metadata.authorization_endpoint,
        clientId: client.client_id,
        redirectUri: server.redirectUri,
        state,
        codeChallenge: pkce.challenge,
        ...(scope ? { scope } : {}),
        ...(resource ? { resource } : {}),
        extraParams: this.#o.authorizeParams,
      });
      // The listener is up before the URL is shown or a browser is opened.
      this.#o.log.info(`Sign in to ${this.#o.serverUrl.host} in your browser`);
      await this.#o.openUrl(url.href);
      const seconds = Math.round(this.#o.authTimeoutMs / 1000);
      // `login` (the only caller that reads a pasted address) runs in a terminal: Ctrl-C stops it, and
      // advising it to run itself would be no help.
      const inLogin = this.#o.pastedRedirect !== undefined;
      this.#o.log.info(
        `Waiting up to ${seconds} s for the sign-in to finish in the browser` +
          (inLogin ? " (Ctrl-C cancels)" : ""),
      );
      // On a terminal, a spinner with the time left; nothing more in a host's log.
      stopCountdown = startCountdown(this.#o.log, {
        text: "Waiting for the sign-in in the browser",
        deadline: Date.now() + this.#o.authTimeoutMs,
        ...(inLogin ? { hint: "Ctrl-C cancels" } : {}),
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AuthError(
                `Nobody finished signing in within ${seconds} s: ` +
                  (inLogin
                    ? "start again and finish in the browser sooner, or raise --auth-timeout"
                    : "run `mcp-bridge login <url>` in a terminal, or raise --auth-timeout"),
              ),
            ),
          this.#o.authTimeoutMs,
        );
      });
      const waits: Promise<URLSearchParams>[] = [server.result, timeout];
      if (this.#o.pastedRedirect) {
        waits.push(
          this.#o.pastedRedirect(signal).then((text) =>
            text === undefined ? new Promise<never>(() => {}) : new URL(text.trim()).searchParams
          ),
        );
      }
      const params = await Promise.race(waits);
      stopCountdown();
      const received = params.get("code");
      if (received) this.#o.log.addSecret(received);
      const code = validateAuthorizationResponse(params, {
        state,
        issuer: discovery.issuer,
        issParameterSupported: metadata.authorization_response_iss_parameter_supported === true,
      });
      this.#brake("token request");
      try {
        const tokens = await exchangeCode(this.#o.fetch, {
          ...this.#tokenEndpoint(metadata),
          client,
          code,
          codeVerifier: pkce.verifier,
          redirectUri: server.redirectUri,
          ...(resource ? { resource } : {}),
        });
        return { tokens, client };
      } catch (error) {
        // The AS forgot the registration: register again, once.
        if (
          error instanceof AuthError && error.oauthError === "invalid_client" && client.source === "dcr" &&
          !retried
        ) {
          this.#o.log.info("The authorization server no longer knows this client: registering again");
          stopCountdown();
          clearTimeout(timer);
          stop.abort();
          await server.close();
          return await this.#codeFlow(discovery, { ...record, client: undefined }, scope, resource, true);
        }
        throw error;
      }
    } finally {
      stopCountdown();
      clearTimeout(timer);
      stop.abort();
      await server.close();
    }
  }

  async #deviceFlow(
    discovery: Discovery,
    record: ServerRecord,
    scope: string | undefined,
    resource: string | undefined,
  ): Promise<{ tokens: TokenSet; client: ClientInfo }> {
    const metadata = discovery.metadata;
    if (!metadata.device_authorization_endpoint) {
      throw new AuthError(
        `The authorization server ${discovery.issuer} does not support the device flow (RFC 8628)`,
      );
    }
    if (
      metadata.grant_types_supported &&
      !metadata.grant_types_supported.includes("urn:ietf:params:oauth:grant-type:device_code")
    ) {
      throw new AuthError(
        `The authorization server ${discovery.issuer} does not allow the device code grant`,
      );
    }
    const client = await this.#clientFor(discovery, record, []);
    this.#brake("token request");
    const device = await requestDeviceCode(this.#o.fetch, {
      ...this.#request(),
      endpoint: checkServerSuppliedUrl(
        metadata.device_authorization_endpoint,
        this.#o.serverUrl,
        this.#o.allowHttp,
        `device_authorization_endpoint of ${discovery.issuer}`,
      ).href,
      client,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
    });
    // Shown even with --silent (like a sign-in URL to open by hand); the logger neutralises server text.
    this.#o.log.notice(
      `To sign in to ${this.#o.serverUrl.host}, visit ${device.verification_uri} and enter the code ${device.user_code}`,
    );
    const stopCountdown = startCountdown(this.#o.log, {
      text: `Waiting for the code to be entered at ${device.verification_uri}`,
      deadline: Date.now() + this.#o.authTimeoutMs,
    });
    try {
      const tokens = await pollDeviceToken(this.#o.fetch, {
        ...this.#tokenEndpoint(metadata),
        client,
        device,
        ...(resource ? { resource } : {}),
        ...(scope ? { scope } : {}),
        deadline: this.#now() + this.#o.authTimeoutMs,
        ...(this.#o.signal ? { signal: this.#o.signal } : {}),
      });
      return { tokens, client };
    } finally {
      stopCountdown();
    }
  }
}

/** The client authentication a registration asks for: public (`none`) where the AS allows it. */
function chooseRegistrationMethod(supported: string[] | undefined): string {
  if (supported === undefined || supported.includes("none")) return "none";
  return chooseSecretMethod(supported);
}

/** For a client with a secret: Basic where allowed (RFC 8414's default), else in the body. */
function chooseSecretMethod(supported: string[] | undefined): string {
  if (supported === undefined || supported.includes("client_secret_basic")) return "client_secret_basic";
  if (supported.includes("client_secret_post")) return "client_secret_post";
  return supported[0] ?? "client_secret_basic";
}
