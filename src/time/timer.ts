/**
 * A timer that costs nothing at start-up: for the few timers on the bridge's start-up path and idle
 * clock (the connect deadline, the liveness tick).
 *
 * Deno loads its global timers lazily: the first touch of `setTimeout`, `setInterval` or
 * `clearTimeout` loads Node-compatible timer code, measured here at 9-11 ms and about 3 MiB resident
 * (`bench/RESULTS.md`, "Where the start-up goes"). `AbortSignal.timeout()` runs on the runtime's own
 * timer and costs about 0.5 ms. A timer started here:
 *
 * - never keeps the process alive (like `Deno.unrefTimer`): it is for deadlines of work that does;
 * - when cancelled, only forgets its callback: the runtime's timer stays until its time, so this is for
 *   a few timers of seconds, never one per message.
 *
 * @module
 */

/** A started timer. */
export interface Timer {
  /** Stops the timer: the callback will not run (idempotent). */
  cancel(): void;
}

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
 * @returns The timer, to cancel it.
 */
export function startTimer(ms: number, callback: () => void): Timer {
  const delay = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
  let live = true;
  const signal = AbortSignal.timeout(delay);
  const fire = () => {
    if (!live) return;
    live = false;
    callback();
  };
  signal.addEventListener("abort", fire, { once: true });
  return {
    cancel() {
      if (!live) return;
      live = false;
      signal.removeEventListener("abort", fire);
    },
  };
}
