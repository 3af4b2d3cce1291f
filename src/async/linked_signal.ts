/**
 * A signal that aborts when any of several does, for the life of one request. `AbortSignal.any` does
 * the same for any lifetime, so the runtime tracks every dependent signal with weak references and a
 * finalization registry, which cost a request about 5 µs and 4 KB of garbage (measured: 13x what a
 * listener does, `bench/linked_signal_bench.ts`). A request knows when it is over: it links the
 * signals, and unlinks them when it ends, so that a long-lived signal (the transport's own) keeps no
 * listener of a finished request.
 *
 * @module
 */

/** The signal of {@linkcode linkSignals} and how to let go of its sources. */
export interface LinkedSignal {
  /** Aborts, with the same reason, when the first of the sources aborts. */
  readonly signal: AbortSignal;
  /** Removes the listeners from the sources (call it once the request is over; calling it again is harmless). */
  unlink(): void;
}

const NOTHING_TO_UNLINK = (): void => {};

/**
 * Links the signals given (an `undefined` is skipped).
 *
 * @example Usage
 * ```ts
 * import { linkSignals } from "./linked_signal.ts";
 * import assert from "node:assert/strict";
 *
 * const host = new AbortController();
 * const transport = new AbortController();
 * const linked = linkSignals([transport.signal, host.signal]);
 * host.abort("cancelled");
 * assert.equal(linked.signal.aborted, true);
 * assert.equal(linked.signal.reason, "cancelled");
 * linked.unlink();
 * ```
 *
 * @param sources The signals; at least one.
 * @returns The linked signal: the source itself when there is only one.
 */
export function linkSignals(sources: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const signals = sources.filter((s): s is AbortSignal => s !== undefined);
  if (signals.length === 0) throw new TypeError("Cannot link signals: none was given");
  if (signals.length === 1) return { signal: signals[0]!, unlink: NOTHING_TO_UNLINK };
  const controller = new AbortController();
  const first = signals.find((s) => s.aborted);
  if (first !== undefined) {
    controller.abort(first.reason);
    return { signal: controller.signal, unlink: NOTHING_TO_UNLINK };
  }
  let linked = true;
  const unlink = () => {
    if (!linked) return;
    linked = false;
    for (const s of signals) s.removeEventListener("abort", onAbort);
  };
  const onAbort = (event: Event) => {
    unlink();
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const s of signals) s.addEventListener("abort", onAbort);
  return { signal: controller.signal, unlink };
}

/**
 * The signals that end one request, linked only if something asks for one signal of them all: the
 * common request needs none (its one watch follows the host's signal, and the transport ends its watches
 * by itself), so it pays for no listener and no controller.
 */
export class LazyLink {
  #sources: readonly (AbortSignal | undefined)[];
  #linked: LinkedSignal | undefined;

  /**
   * Holds the signals; nothing is linked yet.
   *
   * @example Usage
   * ```ts
   * import { LazyLink } from "./linked_signal.ts";
   * import assert from "node:assert/strict";
   *
   * const transport = new AbortController();
   * const host = new AbortController();
   * const ends = new LazyLink([transport.signal, host.signal]);
   * assert.equal(ends.aborted(), undefined);
   * const signal = ends.signal!;
   * host.abort("cancelled");
   * assert.equal(ends.aborted(), host.signal);
   * assert.equal(signal.reason, "cancelled");
   * ends.unlink();
   * ```
   *
   * @param sources The signals, in the order {@linkcode LazyLink.aborted} looks at them (`undefined` skipped).
   */
  constructor(sources: readonly (AbortSignal | undefined)[]) {
    this.#sources = sources;
  }

  /**
   * The first source, in the order given, that has aborted; `undefined` while none has.
   *
   * @returns The aborted source.
   */
  aborted(): AbortSignal | undefined {
    for (const source of this.#sources) if (source?.aborted) return source;
    return undefined;
  }

  /**
   * One signal that aborts when the first source does ({@linkcode linkSignals}, on the first use): a source
   * itself when there is only one; `undefined` when there is none.
   */
  get signal(): AbortSignal | undefined {
    if (this.#linked === undefined) {
      if (!this.#sources.some((source) => source !== undefined)) return undefined;
      this.#linked = linkSignals(this.#sources);
    }
    return this.#linked.signal;
  }

  /** Removes the listeners a link added, if one was made (calling it again is harmless). */
  unlink(): void {
    this.#linked?.unlink();
  }
}
