/**
 * Enterprise-managed authorization (SEP-990, the identity assertion authorization grant) on two
 * {@linkcode OAuthServer}s, for tests: oidc-provider has neither grant, so both are registered as its
 * custom grant types.
 *
 * - {@linkcode issueIdJags} makes one server the enterprise identity provider: RFC 8693 token exchange
 *   of an ID token it issued (to the calling client, unexpired) for an ID-JAG (`typ: oauth-id-jag+jwt`,
 *   ES256) addressed to the authorization server named in `audience`, for the client id the bridge has
 *   there.
 * - {@linkcode acceptIdJags} makes another the MCP server's authorization server: the JWT-bearer grant
 *   (RFC 7523) takes an ID-JAG signed by that identity provider, addressed to it and naming the
 *   authenticated client, and issues an access token for the user for the ID-JAG's `resource` (with
 *   the server's `accessTokenTtl`).
 *
 * @module
 */

import { errors } from "oidc-provider";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { OAuthServer } from "./oauth_server.ts";

/** RFC 8693's grant type. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** RFC 7523's grant type. */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag";
const ID_JAG_TYP = "oauth-id-jag+jwt";

/** The identity provider's side. */
export interface IdJagIssuer {
  /** The public key its ID-JAGs are signed with (a JWK), for the authorization server to trust. */
  publicJwk: JsonWebKey;
  /** ID-JAGs issued. */
  issued: number;
  /** The last one issued. */
  last?: string;
}

/** The authorization server's side. */
export interface IdJagAcceptor {
  /** How many of the next JWT-bearer requests to refuse (`invalid_grant`), as a server having a bad moment. */
  refuse: number;
}

// deno-lint-ignore no-explicit-any
type Ctx = any;

/**
 * Makes `idp` issue ID-JAGs by token exchange.
 *
 * @example Usage
 * ```ts ignore
 * import { issueIdJags } from "./id_jag.ts";
 * const issuer = await issueIdJags(idp, { clientAtAs: "bridge-at-as" });
 * ```
 *
 * @param idp The identity provider.
 * @param options The bridge's client id at the authorization server (what the ID-JAG names).
 * @returns Its key and its count.
 */
export async function issueIdJags(idp: OAuthServer, options: { clientAtAs: string }): Promise<IdJagIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = `jag-${crypto.randomUUID().slice(0, 8)}`;
  const out: IdJagIssuer = {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256" } as JsonWebKey,
    issued: 0,
  };
  idp.provider.registerGrantType(TOKEN_EXCHANGE_GRANT, async (ctx: Ctx) => {
    const params = ctx.oidc.params;
    if (params.subject_token_type !== ID_TOKEN_TYPE || typeof params.subject_token !== "string") {
      throw new errors.InvalidRequest("subject_token must be an ID token");
    }
    if (params.requested_token_type !== ID_JAG_TYPE) {
      throw new errors.InvalidRequest("requested_token_type must be an ID-JAG");
    }
    if (typeof params.audience !== "string") throw new errors.InvalidTarget("audience is required");
    let claims: Record<string, unknown>;
    try {
      // Signature, issuer and audience (this client); the expiry is checked below.
      ({ payload: claims } = await idp.provider.IdToken.validate(params.subject_token, ctx.oidc.client));
    } catch {
      throw new errors.InvalidGrant("the subject token is not an ID token issued to this client");
    }
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) {
      throw new errors.InvalidGrant("the ID token has expired");
    }
    const jag = await new SignJWT({
      client_id: options.clientAtAs,
      ...(typeof params.resource === "string" ? { resource: params.resource } : {}),
      ...(typeof params.scope === "string" ? { scope: params.scope } : {}),
    })
      .setProtectedHeader({ alg: "ES256", typ: ID_JAG_TYP, kid })
      .setIssuer(idp.issuer)
      .setSubject(String(claims.sub))
      .setAudience(params.audience)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    out.issued++;
    out.last = jag;
    ctx.body = {
      access_token: jag,
      issued_token_type: ID_JAG_TYPE,
      token_type: "N_A",
      expires_in: 300,
    };
  }, ["subject_token", "subject_token_type", "requested_token_type", "audience", "resource", "scope"]);
  return out;
}

/**
 * Makes `as` take ID-JAGs of `idp` with the JWT-bearer grant.
 *
 * @example Usage
 * ```ts ignore
 * import { acceptIdJags } from "./id_jag.ts";
 * acceptIdJags(as, idp.issuer, jagIssuer.publicJwk);
 * ```
 *
 * @param as The authorization server.
 * @param idpIssuer The identity provider it trusts.
 * @param idpKey That provider's ID-JAG key.
 * @returns A handle to make it refuse requests.
 */
export function acceptIdJags(
  as: OAuthServer,
  idpIssuer: string,
  idpKey: JsonWebKey,
): IdJagAcceptor {
  const { provider } = as;
  const out: IdJagAcceptor = { refuse: 0 };
  as.provider.registerGrantType(JWT_BEARER_GRANT, async (ctx: Ctx) => {
    const { client, params } = ctx.oidc;
    if (out.refuse > 0) {
      out.refuse--;
      throw new errors.InvalidGrant("refused for the test");
    }
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(params.assertion, idpKey, {
        issuer: idpIssuer,
        audience: as.issuer,
        typ: ID_JAG_TYP,
        algorithms: ["ES256"],
        requiredClaims: ["sub", "exp", "jti", "client_id"],
      }));
    } catch (error) {
      throw new errors.InvalidGrant(
        `the assertion is not an ID-JAG for this server: ${(error as Error).message}`,
      );
    }
    if (claims.client_id !== client.clientId) {
      throw new errors.InvalidGrant("the ID-JAG is for another client");
    }
    const resource = typeof claims.resource === "string" ? claims.resource : undefined;
    if (!resource) throw new errors.InvalidTarget("the ID-JAG names no resource");
    const scope = typeof claims.scope === "string" ? claims.scope : "mcp:read mcp:write";
    const grant = new provider.Grant({ accountId: String(claims.sub), clientId: client.clientId });
    grant.addResourceScope(resource, scope);
    const grantId = await grant.save();
    const token = new provider.AccessToken({
      accountId: String(claims.sub),
      client,
      grantId,
      scope,
      gty: "jwt_bearer",
    });
    token.resourceServer = new provider.ResourceServer(resource, {
      audience: resource,
      scope,
      accessTokenFormat: "jwt",
      jwt: { sign: { alg: "RS256" } },
    });
    const value = await token.save();
    ctx.body = { access_token: value, token_type: "Bearer", expires_in: token.expiration, scope };
  }, ["assertion", "scope", "resource"]);
  return out;
}
