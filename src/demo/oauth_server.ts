/**
 * A real OAuth 2.1 / OpenID Connect authorization server for tests: the npm package `oidc-provider`
 * served by `node:http` on 127.0.0.1, configured the way an MCP authorization server is:
 *
 * - dynamic client registration (RFC 7591), `application_type: native` with loopback `http`
 *   redirect URIs (any port, RFC 8252 §7.3);
 * - PKCE required for every authorization request, `S256` only;
 * - resource indicators (RFC 8707): `resource=<the MCP URL>` yields a JWT access token (RFC 9068,
 *   `typ: at+jwt`, RS256) whose `aud` is that URL and whose `scope` holds the resource's scopes;
 * - refresh tokens for every client allowed the `refresh_token` grant, rotated on every use (reusing a
 *   rotated one is `invalid_grant`, and oidc-provider then revokes the whole grant);
 * - revocation, introspection, client credentials and the device authorization grant (RFC 8628);
 * - `authorization_response_iss_parameter_supported` (RFC 9207, always on in oidc-provider 9);
 * - no login or consent page: the interaction URL approves at once and redirects back.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Buffer } from "node:buffer";
import { unmuteRuntimeWarning } from "./_mute_runtime_warning.ts";
import Provider, { errors } from "oidc-provider";

unmuteRuntimeWarning();

/** The scopes the MCP resource understands. */
export const RESOURCE_SCOPES = ["mcp:read", "mcp:write"] as const;

/** How the authorization server behaves. */
export interface OAuthServerOptions {
  /** Lifetime of access tokens in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Lifetime of refresh tokens in seconds (default 14 days). */
  refreshTokenTtl?: number;
  /** Lifetime of ID tokens in seconds (default 3600). */
  idTokenTtl?: number;
  /** Lifetime of device codes in seconds (default 600). */
  deviceCodeTtl?: number;
  /** The scopes the resource servers accept (default {@linkcode RESOURCE_SCOPES}). */
  resourceScopes?: readonly string[];
  /** Resource indicators accepted (default: any `http(s)` URL on 127.0.0.1). */
  acceptResource?: (resource: string) => boolean;
  /** Deny every authorization at the interaction (`error=access_denied`) instead of approving. */
  deny?: boolean;
  /** Issue opaque access tokens (43 characters) instead of JWTs, for tests that need short tokens. */
  opaqueAccessTokens?: boolean;
  /** Clients registered up front (oidc-provider client metadata). */
  clients?: Record<string, unknown>[];
  /**
   * Require a server nonce in every DPoP proof at the token endpoint (RFC 9449 §8: a first proof without
   * it gets `use_dpop_nonce`). DPoP itself is always on, as in oidc-provider's defaults.
   */
  dpopRequireNonce?: boolean;
  /**
   * An issuer with a path, as Keycloak (`/realms/<name>`) and Okta's custom servers (`/oauth2/<id>`) have:
   * everything is served below it (OpenID discovery at `<issuer>/.well-known/openid-configuration`), and
   * nothing at the root, so no RFC 8414 path-inserted metadata.
   */
  issuerPath?: string;
  /**
   * Behave like a widely used identity provider, for the profiles of `src/auth/idp_profiles.ts`:
   * - `entra` (Microsoft Entra ID v2): refuses `resource` (`invalid_target`) and takes the audience from
   *   the scopes instead (`<resource>/<scope>`, `<resource>/.default`);
   * - `auth0`: issues a token for the API only when the authorization request names it as `audience`
   *   (RFC 8707 `resource` is ignored); without it, an opaque token for its own userinfo;
   * - `google`: lists no `offline_access`, and issues a refresh token only after `access_type=offline`.
   */
  behaveLike?: "entra" | "auth0" | "google";
  /**
   * With `behaveLike: "google"`, the API its tokens are for (Google knows no `resource`: a client's
   * tokens are for the APIs it is set up for), asked when a token is issued.
   */
  googleAudience?: () => string | undefined;
  /**
   * A Koa middleware run around oidc-provider's own (before `provider.callback()` is made: later
   * `provider.use` calls are not seen), for tests that make a real server misbehave in one way.
   */
  // deno-lint-ignore no-explicit-any
  middleware?: (ctx: any, next: () => Promise<void>) => Promise<void>;
}

