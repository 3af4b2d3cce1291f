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
import { isCompactJwt, readJwtFile, unverifiedClaims } from "../jwt_file.ts";
import { runProgram } from "../run_program.ts";
import type { Grant } from "./grant.ts";

/** Whether a JWT's (unverified) `aud` names one of the places, ignoring a trailing slash. */
function audienceIncludes(jwt: string, places: string[]): boolean {
  const aud = unverifiedClaims(jwt).aud;
  const trim = (value: string) => value.replace(/\/+$/, "");
  const wanted = places.map(trim);
  const audiences = Array.isArray(aud) ? aud : [aud];
  return audiences.some((a) => typeof a === "string" && wanted.includes(trim(a)));
}

/** How long the workload token command may take. */
const TOKEN_COMMAND_TIMEOUT_MS = 30_000;

/** Runs `--workload-token-command` (no shell) and takes the JWT it prints. */
async function workloadTokenFromCommand(argv: string[], signal: AbortSignal | undefined): Promise<string> {
  let output;
  try {
    output = await runProgram(argv, {
      flag: "--workload-token-command",
      timeoutMs: TOKEN_COMMAND_TIMEOUT_MS,
      maxBytes: 64 * 1024,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw new AuthError((error as Error).message, { cause: error });
  }
  if (output.code !== 0) {
    throw new AuthError(`The --workload-token-command ${argv[0]} failed (exit ${output.code})`);
  }
  const token = output.stdout.trim();
  if (!isCompactJwt(token)) {
    throw new AuthError(
      `The --workload-token-command ${argv[0]} printed no JWT (three base64url parts separated by dots)`,
    );
  }
  return token;
}

/** `--workload-token-file` or `--workload-token-command`. */
export const WORKLOAD_IDENTITY: Grant = {
  renewal: "obtain",
  tokenEndpointSuffices: true,
  callback: false,
  registration: { grant_types: [JWT_BEARER_GRANT], response_types: [] },
  async obtain(context) {
    const { options, discovery, scope, resource } = context;
    if (!options.workloadTokenFile && !options.workloadTokenCommand) {
      throw new AuthError("Workload identity needs --workload-token-file or --workload-token-command");
    }
    const client = context.staticClient(
      'Workload identity needs the client id: pass --static-oauth-client-info \'{"client_id": "…"}\'',
    );
    const assertion = options.workloadTokenFile
      ? readJwtFile(options.workloadTokenFile, "workload token")
      : await workloadTokenFromCommand(options.workloadTokenCommand!, options.signal);
    // A secret the moment it is read: it never reaches a log or an error message.
    options.log.addSecret(assertion);
    // The token goes only where it is addressed: the issuer the server names must be in its audience,
    // unless the user named the token endpoint. A server that now names another authorization server
    // cannot have the token sent there to replay it.
    const endpoint = context.tokenEndpoint().tokenEndpoint;
    if (!options.tokenEndpoint && !audienceIncludes(assertion, [discovery.issuer, endpoint])) {
      throw new AuthError(
        `The workload token is not addressed to ${discovery.issuer} (its "aud" names neither that issuer nor ` +
          "its token endpoint): it is not sent. If that is the right place, name it with --token-endpoint",
      );
    }
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
