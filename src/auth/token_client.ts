/**
 * The bridge's OAuth HTTP calls to an authorization server: dynamic client registration (RFC 7591),
 * the token endpoint (authorization code with PKCE, refresh, client credentials, device code),
 * device authorization (RFC 8628) and revocation (RFC 7009).
 *
 * Every call goes through the injected `fetch` and checks its endpoint before sending anything: an
 * endpoint from metadata (`serverUrl` given) must pass the rule for server-supplied URLs (no
 * link-local, cloud metadata or foreign private address; https, or http to loopback when the MCP
 * server is on loopback, or anywhere with `allowHttp`); the user's own `--token-endpoint` must be
 * https, or http on loopback or with `allowHttp`. It never follows a redirect (a `3xx` is an error,
 * so credentials never travel to another origin), reports every secret of an answer to `onSecret`
 * as soon as it is parsed, and turns an authorization server's error response into an
 * {@linkcode AuthError} whose message names the host and the OAuth `error` but never a token or a
 * secret.
 *
 * @module
 */

import { excerpt } from "../log/excerpt.ts";
import { neutralise } from "../log/neutralise.ts";
import { BodyTooLargeError, readBoundedText } from "../net/bounded_body.ts";
import type { FetchLike } from "../transport/transport.ts";
import { nextPollInterval, pollIntervalSeconds } from "./device_interval.ts";
import { applyClientAuthentication } from "./client_auth.ts";
import type { DpopProver } from "./dpop.ts";
import { AuthError } from "./errors.ts";
import { checkServerSuppliedUrl, checkUserGivenUrl } from "./fetchable_url.ts";
import type { ClientInfo, TokenSet } from "./types.ts";

