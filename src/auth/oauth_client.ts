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
import type { AuthHook } from "../transport/transport.ts";
import { type BrakeKind, Brakes } from "./brakes.ts";
import { discover, type Discovery } from "./discover.ts";
import { AuthError } from "./errors.ts";
import { checkServerSuppliedUrl, checkUserGivenUrl } from "./fetchable_url.ts";
import type { Grant, GrantContext } from "./grants/grant.ts";
import { GRANTS } from "./grants/table.ts";
import type { OAuthClientOptions } from "./oauth_options.ts";
import { clientFor } from "./registration.ts";
import { chooseResource } from "./resource.ts";
import { selectScopes } from "./scopes.ts";
import { profileFor } from "./idp_profiles.ts";
import { staticBinding, staticClientInfo } from "./static_client.ts";
import { recordSecrets } from "./store/record.ts";
import { refreshTokens, type RequestOptions } from "./token_client.ts";
import { isUsable } from "./token_freshness.ts";
import { senderFor } from "./token_sender.ts";
import { DPOP_ALG, DpopProver } from "./dpop.ts";
import type { AuthServerMetadata, BearerChallenge, ClientInfo, ServerRecord, TokenSet } from "./types.ts";
import { asksForDpopNonce, bearerChallenge } from "./www_authenticate.ts";

export type { GrantName, OAuthClientOptions, StaticClient } from "./oauth_options.ts";

