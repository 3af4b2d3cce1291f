/**
 * The client credentials grant (RFC 6749 §4.4): the client signs in as itself with the secret of
 * `--static-oauth-client-info`; no user, no browser, no refresh token (expired tokens are obtained anew).
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import { clientCredentialsToken } from "../token_client.ts";
import type { Grant } from "./grant.ts";

/** `--client-credentials`. */
export const CLIENT_CREDENTIALS: Grant = {
  renewal: "obtain",
  tokenEndpointSuffices: true,
  callback: false,
  registration: { grant_types: ["client_credentials"], response_types: [] },
  async obtain(context) {
    const { options, scope, resource } = context;
    const missing =
      "--client-credentials needs a client id and a secret or private key from --static-oauth-client-info";
    if (!options.staticClient?.client_secret && !options.staticClient?.signing_key) {
      throw new AuthError(missing);
    }
    const client = context.staticClient(missing);
    context.brakes.use("token request");
    const tokens = await clientCredentialsToken(options.fetch, {
      ...context.tokenEndpoint(),
      client,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
    });
    return { tokens, client: undefined };
  },
};