/** What the authorization server saw. */
export interface OAuthCounters {
  /** Successful dynamic client registrations. */
  registrations: number;
  /** Requests to the authorization endpoint (`GET|POST /auth`, not the resumes after interactions). */
  authorizations: number;
  /** Interactions auto-approved (a login and a consent count one each). */
  interactions: number;
  /** Token endpoint requests by `grant_type` (successful and failed). */
  tokenRequests: Record<string, number>;
  /** Token endpoint failures by `grant_type`, then by OAuth `error`. */
  tokenErrors: Record<string, Record<string, number>>;
  /** Failed refresh-token requests by OAuth `error` (e.g. `invalid_grant`). */
  refreshFailures: Record<string, number>;
  /** Successful revocation requests (RFC 7009 answers 200 for unknown tokens too). */
  revocations: number;
  /** Introspection requests. */
  introspections: number;
}

/** A running authorization server. */
export interface OAuthServer {
  /** The issuer, `http://127.0.0.1:<port>` (no trailing slash). */
  issuer: string;
  /** Endpoints as advertised in the discovery document. */
  endpoints: {
    authorization: string;
    token: string;
    registration: string;
    revocation: string;
    introspection: string;
    jwks: string;
    deviceAuthorization: string;
  };
  /** What it saw so far. */
  counters: OAuthCounters;
  /** The oidc-provider instance, for tests that need more. */
  // deno-lint-ignore no-explicit-any
  provider: any;
  /** Stops answering, as a server that went down: the port is closed, every connection too, the state kept. */
  pause(): Promise<void>;
  /** Answers again on the same port (after {@linkcode OAuthServer.pause}). */
  resume(): Promise<void>;
  /** Stops the server and closes every connection. */
  close(): Promise<void>;
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

async function rsaSigningKey(): Promise<JsonWebKey & { kid: string; alg: string; use: string }> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  delete jwk.key_ops;
  delete jwk.ext;
  return { ...jwk, kid: `k-${crypto.randomUUID().slice(0, 8)}`, alg: "RS256", use: "sig" };
}

/** The part of oidc-provider's request context the configuration reads. */
interface OidcContext {
  method?: string;
  query?: Record<string, unknown>;
  oidc: {
    params?: Record<string, unknown>;
    body?: Record<string, unknown>;
    entities: Record<string, { grantId?: string } | undefined>;
  };
}

/** One stored oidc-provider model instance. */
interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/**
 * Builds an oidc-provider storage adapter keeping everything in one `Map` per server (no timers:
 * expired entries are dropped when read), so servers in one process never share state.
 */
function memoryAdapter(): (name: string) => unknown {
  const store = new Map<string, Stored>();
  const read = (key: string) => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };
  return (name: string) => ({
    upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      store.set(`${name}:${id}`, {
        payload,
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity,
      });
      return Promise.resolve();
    },
    find(id: string): Promise<Record<string, unknown> | undefined> {
      return Promise.resolve(read(`${name}:${id}`)?.payload);
    },
    findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      for (const [key, entry] of store) {
        if (key.startsWith(`${name}:`) && entry.payload.uid === uid) {
          return Promise.resolve(read(key)?.payload);
        }
      }
      return Promise.resolve(undefined);
    },
    findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      for (const [key, entry] of store) {
        if (key.startsWith(`${name}:`) && entry.payload.userCode === userCode) {
          return Promise.resolve(read(key)?.payload);
        }
      }
      return Promise.resolve(undefined);
    },
    consume(id: string): Promise<void> {
      const entry = read(`${name}:${id}`);
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    },
    destroy(id: string): Promise<void> {
      store.delete(`${name}:${id}`);
      return Promise.resolve();
    },
    revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, entry] of store) {
        if (entry.payload.grantId === grantId) store.delete(key);
      }
      return Promise.resolve();
    },
  });
}

function loopbackResource(resource: string): boolean {
  try {
    const url = new URL(resource);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname === "127.0.0.1" &&
      url.hash === "";
  } catch {
    return false;
  }
}

/**
 * Starts the authorization server on 127.0.0.1 (a free port).
 *
 * @example Usage
 * ```ts ignore
 * import { startOAuthServer } from "./oauth_server.ts";
 * const as = await startOAuthServer({ accessTokenTtl: 2 });
 * console.log(as.endpoints.token, as.counters.tokenRequests);
 * await as.close();
 * ```
 *
 * @param options Token lifetimes and behaviour.
 * @returns The running server.
 */