/** The OAuth client for one server configuration. */
export class OAuthClient implements AuthHook {
  #o: OAuthClientOptions;
  #now: () => number;
  #record: ServerRecord | undefined;
  #loaded: Promise<void> | undefined;
  #discovery: Promise<Discovery> | undefined;
  #busy: Promise<void> | undefined;
  #brakes: Brakes;
  #grant: Grant;
  /** The DPoP key of the stored record, loaded (its `x`), and a new one not stored yet. */
  #dpop: { x: string; prover: DpopProver } | undefined;
  #pendingDpop: { jwk: JsonWebKey; prover: DpopProver } | undefined;
  /** The MCP server sent a nonce not seen before (a `use_dpop_nonce` refusal may be retried once). */
  #freshNonce = false;
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
    this.#brakes = new Brakes(this.#now);
    this.#grant = GRANTS[options.grant];
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
      !this.#usable(tokens) && tokens.refresh_token && this.#grant.renewal === "refresh" &&
      this.#refreshFailedFor !== tokens.refresh_token
    ) {
      await this.#exclusive(() => this.#refreshIfStill(tokens)).catch((error) => {
        // Not again for these tokens: the server's 401 will decide (refresh once more, or sign in). When
        // the authorization server could not be reached, the next request tries again.
        if (!(error instanceof AuthError && error.unreachable)) this.#refreshFailedFor = tokens.refresh_token;
        this.#o.log.debug(`Refresh before expiry failed: ${(error as Error).message}`);
      });
    } else if (!this.#usable(tokens) && this.#grant.renewal === "obtain") {
      await this.#exclusive(() => this.#signIn(undefined, false, this.#authorization(tokens, false))).catch((
        error,
      ) => this.#o.log.debug(`Renewing client credentials failed: ${(error as Error).message}`));
    }
    const current = this.#record?.tokens;
    if (!current) return undefined;
    const value = this.#authorization(current, this.#o.useIdToken);
    if (value === undefined && this.#o.useIdToken && !this.#warnedNoIdToken) {
      this.#warnedNoIdToken = true;
      this.#o.log.warn(
        "--use-id-token: the authorization server issued no id_token; sending the access token",
      );
    }
    return value ?? this.#authorization(current, false);
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
    // RFC 9449 §9: the MCP server wants its nonce in the proof; the request goes again with it.
    if (status === 401 && asksForDpopNonce(wwwAuthenticate) && /^dpop\s/i.test(sentHeader ?? "")) {
      // Once per new nonce: the same nonce asked for again is a refusal, not a retry.
      const fresh = this.#freshNonce;
      this.#freshNonce = false;
      if (fresh) return true;
    }
    if (status === 403) {
      if (challenge?.error !== "insufficient_scope") return false;
      this.#brakes.stepUp(operation, challenge.scope);
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
      const current = record?.tokens ? this.#authorization(record.tokens, this.#o.useIdToken) : undefined;
      // Another request, or another bridge process, already has new credentials.
      if (current !== undefined && current !== sentHeader && this.#usable(record?.tokens)) return;
      if (record?.tokens?.refresh_token && this.#grant.renewal === "refresh") {
        try {
          await this.#refreshIfStill(record.tokens, challenge);
          if (this.#authorization(this.#record!.tokens!, this.#o.useIdToken) !== sentHeader) return;
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
    return isUsable(tokens, this.#now());
  }

  #authorization(tokens: TokenSet, useIdToken: boolean): string | undefined {
    return senderFor(tokens).authorization(tokens, useIdToken);
  }

  /**
   * The DPoP prover for token requests to an authorization server, or for a stored DPoP-bound token:
   * the record's key when it has one, else a new key (stored with the tokens it binds) when both sides
   * take DPoP: the authorization server lists ES256 proofs, and the MCP server asked for them (its
   * challenge offers the `DPoP` scheme, or its resource metadata names DPoP). An MCP server that knows
   * only Bearer never gets a token it cannot read. `undefined`: no DPoP.
   */
  async #dpopFor(
    record: ServerRecord | undefined,
    metadata: AuthServerMetadata | undefined,
    serverWantsDpop = false,
  ) {
    const stored = record?.dpop_key;
    if (stored) {
      const current = this.#dpop;
      if (current !== undefined && current.x === stored.x) return { prover: current.prover, jwk: stored };
      let prover: DpopProver;
      try {
        prover = await DpopProver.fromJwk(stored, this.#now);
      } catch (error) {
        this.#o.log.warn(
          `The stored DPoP key cannot be used (${(error as Error).message}): signing in again`,
        );
        return undefined;
      }
      const loaded = { x: stored.x ?? "", prover };
      this.#dpop = loaded;
      return { prover: loaded.prover, jwk: stored };
    }
    if (!serverWantsDpop || !metadata?.dpop_signing_alg_values_supported?.includes(DPOP_ALG)) {
      return undefined;
    }
    if (!this.#pendingDpop) {
      const { prover, jwk } = await DpopProver.generate(this.#now);
      if (jwk.d) this.#o.log.addSecret(jwk.d);
      this.#pendingDpop = { prover, jwk };
    }
    return this.#pendingDpop;
  }

  /**
   * A DPoP proof for an MCP request that carries a DPoP-bound token (see {@linkcode AuthHook.proof}).
   *
   * @param method The HTTP method.
   * @param url The request URL.
   * @param authorization The `Authorization` value (`DPoP <token>`).
   * @returns The proof, or `undefined` when no DPoP key is stored.
   */
  async proof(method: string, url: URL, authorization: string): Promise<string | undefined> {
    const dpop = await this.#dpopFor(this.#record, undefined);
    if (!dpop) return undefined;
    return await dpop.prover.proof({ method, url, accessToken: authorization.replace(/^dpop\s+/i, "") });
  }

  /**
   * Keeps the `DPoP-Nonce` of the MCP server's answers for the next proofs.
   *
   * @param url The request URL.
   * @param headers The answer's headers.
   */
  observe(url: URL, headers: Headers): void {
    const nonce = headers.get("dpop-nonce");
    if (nonce === null) return;
    const prover = this.#dpop?.prover ?? this.#pendingDpop?.prover;
    if (prover?.rememberNonce(url, nonce)) this.#freshNonce = true;
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

  #brake(kind: BrakeKind): void {
    this.#brakes.use(kind);
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
      // A refresh proves the key the tokens are bound to (RFC 9449 §5).
      const dpop = await this.#dpopFor(record, discovery.metadata);
      const token = { ...this.#tokenEndpoint(discovery.metadata), ...(dpop ? { dpop: dpop.prover } : {}) };
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
    if (this.#o.staticClient) return this.#staticClient(discovery, record);
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
      return { ...options, issuer: metadata.issuer, tokenEndpoint: this.#o.tokenEndpoint };
    }
    const endpoint = metadata.token_endpoint;
    if (!endpoint) throw new AuthError(`The authorization server ${metadata.issuer} has no token endpoint`);
    checkServerSuppliedUrl(
      endpoint,
      this.#o.serverUrl,
      this.#o.allowHttp,
      `token_endpoint of ${metadata.issuer}`,
    );
    return { ...this.#request(), issuer: metadata.issuer, tokenEndpoint: endpoint };
  }

  /** The static client of `--static-oauth-client-info` at this issuer (see static_client.ts). */
  #staticClient(discovery: Discovery, record: ServerRecord | undefined): ClientInfo {
    return staticClientInfo({
      staticClient: this.#o.staticClient!,
      tokenEndpointGiven: Boolean(this.#o.tokenEndpoint),
      serverUrl: this.#o.serverUrl,
      discovery,
      record,
    });
  }

  /** What a sign-in will reach, besides the metadata already fetched. */
  #signInNeeds(discovery: Discovery | undefined): SignInNeeds {
    const urls: URL[] = [];
    for (
      const name of ["token_endpoint", "registration_endpoint", "device_authorization_endpoint"] as const
    ) {
      const value = discovery?.metadata[name];
      if (typeof value === "string" && URL.canParse(value)) urls.push(new URL(value));
    }
    // Endpoints the user named: the token endpoint, the enterprise identity provider's.
    for (
      const value of [
        this.#o.tokenEndpoint,
        this.#o.enterpriseIdp?.tokenEndpoint,
        this.#o.enterpriseIdp?.issuer,
      ]
    ) {
      if (value !== undefined && URL.canParse(value)) urls.push(new URL(value));
    }
    // A browser sign-in at the enterprise identity provider when no ID token is given.
    const idp = this.#o.enterpriseIdp;
    const browser = this.#grant.callback || (idp !== undefined && idp.idToken === undefined);
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

  /** Signs in under the cross-process sign-in lock. */
  async #signIn(
    challenge: BearerChallenge | undefined,
    stepUp: boolean,
    refused: string | undefined,
  ): Promise<void> {
    this.#o.signal?.throwIfAborted();
    const discovery: Discovery = this.#grant.tokenEndpointSuffices && this.#o.tokenEndpoint
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
      const storedHeader = stored?.tokens
        ? this.#authorization(stored.tokens, this.#o.useIdToken)
        : undefined;
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
        const binding = staticBinding(this.#o.staticClient, record);
        // A DPoP key shown to one issuer is not shown to another.
        this.#pendingDpop = undefined;
        record = {
          version: 1,
          server_url: record.server_url,
          ...(binding ? { static_client: binding } : {}),
        };
      }
      const standardScope = selectScopes({
        challengeScope: challenge?.scope,
        prmScopesSupported: discovery.prm?.scopes_supported,
        asScopesSupported: discovery.metadata.scopes_supported,
        previouslyRequested: record.requested_scope,
        stepUp,
        wantRefreshToken: this.#grant.renewal === "refresh" && stored?.tokens !== undefined &&
          stored.tokens.refresh_token === undefined,
      });
      const audience = chooseResource({
        serverUrl: this.#o.serverUrl,
        ...(discovery.prm?.resource !== undefined ? { prmResource: discovery.prm.resource } : {}),
        ...(this.#o.resource !== undefined ? { override: this.#o.resource } : {}),
      });
      // An identity provider's quirks (idp_profiles.ts); a `--resource` the user gave is always sent.
      const profile = profileFor(discovery.issuer, this.#o.idpProfile);
      if (profile) this.#o.log.debug(`Identity provider profile: ${profile.name}`);
      const resource = profile && !profile.sendResource && this.#o.resource === undefined
        ? undefined
        : audience;
      const scope = profile ? profile.scope(standardScope, audience) : standardScope;
      const prm = discovery.prm;
      const serverWantsDpop = challenge?.dpop === true || prm?.dpop_bound_access_tokens_required === true ||
        Array.isArray(prm?.dpop_signing_alg_values_supported);
      const dpop = await this.#dpopFor(record, discovery.metadata, serverWantsDpop);
      const context: GrantContext = {
        options: this.#o,
        discovery,
        record,
        scope,
        resource,
        authorizeParams: profile?.authorizeParams(audience) ?? [],
        now: this.#now,
        brakes: this.#brakes,
        tokenEndpoint: () => ({
          ...this.#tokenEndpoint(discovery.metadata),
          ...(dpop ? { dpop: dpop.prover } : {}),
        }),
        request: () => this.#request(),
        keepIdpSession: async (session) => {
          record = { ...record, idp: session };
          await this.#o.store.write(this.#o.storeKey, record);
        },
        staticClient: (missing) => {
          if (!this.#o.staticClient) throw new AuthError(missing);
          return this.#staticClient(discovery, record);
        },
        client: (current, redirectUris) =>
          clientFor({
            options: this.#o,
            discovery,
            record: current,
            redirectUris,
            registration: this.#grant.registration,
            now: this.#now(),
            request: this.#request(),
          }),
      };
      const { tokens, client, idp } = await this.#grant.obtain(context);
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
      // What this sign-in asked for replaces what an earlier one did (a profile may send no resource).
      if (resource === undefined) delete record.resource;
      if (scope === undefined) delete record.requested_scope;
      // The session at an enterprise identity provider is kept for the next exchange.
      if (idp) record.idp = idp;
      else delete record.idp;
      // The DPoP key is kept as long as the tokens it binds.
      if (dpop) record.dpop_key = dpop.jwk;
      else delete record.dpop_key;
      if (this.#pendingDpop && dpop?.jwk === this.#pendingDpop.jwk) {
        this.#dpop = { x: this.#pendingDpop.jwk.x ?? "", prover: this.#pendingDpop.prover };
        this.#pendingDpop = undefined;
      }
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
}
