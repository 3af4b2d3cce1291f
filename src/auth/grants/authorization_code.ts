/**
 * The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, OAuth 2.1): a loopback listener
 * for the redirect, the browser opened (or the URL printed), the response checked (`state`, RFC 9207
 * `iss`), the code exchanged. An authorization server that forgot a registered client gets a new
 * registration, once.
 *
 * @module
 */

import { startCountdown } from "../../log/countdown.ts";
import { buildAuthorizationUrl, validateAuthorizationResponse } from "../authorization_request.ts";
import { callbackPortCandidates } from "../callback_port.ts";
import { type CallbackServer, startCallbackServer } from "../callback_server.ts";
import { AuthError } from "../errors.ts";
import { checkServerSuppliedUrl } from "../fetchable_url.ts";
import type { OAuthClientOptions } from "../oauth_options.ts";
import { createPkce, requireS256 } from "../pkce.ts";
import { exchangeCode } from "../token_client.ts";
import type { ServerRecord } from "../types.ts";
import type { Grant, GrantContext, Obtained } from "./grant.ts";

function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Starts the callback listener on the first free candidate port. */
async function listen(
  options: OAuthClientOptions,
  state: string,
  signal: AbortSignal,
): Promise<CallbackServer> {
  const { host, port, path, successUrl } = options.callback;
  const candidates = callbackPortCandidates(options.storeKey, port);
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      return await startCallbackServer({
        host,
        port: candidate,
        path,
        state,
        signal,
        log: options.log,
        ...(successUrl ? { successUrl } : {}),
      });
    } catch (error) {
      // Only a busy port moves on to the next candidate; anything else (a missing --allow-net) is final.
      if (!(error instanceof AuthError) || !(error.cause instanceof Deno.errors.AddrInUse)) throw error;
      lastError = error;
      options.log.debug(`Callback port ${candidate}: ${error.message}`);
    }
  }
  throw port !== undefined
    ? new AuthError(
      `Cannot listen for the sign-in callback on port ${port}: it is in use (it was given explicitly)`,
      {
        cause: lastError,
      },
    )
    : new AuthError(`Cannot listen for the sign-in callback: ports ${candidates.join(", ")} are all in use`, {
      cause: lastError,
    });
}

async function codeFlow(context: GrantContext, record: ServerRecord, retried: boolean): Promise<Obtained> {
  const { options, discovery, scope, resource } = context;
  const metadata = discovery.metadata;
  requireS256(metadata);
  if (!metadata.authorization_endpoint) {
    throw new AuthError(`The authorization server ${discovery.issuer} has no authorization endpoint`);
  }
  checkServerSuppliedUrl(
    metadata.authorization_endpoint,
    options.serverUrl,
    options.allowHttp,
    `authorization_endpoint of ${discovery.issuer}`,
  );
  const state = randomState();
  const stop = new AbortController();
  const signals = [stop.signal, ...(options.signal ? [options.signal] : [])];
  const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
  const server = await listen(options, state, signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopCountdown = () => {};
  try {
    const client = await context.client(record, [server.redirectUri]);
    const pkce = await createPkce();
    options.log.addSecret(pkce.verifier);
    const url = buildAuthorizationUrl({
      endpoint: metadata.authorization_endpoint,
      clientId: client.client_id,
      redirectUri: server.redirectUri,
      state,
      codeChallenge: pkce.challenge,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
      // The user's --authorize-param win over the profile's.
      extraParams: [
        ...context.authorizeParams.filter(([name]) => !options.authorizeParams.some(([own]) => own === name)),
        ...options.authorizeParams,
      ],
    });
    // The listener is up before the URL is shown or a browser is opened.
    options.log.info(`Sign in to ${options.serverUrl.host} in your browser`);
    await options.openUrl(url.href);
    const seconds = Math.round(options.authTimeoutMs / 1000);
    // `login` (the only caller that reads a pasted address) runs in a terminal: Ctrl-C stops it, and
    // advising it to run itself would be no help.
    const inLogin = options.pastedRedirect !== undefined;
    options.log.info(
      `Waiting up to ${seconds} s for the sign-in to finish in the browser` +
        (inLogin ? " (Ctrl-C cancels)" : ""),
    );
    // On a terminal, a spinner with the time left; nothing more in a host's log.
    stopCountdown = startCountdown(options.log, {
      text: "Waiting for the sign-in in the browser",
      deadline: Date.now() + options.authTimeoutMs,
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
        options.authTimeoutMs,
      );
    });
    const waits: Promise<URLSearchParams>[] = [server.result, timeout];
    if (options.pastedRedirect) {
      waits.push(
        options.pastedRedirect(signal).then((text) =>
          text === undefined ? new Promise<never>(() => {}) : new URL(text.trim()).searchParams
        ),
      );
    }
    const params = await Promise.race(waits);
    stopCountdown();
    const received = params.get("code");
    if (received) options.log.addSecret(received);
    const code = validateAuthorizationResponse(params, {
      state,
      issuer: discovery.issuer,
      issParameterSupported: metadata.authorization_response_iss_parameter_supported === true,
    });
    context.brakes.use("token request");
    try {
      const tokens = await exchangeCode(options.fetch, {
        ...context.tokenEndpoint(),
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
        options.log.info("The authorization server no longer knows this client: registering again");
        stopCountdown();
        clearTimeout(timer);
        stop.abort();
        await server.close();
        return await codeFlow(context, { ...record, client: undefined }, true);
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

/** The browser sign-in (the default). */
export const AUTHORIZATION_CODE: Grant = {
  renewal: "refresh",
  tokenEndpointSuffices: false,
  callback: true,
  registration: { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
  obtain: (context) => codeFlow(context, context.record, false),
};