/** Options every call takes. */
export interface RequestOptions {
  /** `--allow-http`: plain `http:` endpoints on hosts other than loopback. */
  allowHttp?: boolean;
  /**
   * The MCP server URL, when the endpoint came from the server's (or its authorization server's)
   * metadata: the endpoint must then pass the rule for server-supplied URLs
   * (`serverSuppliedUrlProblem`). Absent for an endpoint the user gave (`--token-endpoint`).
   */
  serverUrl?: URL;
  /**
   * Called with every secret the response carries (access, refresh and id tokens, a client secret,
   * a registration access token, a device code) the moment it is parsed, before anything else sees
   * it: the logger's `addSecret`.
   */
  onSecret?: (secret: string) => void;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** The authorization server's issuer: the audience of a client assertion (`private_key_jwt`). */
  issuer?: string;
  /** Proves possession of the DPoP key at the token endpoint (RFC 9449): tokens bound to it come back. */
  dpop?: DpopProver;
  /** The clock, in milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/** Options of {@linkcode exchangeCode}. */
export interface ExchangeCodeOptions extends RequestOptions {
  /** The authorization server's token endpoint. */
  tokenEndpoint: string;
  /** The client identity. */
  client: ClientInfo;
  /** The authorization code from the redirect. */
  code: string;
  /** The PKCE code verifier. */
  codeVerifier: string;
  /** The redirect URI sent in the authorization request. */
  redirectUri: string;
  /** The RFC 8707 resource (the MCP server's canonical URI). */
  resource?: string;
  /** The scopes requested, recorded in the token set when the response names none. */
  scope?: string;
}

/** Options of {@linkcode refreshTokens}. */
export interface RefreshTokensOptions extends RequestOptions {
  /** The authorization server's token endpoint. */
  tokenEndpoint: string;
  /** The client identity. */
  client: ClientInfo;
  /** The refresh token. */
  refreshToken: string;
  /** A narrower scope to ask for. */
  scope?: string;
  /** The RFC 8707 resource. */
  resource?: string;
}

/** Options of {@linkcode clientCredentialsToken}. */
export interface ClientCredentialsOptions extends RequestOptions {
  /** The authorization server's token endpoint. */
  tokenEndpoint: string;
  /** The (confidential) client identity. */
  client: ClientInfo;
  /** The scopes to ask for. */
  scope?: string;
  /** The RFC 8707 resource. */
  resource?: string;
}

/** Options of {@linkcode jwtBearerToken}. */
export interface JwtBearerOptions extends RequestOptions {
  /** The authorization server's token endpoint. */
  tokenEndpoint: string;
  /** The client identity (often public: `none`). */
  client: ClientInfo;
  /** The JWT presented as the authorization grant (RFC 7523 §2.1). */
  assertion: string;
  /** The scopes to ask for. */
  scope?: string;
  /** The RFC 8707 resource. */
  resource?: string;
}

/** Options of {@linkcode requestDeviceCode}. */
export interface DeviceCodeOptions extends RequestOptions {
  /** The authorization server's `device_authorization_endpoint`. */
  endpoint: string;
  /** The client identity. */
  client: ClientInfo;
  /** The scopes to ask for. */
  scope?: string;
  /** The RFC 8707 resource. */
  resource?: string;
}

/** A device authorization response (RFC 8628 §3.2), with the absolute expiry computed. */
export interface DeviceAuthorization {
  /** The device verification code (secret: only sent to the token endpoint). */
  device_code: string;
  /** The code the user enters. */
  user_code: string;
  /** Where the user goes. */
  verification_uri: string;
  /** The verification URI with the user code in it, when the server sent one. */
  verification_uri_complete?: string;
  /** Lifetime of the codes in seconds. */
  expires_in: number;
  /** Seconds to wait between polls (at least 5, RFC 8628 §3.5; 5 when the server said nothing). */
  interval: number;
  /** Milliseconds since the epoch when the codes expire. */
  expires_at: number;
}

/** Options of {@linkcode pollDeviceToken}. */
export interface PollDeviceTokenOptions extends RequestOptions {
  /** The authorization server's token endpoint. */
  tokenEndpoint: string;
  /** The client identity. */
  client: ClientInfo;
  /** The device authorization to complete (from {@linkcode requestDeviceCode}). */
  device: Pick<DeviceAuthorization, "device_code" | "interval" | "expires_at">;
  /** The RFC 8707 resource. */
  resource?: string;
  /** The scopes requested, recorded in the token set when the response names none. */
  scope?: string;
  /** Milliseconds since the epoch after which no poll starts (the sign-in timeout). */
  deadline?: number;
  /** Waits (default a timer); rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Options of {@linkcode revokeToken}. */
export interface RevokeTokenOptions extends RequestOptions {
  /** The authorization server's `revocation_endpoint`. */
  revocationEndpoint: string;
  /** The client identity. */
  client: ClientInfo;
  /** The token to revoke. */
  token: string;
  /** Which kind of token it is. */
  tokenTypeHint?: "access_token" | "refresh_token";
}

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** The largest part of a server-sent description put into a message. */
const MAX_DESCRIPTION = 200;

function checkEndpoint(text: string, options: RequestOptions, what: string): URL {
  return options.serverUrl
    ? checkServerSuppliedUrl(text, options.serverUrl, options.allowHttp ?? false, what)
    : checkUserGivenUrl(text, options.allowHttp ?? false, what);
}

function registerSecret(options: RequestOptions, value: unknown): void {
  if (typeof value === "string" && value !== "") options.onSecret?.(value);
}

/** Removes control characters and every secret we sent from a server-supplied text. */
/** The largest token, registration or revocation answer read (they are a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A server's text for an error message: secrets sent in the request removed, neutralised, cut short. */
function clean(text: string, secrets: string[]): string {
  let out = neutralise(text, " ").trim();
  for (const secret of secrets) if (secret.length >= 4) out = out.replaceAll(secret, "[redacted]");
  return excerpt(out, MAX_DESCRIPTION);
}

interface Exchange {
  status: number;
  body: Record<string, unknown>;
}

/** The longest wait for an answer of the authorization server (headers). */
export const AS_TIMEOUT_MS = 30_000;

async function send(
  fetch: FetchLike,
  url: URL,
  what: string,
  init: RequestInit,
  secrets: string[],
  observe?: (headers: Headers) => void,
): Promise<Exchange> {
  let response: Response;
  // An authorization server that never answers (a blackhole) must not hold a request for minutes.
  const late = new AbortController();
  const timer = setTimeout(
    () =>
      late.abort(new AuthError(`The ${what} of ${url.host} did not answer within ${AS_TIMEOUT_MS / 1000} s`)),
    AS_TIMEOUT_MS,
  );
  try {
    response = await fetch(url, {
      ...init,
      redirect: "manual",
      signal: init.signal ? AbortSignal.any([init.signal, late.signal]) : late.signal,
    });
  } catch (error) {
    if (init.signal?.aborted) throw init.signal.reason;
    throw new AuthError(
      late.signal.aborted
        ? (late.signal.reason as Error).message
        : `Cannot reach the ${what} of ${url.host}: ${
          clean(error instanceof Error ? error.message : String(error), secrets)
        }`,
      { cause: error, unreachable: !(error instanceof Deno.errors.NotCapable) },
    );
  } finally {
    clearTimeout(timer);
  }
  observe?.(response.headers);
  if ((response.status >= 300 && response.status < 400) || response.type === "opaqueredirect") {
    await response.body?.cancel();
    throw new AuthError(
      `The ${what} of ${url.host} answered with a redirect (${response.status}): redirects are not followed`,
    );
  }
  let text: string;
  try {
    text = await readBoundedText(response, MAX_RESPONSE_BYTES, `the answer of the ${what} of ${url.host}`);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new AuthError(error.message, { cause: error });
  }
  let body: unknown;
  try {
    body = text === "" ? {} : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status < 200 || response.status >= 300) {
    const record = typeof body === "object" && body !== null ? body as Record<string, unknown> : {};
    const error = typeof record.error === "string" ? clean(record.error, secrets) : undefined;
    const description = typeof record.error_description === "string"
      ? clean(record.error_description, secrets)
      : "";
    const detail = error
      ? `${error}${description ? ` (${description})` : ""}`
      : `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    throw new AuthError(`The ${what} of ${url.host} refused the request: ${detail}`, {
      oauthError: error,
      // A gateway's error page or an overloaded server (no OAuth error code): the server is away, not
      // the credentials refused.
      unreachable: error === undefined && (response.status >= 500 || response.status === 429),
    });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AuthError(`The ${what} of ${url.host} answered ${response.status} without a JSON object`);
  }
  return { status: response.status, body: body as Record<string, unknown> };
}

function formHeaders(): Headers {
  return new Headers({
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  });
}

async function postForm(
  fetch: FetchLike,
  endpoint: string,
  what: string,
  params: Record<string, string | undefined>,
  client: ClientInfo,
  options: RequestOptions,
): Promise<Exchange> {
  const url = checkEndpoint(endpoint, options, what);
  // DPoP proofs go to the token endpoint only (RFC 9449 §5); its nonces are remembered from every answer.
  const dpop = what === "token endpoint" ? options.dpop : undefined;
  const attempt = async () => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) body.set(key, value);
    const headers = formHeaders();
    await applyClientAuthentication(client, {
      body,
      headers,
      what,
      url,
      issuer: options.issuer ?? url.origin,
      now: options.now?.() ?? Date.now(),
    });
    // A client assertion is a secret the moment it exists (a bearer credential for a minute).
    const assertion = body.get("client_assertion");
    if (assertion) registerSecret(options, assertion);
    if (dpop) headers.set("dpop", await dpop.proof({ method: "POST", url }));
    const secrets = [client.client_secret, assertion ?? undefined, ...Object.values(params)].filter((
      s,
    ): s is string => !!s);
    return await send(
      fetch,
      url,
      what,
      { method: "POST", headers, body, signal: options.signal },
      secrets,
      dpop ? (answer) => dpop.rememberNonce(url, answer.get("dpop-nonce")) : undefined,
    );
  };
  try {
    return await attempt();
  } catch (error) {
    // RFC 9449 §8: the authorization server wants a nonce in the proof; once, with the one it sent.
    if (
      !(dpop && error instanceof AuthError && error.oauthError === "use_dpop_nonce" && dpop.hasNonce(url))
    ) {
      throw error;
    }
    return await attempt();
  }
}

function expiresIn(value: unknown): number | undefined {
  const seconds = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

function toTokenSet(
  body: Record<string, unknown>,
  host: string,
  options: RequestOptions & { scope?: string; refreshToken?: string },
): TokenSet {
  const now = (options.now ?? Date.now)();
  // Registered before anything can print them (an error below quotes nothing, but a caller may).
  registerSecret(options, body.access_token);
  registerSecret(options, body.refresh_token);
  registerSecret(options, body.id_token);
  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw new AuthError(`The token endpoint of ${host} sent no access_token`);
  }
  const tokenType = typeof body.token_type === "string" ? body.token_type : "Bearer";
  // A DPoP-bound token only when a proof was sent (RFC 9449 §5): then its key must go with every use.
  const dpopBound = tokenType.toLowerCase() === "dpop" && options.dpop !== undefined;
  if (tokenType.toLowerCase() !== "bearer" && !dpopBound) {
    throw new AuthError(
      `The token endpoint of ${host} issued an unsupported token type: ${clean(tokenType, [])} (only Bearer` +
        `${options.dpop ? " or DPoP" : ""})`,
    );
  }
  const seconds = expiresIn(body.expires_in);
  const tokens: TokenSet = {
    access_token: body.access_token,
    token_type: dpopBound ? "DPoP" : "Bearer",
    obtained_at: now,
  };
  const refresh = typeof body.refresh_token === "string" && body.refresh_token !== ""
    ? body.refresh_token
    : options.refreshToken;
  if (refresh) tokens.refresh_token = refresh;
  if (typeof body.id_token === "string") tokens.id_token = body.id_token;
  const scope = typeof body.scope === "string" ? body.scope : options.scope;
  if (scope !== undefined) tokens.scope = scope;
  if (seconds !== undefined) tokens.expires_at = now + seconds * 1000;
  return tokens;
}

/**
 * Registers a client dynamically (RFC 7591): POSTs the metadata as JSON.
 *
 * @example Usage
 * ```ts ignore
 * import { registerClient } from "./token_client.ts";
 * const client = await registerClient(fetch, "https://as.example.com/register", {
 *   client_name: "mcp-bridge",
 *   application_type: "native",
 *   redirect_uris: ["http://127.0.0.1:33418/oauth/callback"],
 *   grant_types: ["authorization_code", "refresh_token"],
 *   response_types: ["code"],
 *   token_endpoint_auth_method: "none",
 * });
 * console.log(client.client_id);
 * ```
 *
 * @param fetch The fetch seam.
 * @param endpoint The authorization server's `registration_endpoint`.
 * @param metadata The client metadata.
 * @param options `allowHttp` and a signal.
 * @returns The registered client (`source: "dcr"`).
 * @throws {AuthError} When the endpoint may not be used, or the server refuses (with its `error`).
 */
export async function registerClient(
  fetch: FetchLike,
  endpoint: string,
  metadata: Record<string, unknown>,
  options: RequestOptions = {},
): Promise<ClientInfo> {
  const what = "registration endpoint";
  const url = checkEndpoint(endpoint, options, what);
  const { body } = await send(fetch, url, what, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(metadata),
    signal: options.signal,
  }, []);
  registerSecret(options, body.client_secret);
  registerSecret(options, body.registration_access_token);
  if (typeof body.client_id !== "string" || body.client_id === "") {
    throw new AuthError(`The registration endpoint of ${url.host} sent no client_id`);
  }
  const secret = typeof body.client_secret === "string" && body.client_secret !== ""
    ? body.client_secret
    : undefined;
  const method = typeof body.token_endpoint_auth_method === "string"
    ? body.token_endpoint_auth_method
    : typeof metadata.token_endpoint_auth_method === "string"
    ? metadata.token_endpoint_auth_method
    : secret
    ? "client_secret_basic"
    : "none";
  const client: ClientInfo = { client_id: body.client_id, token_endpoint_auth_method: method, source: "dcr" };
  if (secret) client.client_secret = secret;
  if (typeof body.client_secret_expires_at === "number") {
    client.client_secret_expires_at = body.client_secret_expires_at;
  }
  const redirectUris = Array.isArray(body.redirect_uris) ? body.redirect_uris : metadata.redirect_uris;
  if (Array.isArray(redirectUris) && redirectUris.every((u) => typeof u === "string")) {
    client.redirect_uris = redirectUris;
  }
  return client;
}

/**
 * Exchanges an authorization code for tokens (`grant_type=authorization_code` with the PKCE
 * verifier and the RFC 8707 `resource`).
 *
 * @example Usage
 * ```ts ignore
 * import { exchangeCode } from "./token_client.ts";
 * const tokens = await exchangeCode(fetch, {
 *   tokenEndpoint: "https://as.example.com/token",
 *   client: { client_id: "abc", token_endpoint_auth_method: "none", source: "dcr" },
 *   code,
 *   codeVerifier,
 *   redirectUri: "http://127.0.0.1:33418/oauth/callback",
 *   resource: "https://mcp.example.com/mcp",
 * });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, code, verifier, redirect URI and resource.
 * @returns The tokens, with `expires_at` computed from `expires_in`.
 * @throws {AuthError} When the server refuses (e.g. `invalid_grant`) or answers badly.
 */
export async function exchangeCode(fetch: FetchLike, options: ExchangeCodeOptions): Promise<TokenSet> {
  const { body } = await postForm(
    fetch,
    options.tokenEndpoint,
    "token endpoint",
    {
      grant_type: "authorization_code",
      code: options.code,
      code_verifier: options.codeVerifier,
      redirect_uri: options.redirectUri,
      resource: options.resource,
    },
    options.client,
    options,
  );
  return toTokenSet(body, new URL(options.tokenEndpoint).host, options);
}

/**
 * Refreshes tokens (`grant_type=refresh_token`). A rotating server returns a new refresh token;
 * otherwise the old one is kept in the result.
 *
 * @example Usage
 * ```ts ignore
 * import { refreshTokens } from "./token_client.ts";
 * const next = await refreshTokens(fetch, {
 *   tokenEndpoint: "https://as.example.com/token",
 *   client,
 *   refreshToken: tokens.refresh_token!,
 *   resource: "https://mcp.example.com/mcp",
 * });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, refresh token, scope and resource.
 * @returns The new tokens.
 * @throws {AuthError} With `oauthError` `invalid_grant` when the refresh token is no longer valid.
 */
export async function refreshTokens(fetch: FetchLike, options: RefreshTokensOptions): Promise<TokenSet> {
  const { body } = await postForm(
    fetch,
    options.tokenEndpoint,
    "token endpoint",
    {
      grant_type: "refresh_token",
      refresh_token: options.refreshToken,
      scope: options.scope,
      resource: options.resource,
    },
    options.client,
    options,
  );
  return toTokenSet(body, new URL(options.tokenEndpoint).host, {
    ...options,
    refreshToken: options.refreshToken,
  });
}

/**
 * Gets a token for the client itself (`grant_type=client_credentials`).
 *
 * @example Usage
 * ```ts ignore
 * import { clientCredentialsToken } from "./token_client.ts";
 * const tokens = await clientCredentialsToken(fetch, {
 *   tokenEndpoint: "https://as.example.com/token",
 *   client: { client_id: "svc", client_secret: "…", token_endpoint_auth_method: "client_secret_basic", source: "static" },
 *   scope: "mcp:read",
 *   resource: "https://mcp.example.com/mcp",
 * });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, scope and resource.
 * @returns The tokens.
 * @throws {AuthError} When the server refuses or answers badly.
 */
export async function clientCredentialsToken(
  fetch: FetchLike,
  options: ClientCredentialsOptions,
): Promise<TokenSet> {
  const { body } = await postForm(
    fetch,
    options.tokenEndpoint,
    "token endpoint",
    {
      grant_type: "client_credentials",
      scope: options.scope,
      resource: options.resource,
    },
    options.client,
    options,
  );
  return toTokenSet(body, new URL(options.tokenEndpoint).host, options);
}

/**
 * Gets a token for a JWT (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523 §2.1):
 * a workload's identity token (SEP-1933) or an identity assertion grant (SEP-990).
 *
 * @example Usage
 * ```ts ignore
 * import { jwtBearerToken } from "./token_client.ts";
 * const tokens = await jwtBearerToken(fetch, {
 *   tokenEndpoint: "https://as.example.com/token",
 *   client: { client_id: "workload", token_endpoint_auth_method: "none", source: "static" },
 *   assertion: jwt,
 * });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, assertion, scope and resource.
 * @returns The tokens.
 * @throws {AuthError} When the server refuses (e.g. `invalid_grant`) or answers badly.
 */
export async function jwtBearerToken(fetch: FetchLike, options: JwtBearerOptions): Promise<TokenSet> {
  const { body } = await postForm(
    fetch,
    options.tokenEndpoint,
    "token endpoint",
    {
      grant_type: JWT_BEARER_GRANT,
      assertion: options.assertion,
      scope: options.scope,
      resource: options.resource,
    },
    options.client,
    options,
  );
  return toTokenSet(body, new URL(options.tokenEndpoint).host, options);
}

/** Options of {@linkcode exchangeToken}. */
export interface TokenExchangeOptions extends RequestOptions {
  /** The token endpoint that exchanges (the enterprise identity provider's). */
  tokenEndpoint: string;
  /** The client identity there. */
  client: ClientInfo;
  /** The token exchanged (RFC 8693 `subject_token`). */
  subjectToken: string;
  /** Its type (`urn:ietf:params:oauth:token-type:id_token`, …). */
  subjectTokenType: string;
  /** The type asked for (`urn:ietf:params:oauth:token-type:id-jag`, …). */
  requestedTokenType: string;
  /** Where the new token is for (`audience`: an authorization server's issuer). */
  audience?: string;
  /** The RFC 8707 resource. */
  resource?: string;
  /** The scopes to ask for. */
  scope?: string;
}

/**
 * Exchanges a token (RFC 8693 §2): e.g. the user's ID token at the enterprise identity provider for an
 * identity assertion grant (SEP-990). The answer must be of the requested type.
 *
 * @example Usage
 * ```ts ignore
 * import { exchangeToken } from "./token_client.ts";
 * const jag = await exchangeToken(fetch, {
 *   tokenEndpoint: "https://idp.example.com/token",
 *   client: { client_id: "bridge", token_endpoint_auth_method: "none", source: "static" },
 *   subjectToken: idToken,
 *   subjectTokenType: "urn:ietf:params:oauth:token-type:id_token",
 *   requestedTokenType: "urn:ietf:params:oauth:token-type:id-jag",
 *   audience: "https://as.example.com",
 * });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, the client, the token and what it is exchanged for.
 * @returns The issued token (a secret, registered with `onSecret`).
 * @throws {AuthError} When the server refuses, or issues another type of token.
 */
export async function exchangeToken(fetch: FetchLike, options: TokenExchangeOptions): Promise<string> {
  const { body } = await postForm(
    fetch,
    options.tokenEndpoint,
    "token endpoint",
    {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: options.subjectToken,
      subject_token_type: options.subjectTokenType,
      requested_token_type: options.requestedTokenType,
      audience: options.audience,
      resource: options.resource,
      scope: options.scope,
    },
    options.client,
    options,
  );
  registerSecret(options, body.access_token);
  const host = new URL(options.tokenEndpoint).host;
  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw new AuthError(`The token endpoint of ${host} exchanged the token for nothing (no access_token)`);
  }
  if (body.issued_token_type !== options.requestedTokenType) {
    throw new AuthError(
      `The token endpoint of ${host} issued ${
        typeof body.issued_token_type === "string"
          ? clean(body.issued_token_type, [])
          : "an unnamed token type"
      }, not the ${options.requestedTokenType} asked for`,
    );
  }
  return body.access_token;
}

/** The grant type of RFC 8693. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

/** The grant type of RFC 7523 §2.1. */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/**
 * Starts the device authorization grant (RFC 8628 §3.1).
 *
 * @example Usage
 * ```ts ignore
 * import { requestDeviceCode } from "./token_client.ts";
 * const device = await requestDeviceCode(fetch, {
 *   endpoint: "https://as.example.com/device",
 *   client,
 *   scope: "mcp:read",
 * });
 * console.error(`Visit ${device.verification_uri} and enter ${device.user_code}`);
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, scope and resource.
 * @returns The codes, the verification URI, the interval and the absolute expiry.
 * @throws {AuthError} When the server refuses or answers badly.
 */
export async function requestDeviceCode(
  fetch: FetchLike,
  options: DeviceCodeOptions,
): Promise<DeviceAuthorization> {
  const what = "device authorization endpoint";
  const { body } = await postForm(
    fetch,
    options.endpoint,
    what,
    {
      scope: options.scope,
      resource: options.resource,
    },
    options.client,
    options,
  );
  registerSecret(options, body.device_code);
  const host = new URL(options.endpoint).host;
  for (const key of ["device_code", "user_code", "verification_uri"] as const) {
    if (typeof body[key] !== "string" || body[key] === "") {
      throw new AuthError(`The ${what} of ${host} sent no ${key}`);
    }
  }
  const lifetime = expiresIn(body.expires_in);
  if (lifetime === undefined) throw new AuthError(`The ${what} of ${host} sent no valid expires_in`);
  const interval = pollIntervalSeconds(body.interval);
  const result: DeviceAuthorization = {
    device_code: body.device_code as string,
    user_code: body.user_code as string,
    verification_uri: body.verification_uri as string,
    expires_in: lifetime,
    interval,
    expires_at: (options.now ?? Date.now)() + lifetime * 1000,
  };
  if (typeof body.verification_uri_complete === "string") {
    result.verification_uri_complete = body.verification_uri_complete;
  }
  return result;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Polls the token endpoint until the user completes a device authorization (RFC 8628 §3.4–3.5):
 * waits the interval before each request (never less than 5 s, whatever the server said), keeps
 * going on `authorization_pending`, adds 5 seconds to the interval on `slow_down` (see
 * `device_interval.ts`), sends `resource` on every poll, and stops at `expires_at` or the
 * `deadline` (the sign-in timeout), whichever is first, on any other error, or when the signal
 * aborts (rejecting with its reason).
 *
 * @example Usage
 * ```ts ignore
 * import { pollDeviceToken, requestDeviceCode } from "./token_client.ts";
 * const device = await requestDeviceCode(fetch, { endpoint: deviceAuthorizationEndpoint, client });
 * const tokens = await pollDeviceToken(fetch, { tokenEndpoint, client, device, resource, signal });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, device authorization, signal and (for tests) sleep and clock.
 * @returns The tokens once the user approved.
 * @throws {AuthError} On `access_denied`, `expired_token`, expiry, the deadline or any other error.
 */
export async function pollDeviceToken(fetch: FetchLike, options: PollDeviceTokenOptions): Promise<TokenSet> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const host = checkEndpoint(options.tokenEndpoint, options, "token endpoint").host;
  const deadline = options.deadline ?? Infinity;
  let interval = nextPollInterval(options.device.interval, undefined);
  for (;;) {
    if (now() + interval * 1000 >= Math.min(options.device.expires_at, deadline)) {
      if (deadline < options.device.expires_at) {
        throw new AuthError(
          `Nobody approved the device sign-in at ${host} in time: run \`mcp-bridge login <url> --device-code\` ` +
            "in a terminal, or raise --auth-timeout",
        );
      }
      throw new AuthError(`The device authorization at ${host} expired: start again and approve it sooner`, {
        oauthError: "expired_token",
      });
    }
    options.signal?.throwIfAborted();
    await sleep(interval * 1000, options.signal);
    options.signal?.throwIfAborted();
    try {
      const { body } = await postForm(
        fetch,
        options.tokenEndpoint,
        "token endpoint",
        {
          grant_type: DEVICE_CODE_GRANT,
          device_code: options.device.device_code,
          resource: options.resource,
        },
        options.client,
        options,
      );
      return toTokenSet(body, host, options);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (error.oauthError !== "authorization_pending" && error.oauthError !== "slow_down") throw error;
      interval = nextPollInterval(interval, error.oauthError);
    }
  }
}

/**
 * Revokes a token (RFC 7009). The server answers 200 for unknown tokens too.
 *
 * @example Usage
 * ```ts ignore
 * import { revokeToken } from "./token_client.ts";
 * await revokeToken(fetch, {
 *   revocationEndpoint: "https://as.example.com/revoke",
 *   client,
 *   token: tokens.refresh_token!,
 *   tokenTypeHint: "refresh_token",
 * });
 * ```
 *
 * @param fetch The fetch seam.
 * @param options The endpoint, client, token and its type hint.
 * @throws {AuthError} When the server refuses (e.g. `unsupported_token_type`) or cannot be reached.
 */
export async function revokeToken(fetch: FetchLike, options: RevokeTokenOptions): Promise<void> {
  await postForm(
    fetch,
    options.revocationEndpoint,
    "revocation endpoint",
    {
      token: options.token,
      token_type_hint: options.tokenTypeHint,
    },
    options.client,
    options,
  );
}
