/**
 * Watches the answers in flight and the clock, and pings the server when {@linkcode probeDue} says so
 * (see `liveness.ts` for the rules). A transport gives each answer it waits for a {@linkcode Watch}:
 * it reports the bytes that arrive, and its signal aborts the reading when the connection is declared
 * stalled (a ping went unanswered) or suspect (the clock jumped, for answers that can be resumed).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { isClockJump, type LivenessSettings, probeDue } from "./liveness.ts";
import { TransportError } from "./transport.ts";
import { startTimer, type Timer } from "../time/timer.ts";

/** Options for {@linkcode LivenessMonitor}. */
export interface LivenessMonitorOptions {
  /** The periods. */
  settings: LivenessSettings;
  /** The server's host, for messages. */
  host: string;
  /**
   * Sends a JSON-RPC `ping`: `true` when the server answered anything within `timeoutMs` (an HTTP error
   * is an answer too), `false` when it could not be reached or said nothing. A check of the server goes
   * on a connection of its own (`fresh`); the keep-alive goes on a pooled one, which it keeps alive.
   */
  probe(timeoutMs: number, fresh: boolean): Promise<boolean>;
  /**
   * Whether the server's host accepts a TCP connection within `timeoutMs` (nothing sent): `false` means
   * the path is gone; `true` with an unanswered ping means a busy server, which is waited for; `undefined`
   * when it cannot be known (a proxy). Default: unknown.
   */
  reach?(timeoutMs: number): Promise<boolean | undefined>;
  /** Open connections are suspect (a ping went unanswered, or the clock jumped): use new ones. */
  onSuspect(why: string): void;
  /**
   * Whether the server was seen to start its answers before their work is done (an event stream whose
   * headers came well before its response; never for a server that answers with JSON): then a read that
   * has not even started while the server answers pings at once was lost with its connection. Default:
   * never.
   */
  startsAnswersAtOnce?: () => boolean;
  /** The logger. */
  log: Logger;
  /** The wall clock (default `Date.now`). */
  now?: () => number;
}

/** One answer the transport waits for. */
export interface Watch {
  /**
   * Aborts the reading of this answer when its connection is declared stalled (or suspect), and when the
   * parent given to {@linkcode LivenessMonitor.watch} aborts (with the parent's reason).
   */
  readonly signal: AbortSignal;
  /** Whether the answer can be resumed (an event id arrived): it is then restarted after a suspend. */
  resumable: boolean;
  /** Whether the request only reads (sent again when its answer may be lost; never a `tools/call`). */
  resendable: boolean;
  /** Bytes arrived (the first call: the response headers). */
  progress(): void;
  /** The answer is over (complete or failed): stop watching it. */
  done(): void;
  /**
   * Ends the reading of this answer with `reason`, and stops watching it.
   *
   * @param reason Why.
   */
  abort(reason: TransportError): void;
}

class AnswerWatch implements Watch {
  readonly #controller = new AbortController();
  resumable = false;
  resendable = false;
  lastProgress: number;
  readonly createdAt: number;
  /** Whether anything arrived (the response headers, at least). */
  started = false;
  #monitor: LivenessMonitor;
  #now: () => number;
  #parent: AbortSignal | undefined;

  constructor(monitor: LivenessMonitor, now: () => number, parent: AbortSignal | undefined) {
    this.#monitor = monitor;
    this.#now = now;
    this.lastProgress = this.createdAt = now();
    if (parent?.aborted) this.#controller.abort(parent.reason);
    else if (parent) {
      this.#parent = parent;
      parent.addEventListener("abort", this.#follow);
    }
  }

  /** The exchange ended (host, transport, deadline): so does the reading of its answer, for the same reason. */
  #follow = (): void => {
    this.#controller.abort(this.#parent?.reason);
  };

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  progress(): void {
    this.started = true;
    this.lastProgress = this.#now();
    this.#monitor.traffic();
  }

  done(): void {
    this.#monitor.forget(this);
    this.#parent?.removeEventListener("abort", this.#follow);
    this.#parent = undefined;
  }

  abort(reason: TransportError): void {
    this.#controller.abort(reason);
    this.done();
  }
}

/** The liveness timer of one transport. */
export class LivenessMonitor {
  #o: LivenessMonitorOptions;
  #watches = new Set<AnswerWatch>();
  #timer: Timer | undefined;
  #now: () => number;
  #lastTick: number;
  #lastTraffic: number;
  #lastProbeOk = -Infinity;
  #probing = false;
  /** The silence before the next check: doubled after each check that found the server there (at most a minute). */
  #interval: number;

