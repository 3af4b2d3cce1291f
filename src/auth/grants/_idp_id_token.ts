/**
 * The user's ID token at the enterprise identity provider, for enterprise-managed authorization: the one
 * `--enterprise-idp` names (`id_token`, a file or a value), or, without it, the one of a browser sign-in
 * at the identity provider (OpenID Connect code flow with PKCE and a `nonce`, through the same loopback
 * listener as any sign-in). That session is kept in the record: its ID token is used again while it is
 * valid, then refreshed with its refresh token, and only then does the user sign in again.
 *
 * Every ID token received is verified (`id_token.ts`): signature, issuer, audience, expiry, nonce. The
 * identity provider's URLs are checked against its issuer (the user's choice), never the MCP server's.
 *
 * @module
 */

import { fetchAuthServerMetadata, getJson } from "../discover.ts";
import { AuthError } from "../errors.ts";
import { checkServerSuppliedUrl } from "../fetchable_url.ts";
import { verifyIdToken } from "../id_token.ts";
import { readJwtFile, unverifiedClaims } from "../jwt_file.ts";
import type { EnterpriseIdp } from "../oauth_options.ts";
import { refreshTokens } from "../token_client.ts";
import type { ClientInfo, IdpSession } from "../types.ts";
import { AUTHORIZATION_CODE } from "./authorization_code.ts";
import type { GrantContext } from "./grant.ts";

/** An ID token is used again only with more than this much of its life left. */
const ID_TOKEN_MARGIN_MS = 60_000;

