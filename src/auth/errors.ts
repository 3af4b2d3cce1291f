/**
 * The error of the authorization flow: its message is written for the user (it reaches the host as
 * a JSON-RPC error, and the terminal in `mcp-bridge login`), and never contains a secret.
 *
 * @module
 */

/** Why authorization failed, and what to do. */
export class AuthError extends Error {
  /** The OAuth `error` code, when an authorization server sent one (e.g. `invalid_grant`). */
  readonly oauthError: string | undefined;
  /**
   * The authorization server could not be reached (no answer at all): the network is down, not the
   * credentials. Nothing is forgotten then, no browser is opened, and the request waits for the network.
   */
  readonly unreachable: boolean;
  /** The storm brake stopped it (too many attempts in a minute): trying again at once, or signing in, is wrong. */
  readonly braked: boolean;
  /**
   * @param message What happened, where, and what to try.
   * @param options The OAuth error code, whether the server could be reached, and the cause.
   */
  constructor(
    message: string,
    options: { oauthError?: string; unreachable?: boolean; braked?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AuthError";
    this.oauthError = options.oauthError;
    this.unreachable = options.unreachable ?? false;
    this.braked = options.braked ?? false;
  }
}