export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  const resourceScopes = (options.resourceScopes ?? RESOURCE_SCOPES).join(" ");
  const acceptResource = options.acceptResource ?? loopbackResource;
  const counters: OAuthCounters = {
    registrations: 0,
    authorizations: 0,
    interactions: 0,
    tokenRequests: {},
    tokenErrors: {},
    refreshFailures: {},
    revocations: 0,
    introspections: 0,
  };

  const httpServer = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const port = (httpServer.address() as AddressInfo).port;
  const prefix = options.issuerPath?.replace(/\/+$/, "") ?? "";
  const issuer = `http://127.0.0.1:${port}${prefix}`;
  const like = options.behaveLike;
  // Authorization parameters oidc-provider does not keep, by grant, for the token endpoint (Auth0's
  // `audience`, Google's `access_type`): recorded at the consent of the interaction.
  const grantParams = new Map<string, Record<string, unknown>>();
  const paramsOfGrant = (ctx: OidcContext) => {
    const entities = ctx.oidc.entities;
    const grantId = (entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode)?.grantId;
    return grantId ? grantParams.get(grantId) : undefined;
  };
  /** The audience Auth0 issues for: the request's `audience`, else the one of the grant. */
  const auth0Audience = (ctx: OidcContext) => {
    const audience = ctx.oidc.params?.audience ?? paramsOfGrant(ctx)?.audience;
    return typeof audience === "string" ? audience : undefined;
  };
  /** Entra: the audience named by the scopes (`<resource>/<scope>`). */
  const entraAudience = (ctx: OidcContext) => {
    const scope = ctx.oidc.params?.scope;
    for (const s of typeof scope === "string" ? scope.split(" ") : []) {
      const slash = s.lastIndexOf("/");
      if (slash > 0 && acceptResource(s.slice(0, slash))) return s.slice(0, slash);
    }
    return undefined;
  };
  const resourceInfo = (audience: string, scope: string) => ({
    audience,
    scope,
    accessTokenTTL: accessTokenTtl,
    accessTokenFormat: options.opaqueAccessTokens ? "opaque" : "jwt",
    jwt: { sign: { alg: "RS256" } },
  });

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    clients: options.clients ?? [],
    jwks: { keys: [await rsaSigningKey()] },
    cookies: { keys: [crypto.randomUUID()] },
    scopes: like === "google" ? ["openid"] : ["openid", "offline_access"],
    extraParams: ["audience", "access_type"],
    claims: { openid: ["sub"] },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: {
        enabled: true,
        ...(options.dpopRequireNonce
          ? { nonceSecret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))), requireNonce: () => true }
          : {}),
      },
      registration: { enabled: true },
      revocation: { enabled: true, allowedPolicy: () => true },
      introspection: { enabled: true, allowedPolicy: () => true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx: OidcContext, _client: unknown, oneOf?: string) =>
          like === "entra"
            ? entraAudience(ctx) ?? oneOf
            : like === "auth0"
            ? auth0Audience(ctx)
            : like === "google"
            ? options.googleAudience?.()
            : oneOf,
        useGrantedResource: () => like === "entra",
        getResourceServerInfo: (ctx: OidcContext, resourceIndicator: string) => {
          if (like === "entra") {
            const named = ctx.method === "GET" ? ctx.query?.resource : ctx.oidc.body?.resource;
            if (named !== undefined) {
              throw new errors.InvalidTarget("the resource parameter is not supported with v2 scopes");
            }
            if (!acceptResource(resourceIndicator)) throw new errors.InvalidTarget();
            const scopes = [...resourceScopes.split(" "), ".default"];
            return resourceInfo(resourceIndicator, scopes.map((s) => `${resourceIndicator}/${s}`).join(" "));
          }
          if (like === "auth0") {
            const audience = auth0Audience(ctx);
            // No audience: a token for Auth0's own userinfo, which no API accepts.
            if (audience === undefined || !acceptResource(audience)) {
              return { ...resourceInfo(`${issuer}/userinfo`, resourceScopes), accessTokenFormat: "opaque" };
            }
            return resourceInfo(audience, resourceScopes);
          }
          if (!acceptResource(resourceIndicator)) throw new errors.InvalidTarget();
          return resourceInfo(resourceIndicator, resourceScopes);
        },
      },
    },
    pkce: { required: () => true },
    // Refresh tokens for every client allowed the grant (not only with offline_access), never bound
    // to the browser session, and rotated on every use.
    issueRefreshToken: (ctx: OidcContext, client: { grantTypeAllowed(grant: string): boolean }) =>
      client.grantTypeAllowed("refresh_token") &&
      (like !== "google" || paramsOfGrant(ctx)?.access_type === "offline"),
    expiresWithSession: () => false,
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      RefreshToken: options.refreshTokenTtl ?? 14 * 24 * 3600,
      DeviceCode: options.deviceCodeTtl ?? 600,
      AuthorizationCode: 60,
      Grant: 14 * 24 * 3600,
      IdToken: options.idTokenTtl ?? 3600,
      Interaction: 600,
      Session: 14 * 24 * 3600,
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${prefix}/interaction/${interaction.uid}`,
    },
    renderError: (
      ctx: { type: string; body: string },
      out: Record<string, string>,
    ) => {
      ctx.type = "text/plain";
      ctx.body = `oauth error: ${out.error}: ${out.error_description ?? ""}`;
    },
  });

  provider.on("registration_create.success", () => counters.registrations++);
  provider.on("grant.success", (ctx: { oidc: { params?: { grant_type?: string } } }) => {
    count(counters.tokenRequests, ctx.oidc.params?.grant_type ?? "unknown");
  });
  provider.on(
    "grant.error",
    (ctx: { oidc?: { params?: { grant_type?: string } } }, error: { error?: string }) => {
      const grant = ctx.oidc?.params?.grant_type ?? "unknown";
      const code = error.error ?? "server_error";
      count(counters.tokenRequests, grant);
      count(counters.tokenErrors[grant] ??= {}, code);
      if (grant === "refresh_token") count(counters.refreshFailures, code);
    },
  );

  if (options.middleware) provider.use(options.middleware);
  const callback = provider.callback();

  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const details = await provider.interactionDetails(req, res);
      counters.interactions++;
      let result: Record<string, unknown>;
      if (options.deny) {
        result = { error: "access_denied", error_description: "The user denied the request" };
      } else if (details.prompt.name === "login") {
        result = { login: { accountId: "user" } };
      } else {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const missing = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(" "));
        }
        const grantId = await grant.save();
        grantParams.set(grantId, {
          audience: details.params.audience,
          access_type: details.params.access_type,
        });
        result = { consent: { grantId } };
      }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    } catch (error) {
      res.statusCode = 400;
      res.setHeader("content-type", "text/plain");
      res.end(`interaction failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (prefix) {
      // Mounted below the issuer's path, like a reverse proxy in front of Keycloak: the rest is 404.
      const url = req.url ?? "/";
      if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
        res.statusCode = 404;
        return void res.end("Not found");
      }
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
      req.url = url.slice(prefix.length) || "/";
    }
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (path === "/auth") counters.authorizations++;
    if (path === "/token/introspection") counters.introspections++;
    if (path === "/token/revocation" && req.method === "POST") {
      res.on("finish", () => {
        if (res.statusCode === 200) counters.revocations++;
      });
    }
    if (path.startsWith("/interaction/")) return void interact(req, res);
    callback(req, res);
  });

  return {
    issuer,
    endpoints: {
      authorization: `${issuer}/auth`,
      token: `${issuer}/token`,
      registration: `${issuer}/reg`,
      revocation: `${issuer}/token/revocation`,
      introspection: `${issuer}/token/introspection`,
      jwks: `${issuer}/jwks`,
      deviceAuthorization: `${issuer}/device/auth`,
    },
    counters,
    provider,
    pause: () =>
      new Promise<void>((resolve, reject) => {
        httpServer.close((error) => error ? reject(error) : resolve());
        httpServer.closeAllConnections();
      }),
    resume: () => new Promise<void>((resolve) => httpServer.listen(port, "127.0.0.1", resolve)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!httpServer.listening) return resolve();
        httpServer.close((error) => error ? reject(error) : resolve());
        httpServer.closeAllConnections();
      }),
  };
}
