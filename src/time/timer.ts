/**
 * A timer that costs nothing at start-up: for the few timers on the bridge's start-up path and idle
 * clock (the connect deadline, the liveness tick).
 *
 * Deno loads its global timers lazily: the first touch of `setTimeout`, `setInterval` or
 * `clearTimeout` loads Node-compatible timer code, measured here at 9-11 ms and about 3 MiB resident.
 * `AbortSignal.timeout()` runs on the runtime's own timer and costs about 0.5 ms. A timer started here:
 *
 * - keeps the process alive until it fires or is cancelled, like `setTimeout`; with `keepAlive: false` it
 *   does not, like `Deno.unrefTimer` (a clock that ticks for as long as other work runs);
 * - when cancelled, only lets go of its callback: the runtime's timer stays until its time (without
 *   holding the process), so this is for a few timers of seconds, never one per message.
 *
 * @module
 */

/** A started timer. */
export interface Timer {
  /** Stops the timer: the callback will not run (idempotent). */
  cancel(): void;
}

/** Options for {@linkcode startTimer}. */
export interface TimerOptions {
  /** Whether the pending timer keeps the process alive, as `setTimeout` does (default `true`). */
  keepAlive?: boolean;
}

// Deno's AbortSignal holds the process open while a timeout signal has an "abort" listener added
// through its own addEventListener, and lets go when the listener is removed. EventTarget's methods add
// the listener without that: the timer then holds nothing (tests/time/timer_test.ts checks both ways).
const addPlainListener = EventTarget.prototype.addEventListener;
const removePlainListener = EventTarget.prototype.removeEventListener;

/**
 * Runs `callback` once, after `ms` milliseconds, unless cancelled first.
 *
 * @example Usage
 * ```ts
 * import { startTimer } from "./timer.ts";
 * import assert from "node:assert/strict";
 *
 * let fired = false;
 * const timer = startTimer(10, () => (fired = true));
 * timer.cancel();
 * await new Promise((resolve) => startTimer(20, () => resolve(undefined)));
 * assert.equal(fired, false);
 * ```
 *
 * @param ms The delay (negative or not finite: at once, on the next turn of the event loop).
 * @param callback What to run.
 * @param options Whether it keeps the process alive.
 * @returns The timer, to cancel it.
 */
export function startTimer(ms: number, callback: () => void, options: TimerOptions = {}): Timer {
  const delay = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
  const keepAlive = options.keepAlive ?? true;
  let live = true;
  const signal = AbortSignal.timeout(delay);
  const fire = () => {
    if (!live) return;
    live = false;
    callback();
  };
  if (keepAlive) signal.addEventListener("abort", fire, { once: true });
  else addPlainListener.call(signal, "abort", fire, { once: true });
  return {
    cancel() {
      if (!live) return;
      live = false;
      if (keepAlive) signal.removeEventListener("abort", fire);
      else removePlainListener.call(signal, "abort", fire);
    },
  };
}