/** The ID token to exchange, where to exchange it, and the session to keep (after a browser sign-in). */
export interface EnterpriseIdToken {
  /** The ID token. */
  idToken: string;
  /** The identity provider's token endpoint. */
  tokenEndpoint: string;
  /** The session at the identity provider to store, when the bridge signed in there. */
  session?: IdpSession;
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The ID token for the exchange at the identity provider.
 *
 * @param context The grant's context (its record holds the stored session).
 * @param idp `--enterprise-idp`.
 * @returns The ID token, the endpoint, and the session to store.
 */
export async function enterpriseIdToken(
  context: GrantContext,
  idp: EnterpriseIdp,
): Promise<EnterpriseIdToken> {
  const { options } = context;
  if (idp.idToken) {
    const idToken = idp.idToken.file !== undefined
      ? readJwtFile(idp.idToken.file, "ID token")
      : idp.idToken.value;
    options.log.addSecret(idToken);
    // parseEnterpriseIdp requires the endpoint with an ID token and no issuer.
    return { idToken, tokenEndpoint: idp.tokenEndpoint ?? await metadataOf(context, idp).then(endpointOf) };
  }
  const metadata = await metadataOf(context, idp);
  const issuer = metadata.issuer;
  const issuerUrl = new URL(issuer);
  const tokenEndpoint = idp.tokenEndpoint ?? endpointOf(metadata);
  const client = idpClient(idp);
  const request = {
    allowHttp: options.allowHttp,
    serverUrl: issuerUrl,
    onSecret: (secret: string) => options.log.addSecret(secret),
    now: context.now,
    issuer,
    tokenEndpoint,
  };
  // Checked before anyone signs in: without its keys, no ID token of this provider can be verified.
  const jwksUri = checkServerSuppliedUrl(
    metadata.jwks_uri,
    issuerUrl,
    options.allowHttp,
    `jwks_uri of ${issuer}`,
  );
  let jwks: Promise<unknown> | undefined;
  const keys = () =>
    jwks ??= idpRequest(issuer, () => getJson({ fetch: options.fetch, log: options.log }, jwksUri));
  const verify = async (idToken: string, expect: { nonce?: string; original?: Record<string, unknown> }) => {
    await verifyIdToken(idToken, await keys(), {
      issuer,
      clientId: idp.clientId,
      now: context.now(),
      ...expect,
    });
  };
  const keep = async (session: IdpSession) => {
    // Stored before the exchange: a refresh token rotated here survives a later step that fails.
    await context.keepIdpSession(session);
    return session;
  };

  // 1. The stored session: its ID token while it is valid, else a refresh.
  const stored = context.record.idp;
  if (stored && stored.issuer === issuer && stored.client_id === idp.clientId && stored.tokens.id_token) {
    const original = unverifiedClaims(stored.tokens.id_token);
    if (typeof original.exp === "number" && original.exp * 1000 - ID_TOKEN_MARGIN_MS > context.now()) {
      return { idToken: stored.tokens.id_token, tokenEndpoint, session: stored };
    }
    if (stored.tokens.refresh_token) {
      try {
        context.brakes.use("token request");
        // No scope: the one granted at the sign-in (RFC 6749 §6), `offline_access` included.
        const tokens = await idpRequest(
          issuer,
          () =>
            refreshTokens(options.fetch, { ...request, client, refreshToken: stored.tokens.refresh_token! }),
        );
        if (tokens.id_token) {
          await verify(tokens.id_token, { original });
          options.log.debug(`Refreshed the ID token at ${issuerUrl.host}`);
          const session = await keep({ ...stored, tokens });
          return { idToken: tokens.id_token, tokenEndpoint, session };
        }
        // No new ID token: the rotated refresh token is kept, and the user signs in there again.
        await keep({ ...stored, tokens: { ...tokens, id_token: stored.tokens.id_token } });
        options.log.debug(`${issuerUrl.host} refreshed no ID token: signing in there again`);
      } catch (error) {
        if (!(error instanceof AuthError) || error.oauthError !== "invalid_grant") throw error;
        options.log.info(`The session at ${issuerUrl.host} has ended: sign in there again`);
      }
    }
  }

  // 2. A browser sign-in at the identity provider, through the code grant's flow.
  const nonce = randomNonce();
  const { tokens } = await idpRequest(issuer, () =>
    AUTHORIZATION_CODE.obtain({
      ...context,
      // Its URLs are checked against its issuer; the user's --authorize-param are the MCP server's.
      options: { ...options, serverUrl: issuerUrl, authorizeParams: [] },
      discovery: { issuer, metadata, legacy: false },
      record: { version: 1, server_url: issuer },
      scope: (metadata.scopes_supported ?? []).includes("offline_access")
        ? "openid offline_access"
        : "openid",
      resource: undefined,
      authorizeParams: [["nonce", nonce]],
      tokenEndpoint: () => request,
      request: () => request,
      staticClient: () => client,
      client: () => Promise.resolve(client),
    }));
  if (!tokens.id_token) {
    throw new AuthError(
      `The identity provider ${issuer} returned no ID token: is "openid" allowed for client ${idp.clientId}?`,
    );
  }
  await verify(tokens.id_token, { nonce });
  const session = await keep({ issuer, client_id: idp.clientId, tokens });
  return { idToken: tokens.id_token, tokenEndpoint, session };
}

/**
 * The bridge's client at the identity provider: public, or confidential with the secret of
 * `--enterprise-idp` (HTTP Basic).
 *
 * @param idp `--enterprise-idp`.
 * @returns The client.
 */
export function idpClient(idp: EnterpriseIdp): ClientInfo {
  return {
    client_id: idp.clientId,
    ...(idp.clientSecret !== undefined ? { client_secret: idp.clientSecret } : {}),
    token_endpoint_auth_method: idp.clientSecret !== undefined ? "client_secret_basic" : "none",
    source: "static",
  };
}

/**
 * Runs a request to the identity provider. One it cannot reach is said as such, and is final: the wait
 * for an MCP server that is away (an `unreachable` error) is not for an identity provider.
 *
 * @param issuer The identity provider (or its token endpoint's origin), for the message.
 * @param fn The request.
 * @returns What it returns.
 */
export async function idpRequest<T>(issuer: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof AuthError) || !error.unreachable) throw error;
    throw new AuthError(`Cannot reach the identity provider ${issuer}: ${error.message}`, { cause: error });
  }
}

/** The identity provider's metadata, found from its issuer (the user's choice: its own URLs are checked against it). */
function metadataOf(context: GrantContext, idp: EnterpriseIdp) {
  const { options } = context;
  const issuer = idp.issuer;
  if (issuer === undefined) {
    throw new AuthError('Cannot sign in at the identity provider: --enterprise-idp needs its "issuer"');
  }
  return idpRequest(issuer, () =>
    fetchAuthServerMetadata(
      { fetch: options.fetch, serverUrl: new URL(issuer), allowHttp: options.allowHttp, log: options.log },
      issuer,
    ));
}

function endpointOf(metadata: { issuer: string; token_endpoint?: string }): string {
  if (!metadata.token_endpoint) {
    throw new AuthError(`The identity provider ${metadata.issuer} has no token endpoint`);
  }
  return metadata.token_endpoint;
}
