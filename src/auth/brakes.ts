/**
 * Storm brakes of the OAuth client: a server that keeps refusing fresh credentials must not make the
 * bridge sign in, or call the token endpoint, in a loop. Per process, per minute; and a bounded number
 * of step-up re-authorizations per operation. Pure state with an injected clock.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/** At most this many sign-ins, and token requests, per minute in one process. */
export const MAX_SIGN_INS_PER_MINUTE = 3;
/** At most this many token requests per minute in one process. */
export const MAX_TOKEN_REQUESTS_PER_MINUTE = 12;
/** Step-up re-authorizations per operation. */
export const MAX_STEP_UPS = 3;

/** What a brake counts. */
export type BrakeKind = "sign-in" | "token request";

/** The per-minute limits of one OAuth client. */
export class Brakes {
  #now: () => number;
  #seen: Record<BrakeKind, number[]> = { "sign-in": [], "token request": [] };
  #stepUps = new Map<string, number>();

  /**
   * Creates the brakes.
   *
   * @example Usage
   * ```ts
   * import { Brakes, MAX_SIGN_INS_PER_MINUTE } from "./brakes.ts";
   * import assert from "node:assert/strict";
   *
   * const brakes = new Brakes(() => 0);
   * for (let i = 0; i < MAX_SIGN_INS_PER_MINUTE; i++) brakes.use("sign-in");
   * assert.throws(() => brakes.use("sign-in"), /Stopped after 3 sign-ins within a minute/);
   * ```
   *
   * @param now The clock, milliseconds.
   */
  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Counts one sign-in or token request, or refuses it past the limit of the last minute.
   *
   * @param kind What is about to happen.
   * @throws {AuthError} With `braked` set, past the limit.
   */
  use(kind: BrakeKind): void {
    const list = this.#seen[kind];
    const limit = kind === "sign-in" ? MAX_SIGN_INS_PER_MINUTE : MAX_TOKEN_REQUESTS_PER_MINUTE;
    const now = this.#now();
    while (list.length > 0 && list[0]! < now - 60_000) list.shift();
    if (list.length >= limit) {
      throw new AuthError(
        `Stopped after ${limit} ${kind}s within a minute: the server keeps refusing fresh credentials ` +
          "(check the server and the authorization server configuration, then try again)",
        { braked: true },
      );
    }
    list.push(now);
  }

  /**
   * Counts one step-up re-authorization of an operation.
   *
   * @param operation What the server refused for lack of scope.
   * @param scope The scope the server asks for, for the message.
   * @throws {AuthError} Past {@linkcode MAX_STEP_UPS} for the operation.
   */
  stepUp(operation: string, scope: string | undefined): void {
    const attempts = (this.#stepUps.get(operation) ?? 0) + 1;
    if (attempts > MAX_STEP_UPS) {
      throw new AuthError(
        `The server still refuses ${operation} for lack of scope after ${MAX_STEP_UPS} re-authorizations` +
          (scope ? ` (it asks for "${scope}")` : "") +
          ": ask its operator to grant those scopes to your account",
      );
    }
    this.#stepUps.set(operation, attempts);
  }
}
