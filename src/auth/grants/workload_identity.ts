/**
 * Workload identity federation (SEP-1933): the JWT-bearer grant (RFC 7523 §2.1) with the workload's own
 * identity token from `--workload-token-file`, re-read for every token request (the platform rotates
 * it). No user, no browser, no refresh token: expired tokens are obtained anew. A refusal is reported
 * as it is: no retry and no other grant.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import { JWT_BEARER_GRANT, jwtBearerToken } from "../token_client.ts";
import { readJwtFile } from "../jwt_file.ts";
import type { Grant } from "./grant.ts";

/** `--workload-token-file`. */
export const WORKLOAD_IDENTITY: Grant = {
  renewal: "obtain",
  tokenEndpointSuffices: true,
  callback: false,
  registration: { grant_types: [JWT_BEARER_GRANT], response_types: [] },
  async obtain(context) {
    const { options, scope, resource } = context;
    if (!options.workloadTokenFile) throw new AuthError("Workload identity needs --workload-token-file");
    const client = context.staticClient(
      'Workload identity needs the client id: pass --static-oauth-client-info \'{"client_id": "…"}\'',
    );
    const assertion = readJwtFile(options.workloadTokenFile, "workload token");
    // A secret the moment it is read: it never reaches a log or an error message.
    options.log.addSecret(assertion);
    context.brakes.use("token request");
    const tokens = await jwtBearerToken(options.fetch, {
      ...context.tokenEndpoint(),
      client,
      assertion,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
    });
    return { tokens, client: undefined };
  },
};
