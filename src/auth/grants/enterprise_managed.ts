/**
 * Enterprise-managed authorization (SEP-990, the identity assertion authorization grant): the user's ID
 * token from the enterprise identity provider is exchanged there (RFC 8693) for an identity assertion
 * grant (ID-JAG) addressed to the MCP server's authorization server, which takes it with the JWT-bearer
 * grant (RFC 7523 §2.1). The company's IdP decides who may use which server. The ID token is the
 * user's own (`id_token` of `--enterprise-idp`), or comes from a browser sign-in at the IdP, kept and
 * refreshed there (`_idp_id_token.ts`).
 *
 * The ID token goes only to the identity provider's token endpoint (and, when `issuer` is configured,
 * only if the token names that issuer); the ID-JAG only to the authorization server it is addressed to.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import { unverifiedClaims } from "../jwt_file.ts";
import { exchangeToken, JWT_BEARER_GRANT, jwtBearerToken } from "../token_client.ts";
import { enterpriseIdToken, idpClient, idpRequest } from "./_idp_id_token.ts";
import type { Grant } from "./grant.ts";

const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag";

/** `--enterprise-idp`. */
export const ENTERPRISE_MANAGED: Grant = {
  renewal: "obtain",
  tokenEndpointSuffices: false,
  callback: false,
  registration: { grant_types: [JWT_BEARER_GRANT], response_types: [] },
  async obtain(context) {
    const { options, discovery, scope, resource } = context;
    const idp = options.enterpriseIdp;
    if (!idp) throw new AuthError("Enterprise-managed authorization needs --enterprise-idp");
    const client = context.staticClient(
      "Enterprise-managed authorization needs the client registered at the server's authorization server: " +
        'pass --static-oauth-client-info \'{"client_id": "…", "client_secret": "…"}\'',
    );
    const { idToken, tokenEndpoint, session } = await enterpriseIdToken(context, idp);
    const iss = unverifiedClaims(idToken).iss;
    if (idp.issuer !== undefined && iss !== idp.issuer) {
      throw new AuthError(
        `The ID token was issued by ${typeof iss === "string" ? iss : "nobody named"}, not by the identity ` +
          `provider ${idp.issuer} of --enterprise-idp: it is not sent`,
      );
    }
    // 1. At the identity provider: the ID token for an ID-JAG addressed to this authorization server.
    context.brakes.use("token request");
    const idpName = idp.issuer ?? new URL(tokenEndpoint).origin;
    const jag = await idpRequest(idpName, () =>
      exchangeToken(options.fetch, {
        allowHttp: options.allowHttp,
        onSecret: (secret) => options.log.addSecret(secret),
        now: context.now,
        issuer: idpName,
        tokenEndpoint,
        client: idpClient(idp),
        subjectToken: idToken,
        subjectTokenType: ID_TOKEN_TYPE,
        requestedTokenType: ID_JAG_TYPE,
        audience: discovery.issuer,
        ...(resource ? { resource } : {}),
        ...(scope ? { scope } : {}),
      }));
    // 2. At the authorization server: the ID-JAG for an access token (JWT-bearer grant).
    context.brakes.use("token request");
    const tokens = await jwtBearerToken(options.fetch, {
      ...context.tokenEndpoint(),
      client,
      assertion: jag,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
    });
    return { tokens, client: undefined, ...(session ? { idp: session } : {}) };
  },
};