  /**
   * Creates the monitor; call {@linkcode LivenessMonitor.start} once the server was reached.
   *
   * @example Usage
   * ```ts
   * import { LivenessMonitor } from "./liveness_monitor.ts";
   * import { DEFAULT_LIVENESS } from "./liveness.ts";
   * import { Logger } from "../log/logger.ts";
   * import assert from "node:assert/strict";
   *
   * const monitor = new LivenessMonitor({
   *   settings: DEFAULT_LIVENESS,
   *   host: "example.com",
   *   probe: () => Promise.resolve(true),
   *   onSuspect: () => {},
   *   log: new Logger({ level: "error" }),
   * });
   * const watch = monitor.watch();
   * watch.progress();
   * watch.done();
   * assert.equal(watch.signal.aborted, false);
   * ```
   *
   * @param options The settings and the transport's hooks.
   */
  constructor(options: LivenessMonitorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#lastTick = this.#lastTraffic = this.#now();
    this.#interval = options.settings.probeAfterMs;
  }

  /**
   * Starts the clock (idempotent). The timer never keeps the process alive, and is the runtime's own
   * (`time/timer.ts`): Deno's global `setInterval` would cost an idle bridge about 3 MiB.
   */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#lastTick = this.#now();
    this.#schedule();
  }

  /** Arms the next tick: one at a time, each armed again when it ran (an interval). */
  #schedule(): void {
    const timer: Timer = startTimer(this.#o.settings.tickMs, () => {
      this.#tick();
      // Not armed again when the tick stopped the clock (or stopped and started it: that armed its own).
      if (this.#timer === timer) this.#schedule();
    }, { keepAlive: false });
    this.#timer = timer;
  }

  /** Stops the clock. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * Watches one answer from now until {@linkcode Watch.done}.
   *
   * @param parent What else ends the exchange (the host, the transport, a deadline): the watch's signal
   *   aborts with it too, so that it alone can go to the request (one signal, not two linked).
   * @returns The watch.
   */
  watch(parent?: AbortSignal): Watch {
    // A request made the moment the process wakes must not go out on a connection of before the sleep.
    if (this.#timer !== undefined) this.#checkClock(this.#now());
    const watch = new AnswerWatch(this, this.#now, parent);
    this.#watches.add(watch);
    this.traffic();
    return watch;
  }

  /**
   * Ends the reading of every answer watched (the transport closes), with `reason`.
   *
   * @param reason Why.
   */
  abortAll(reason: TransportError): void {
    for (const watch of [...this.#watches]) watch.abort(reason);
  }

  /** Something went to or came from the server (the keep-alive waits for a quiet period). */
  traffic(): void {
    this.#lastTraffic = this.#now();
  }

  /**
   * Stops watching an answer (its {@linkcode Watch.done}).
   *
   * @param watch The watch.
   */
  forget(watch: Watch): void {
    this.#watches.delete(watch as AnswerWatch);
  }

  #tick(): void {
    const now = this.#now();
    if (this.#checkClock(now)) return;
    let silentSince: number | undefined;
    for (const watch of this.#watches) {
      if (silentSince === undefined || watch.lastProgress < silentSince) silentSince = watch.lastProgress;
    }
    // Nothing silent: the next silence is checked after the first period again.
    if (silentSince === undefined) this.#interval = this.#o.settings.probeAfterMs;
    const settings = this.#o.settings.probeAfterMs > 0
      ? { ...this.#o.settings, probeAfterMs: this.#interval }
      : this.#o.settings;
    const due = probeDue(
      { silentSince, lastProbeOk: this.#lastProbeOk, lastTraffic: this.#lastTraffic, probing: this.#probing },
      now,
      settings,
    );
    if (due === "silence") {
      void this.#probe(`nothing arrived for ${Math.round((now - silentSince!) / 1000)} s`);
    } else if (due === "keep-alive") void this.#probe("keep-alive", false);
  }

  /**
   * Whether the ticks stopped for a while (a suspend, a stop). Every open connection is suspect then:
   * new requests use new ones, answers that can be resumed start again, and a ping checks the server.
   */
  #checkClock(now: number): boolean {
    const previous = this.#lastTick;
    this.#lastTick = now;
    if (!isClockJump(previous, now, this.#o.settings)) return false;
    const seconds = Math.round((now - previous) / 1000);
    const why = `the clock jumped ${seconds} s (the computer slept, or mcp-bridge was stopped)`;
    this.#o.log.info(`Checking the connection to ${this.#o.host}: ${why}`);
    this.#o.onSuspect(why);
    for (const watch of [...this.#watches]) {
      if (watch.resumable) {
        watch.abort(new TransportError(`The connection to ${this.#o.host} is suspect: ${why}`));
      }
    }
    void this.#probe(`after ${why}`);
    return true;
  }

  /**
   * Checks the server. A check (`fresh`) asks three things at once: does its host accept a connection
   * (the path), does it answer a ping on a new connection (the server), and on a pooled one (the open
   * connections: after a NAT rebinding or a VPN switch they are dead while new ones work). The keep-alive
   * asks the last one only.
   *
   * - No connection: the path is gone, every answer waiting since before fails or is resumed.
   * - A connection but no answer: the server is busy (a blocking tool); it is waited for.
   * - Cannot tell (a proxy) and no answer: reads are sent again and resumable answers resumed on new
   *   connections; a `tools/call` is never failed on that alone.
   * - The pooled ping unanswered: the open connections are dead, every answer waiting since before fails.
   */
  async #probe(why: string, fresh = true): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    const timeout = this.#o.settings.probeTimeoutMs;
    const started = this.#now();
    const ping = (onNew: boolean) => this.#o.probe(timeout, onNew).catch(() => false);
    const reach = () =>
      this.#o.reach ? this.#o.reach(timeout).catch(() => false) : Promise.resolve(undefined);
    let reached: boolean | undefined;
    let path: boolean;
    let pool: boolean;
    try {
      [reached, path, pool] = await Promise.all([
        fresh ? reach() : Promise.resolve(undefined),
        fresh ? ping(true) : Promise.resolve(true),
        ping(false),
      ]);
    } finally {
      this.#probing = false;
    }
    const seconds = timeout / 1000;
    const waiting = (watch: AnswerWatch) => watch.createdAt <= started;
    let lost: (watch: AnswerWatch) => boolean = waiting;
    let detail: string;
    if (reached === false) {
      detail = `no connection to the server could be opened within ${seconds} s`;
    } else if (!path && reached === true) {
      this.#interval = Math.min(this.#interval * 2, MAX_CHECK_INTERVAL_MS);
      this.#o.log.info(
        `The server at ${this.#o.host} accepts connections but did not answer a ping within ${seconds} s ` +
          `(${why}): it seems busy; waiting for it`,
      );
      return;
    } else if (!path || (!fresh && !pool)) {
      // No answer, and no way to tell a busy server from a gone path: only what is safe to redo is redone.
      lost = (watch) => waiting(watch) && (watch.resendable || watch.resumable);
      detail = `the server did not answer a ping within ${seconds} s`;
    } else if (!pool) {
      detail = `the server answers a ping on a new connection but not on an open one within ${seconds} s`;
    } else {
      this.#lastProbeOk = this.#now();
      this.#interval = Math.min(this.#interval * 2, MAX_CHECK_INTERVAL_MS);
      this.traffic();
      this.#o.log.debug(`Ping (${why}): ${this.#o.host} answered in ${this.#now() - started} ms`);
      // A server seen to start its answers at once, which just answered the pings, would have started
      // these reads: their connections died (the path came back, they did not).
      if (!this.#o.startsAnswersAtOnce?.()) return;
      const silence = this.#o.settings.probeAfterMs;
      lost = (watch) => watch.resendable && !watch.started && started - watch.createdAt >= silence;
      if (![...this.#watches].some(lost)) return;
      detail = "the server answers a ping at once, but has not even started this answer: its connection died";
    }
    this.#interval = this.#o.settings.probeAfterMs;
    const stalled = new TransportError(
      `The connection to ${this.#o.host} stalled (${why}, and ${detail}): the server may have run the ` +
        "request, so mcp-bridge does not send it again",
      { outcomeUnknown: true },
    );
    this.#o.log.warn(
      `The connection to ${this.#o.host} stalled (${why}, and ${detail}): dropping the open connections`,
    );
    this.#o.onSuspect("a ping went unanswered");
    for (const watch of [...this.#watches]) if (lost(watch)) watch.abort(stalled);
  }
}

/** The longest silence between two checks of a long call the server keeps vouching for. */
export const MAX_CHECK_INTERVAL_MS = 60_000;
