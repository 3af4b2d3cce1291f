/**
 * Waiting out a server that went away, shared by every request of one connection (private). The rules
 * are {@linkcode reconnectDelay} and {@linkcode mayRetry} of `reconnect.ts`; this adds what they leave to
 * the transports: when an outage began (the first failure of any request), how many requests wait at
 * once, the sleeping, the log lines, and the one error a request gets when the bounds are spent.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { sleep } from "./_http.ts";
import { mayRetry, reconnectDelay, type ReconnectSettings } from "./reconnect.ts";
import { TransportError } from "./transport.ts";

/** The most requests that may wait for an unreachable server at once; more fail at once. */
export const MAX_WAITING = 1000;

/** What {@linkcode planWait} needs to know. */
export interface WaitInput {
  /** When the outage began for this request: the earlier of the outage and its own first failure. */
  since: number;
  /** Now (same clock). */
  now: number;
  /** The retry number of this request, from 1. */
  attempt: number;
  /** How many requests wait already. */
  waiting: number;
  /** The reconnection bounds. */
  settings: ReconnectSettings;
  /** The most requests that may wait at once. */
  maxWaiting: number;
  /** A number in [0, 1] for the jitter. */
  random: () => number;
}

/** Wait this long and try again, or give up (and why, for the host's error). */
export type WaitPlan = { wait: number } | { giveUp: string };

/**
 * Whether a request that found the server away waits once more, and how long: a jittered backoff wait
 * that must end within `--reconnect-max-duration` of the outage's start, and a place among the requests
 * that may wait at once.
 *
 * @example Usage
 * ```ts
 * import { planWait } from "./_outage.ts";
 * import { DEFAULT_RECONNECT } from "./reconnect.ts";
 * import assert from "node:assert/strict";
 *
 * const input = {
 *   since: 0, now: 1000, attempt: 1, waiting: 0, settings: DEFAULT_RECONNECT, maxWaiting: 1000, random: () => 1,
 * };
 * assert.deepEqual(planWait(input), { wait: 500 });
 * assert.deepEqual(planWait({ ...input, now: 300_000 }), {
 *   giveUp: "mcp-bridge stopped trying after 300 s (--reconnect-max-duration)",
 * });
 * assert.deepEqual(planWait({ ...input, waiting: 1000 }), { giveUp: "1000 requests already wait for it" });
 * ```
 *
 * @param input The outage, the request's attempt and the bounds.
 * @returns The wait in milliseconds, or why the request gives up.
 */
export function planWait(input: WaitInput): WaitPlan {
  const { since, now, attempt, waiting, settings, maxWaiting, random } = input;
  if (waiting >= maxWaiting) return { giveUp: `${maxWaiting} requests already wait for it` };
  const wait = reconnectDelay(attempt, settings, random);
  if (!mayRetry(since, now, wait, settings)) {
    return {
      giveUp: `mcp-bridge stopped trying after ${
        Math.round((now - since) / 1000)
      } s (--reconnect-max-duration)`,
    };
  }
  return { wait };
}

/** One request's waiting: its attempts and its first failure. */
export interface OutageRetry {
  /**
   * Waits before the next attempt, within the bounds; rejects with the error for the host when they
   * are spent (the failure itself when reconnection is off). Resolves early when `signal` aborts.
   *
   * @param error Why the last attempt failed.
   * @param signal Ends the wait (the host cancelled, the bridge stops).
   */
  wait(error: TransportError, signal: AbortSignal): Promise<void>;
}

/** Options for {@linkcode Outage}. */
export interface OutageOptions {
  /** The server's host, for the messages. */
  host: string;
  /** The reconnection bounds. */
  settings: ReconnectSettings;
  /** The logger. */
  log: Logger;
  /** The most requests that may wait at once (default {@linkcode MAX_WAITING}). */
  maxWaiting?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** The jitter source (default `Math.random`). */
  random?: () => number;
}

/**
 * The outages of one server, as its requests see them: whether the server ever answered (before that
 * nothing is waited for), since when it has been away, and the waiting of each request.
 *
 * @example Usage
 * ```ts
 * import { Outage } from "./_outage.ts";
 * import { DEFAULT_RECONNECT } from "./reconnect.ts";
 * import { TransportError } from "./transport.ts";
 * import { Logger } from "../log/logger.ts";
 * import assert from "node:assert/strict";
 *
 * const outage = new Outage({
 *   host: "example.com", settings: { ...DEFAULT_RECONNECT, maxDurationMs: 0 }, log: new Logger({ level: "silent" }),
 * });
 * outage.reached();
 * assert.equal(outage.reachedOnce, true);
 * const refused = new TransportError("Cannot reach example.com: Connection refused", { unreachable: true });
 * await assert.rejects(
 *   outage.retry("tools/call").wait(refused, new AbortController().signal),
 *   /has been unreachable since .*: mcp-bridge stopped trying after 0 s/,
 * );
 * ```
 */
export class Outage {
  #o: OutageOptions;
  #now: () => number;
  #reachedOnce = false;
  #since: number | undefined;
  #waiting = 0;

  /** @param options The server, the bounds and the logger. */
  constructor(options: OutageOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the server answered at least once (only then is an outage waited for). */
  get reachedOnce(): boolean {
    return this.#reachedOnce;
  }

  /** How many requests wait now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** The server answered: an outage, if there was one, is over. */
  reached(): void {
    this.#reachedOnce = true;
    if (this.#since === undefined) return;
    const seconds = Math.round((this.#now() - this.#since) / 1000);
    this.#since = undefined;
    this.#o.log.info(`The server at ${this.#o.host} can be reached again (after ${seconds} s)`);
  }

  /**
   * Starts the waiting of one request (made only when it failed: nothing on the hot path).
   *
   * @param operation What waits (a method name), for the debug log.
   * @returns The request's waiting.
   */
  retry(operation: string): OutageRetry {
    let attempt = 0;
    let first: number | undefined;
    return {
      wait: (error, signal) => this.#wait(error, operation, ++attempt, first ??= this.#now(), signal),
    };
  }

  async #wait(
    error: TransportError,
    operation: string,
    attempt: number,
    first: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { settings, host, log } = this.#o;
    if (!settings.enabled) throw error;
    const now = this.#now();
    if (this.#since === undefined) {
      this.#since = now;
      log.warn(
        `The server at ${host} cannot be reached (${error.message}): trying again for up to ` +
          `${Math.round(settings.maxDurationMs / 1000)} s`,
      );
    }
    // Bounded per request too: other requests that get through must not keep moving this one's limit.
    const since = Math.min(this.#since, first);
    const plan = planWait({
      since,
      now,
      attempt,
      waiting: this.#waiting,
      settings,
      maxWaiting: this.#o.maxWaiting ?? MAX_WAITING,
      random: this.#o.random ?? Math.random,
    });
    if ("giveUp" in plan) {
      this.#since = undefined; // the next request starts a new outage
      throw new TransportError(
        `The server at ${host} has been unreachable since ${
          new Date(since).toISOString()
        }: ${plan.giveUp}; ` +
          `last error: ${error.message}`,
        { cause: error },
      );
    }
    log.debug(`${operation}: the server cannot be reached; trying again in ${plan.wait} ms`);
    this.#waiting++;
    try {
      await sleep(plan.wait, signal);
    } finally {
      this.#waiting--;
    }
  }
}
