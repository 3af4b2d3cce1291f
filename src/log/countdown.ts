/**
 * A spinner with the time left, drawn in place on a terminal while something is awaited (a
 * sign-in in the browser). The text is pure ({@linkcode countdownText}); {@linkcode startCountdown}
 * redraws it through the logger's status line, which does nothing when stderr is not a terminal.
 *
 * @module
 */

import type { Logger } from "./logger.ts";

/** The spinner's frames (Braille dots, one per redraw). */
export const SPINNER_FRAMES: readonly string[] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** How often the status line is redrawn. */
export const COUNTDOWN_INTERVAL_MS = 250;

/**
 * The status line for one redraw: a spinner frame, the text and the time left (`m:ss`).
 *
 * @example Usage
 * ```ts
 * import { countdownText } from "./countdown.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   countdownText("Waiting for the sign-in in the browser", 125_400, 1, "Ctrl-C cancels"),
 *   "⠙ Waiting for the sign-in in the browser: 2:06 left (Ctrl-C cancels)",
 * );
 * assert.equal(countdownText("Waiting", -5, 10), "⠋ Waiting: 0:00 left");
 * ```
 *
 * @param text What is awaited.
 * @param msLeft Milliseconds until the wait ends (negative counts as none).
 * @param tick The redraw number (selects the spinner frame).
 * @param hint An optional hint in parentheses.
 * @returns The line, without a line break.
 */
export function countdownText(text: string, msLeft: number, tick: number, hint?: string): string {
  const seconds = Math.max(0, Math.ceil(msLeft / 1000));
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  const frame = SPINNER_FRAMES[tick % SPINNER_FRAMES.length];
  return `${frame} ${text}: ${clock} left${hint ? ` (${hint})` : ""}`;
}

/** Options for {@linkcode startCountdown}. */
export interface CountdownOptions {
  /** What is awaited. */
  text: string;
  /** When the wait ends, in `now()` milliseconds. */
  deadline: number;
  /** An optional hint (`Ctrl-C cancels`). */
  hint?: string;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** The redraw interval (default {@linkcode COUNTDOWN_INTERVAL_MS}). */
  intervalMs?: number;
}

/**
 * Draws the countdown now and keeps redrawing it until the returned function is called, which
 * erases it. On anything but a terminal it draws nothing and starts no timer.
 *
 * @example Usage
 * ```ts
 * import { startCountdown } from "./countdown.ts";
 * import { Logger } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const log = new Logger({ level: "info", terminal: true, sink: { write: (l) => out.push(l) } });
 * const stop = startCountdown(log, { text: "Waiting", deadline: 61_000, now: () => 0 });
 * stop();
 * assert.deepEqual(out, ["\r\x1b[2K[mcp-bridge] ⠋ Waiting: 1:01 left", "\r\x1b[2K"]);
 * ```
 *
 * @param log The logger whose status line is used.
 * @param options The text, the deadline and the clock.
 * @returns A function that stops the countdown and erases its line.
 */
export function startCountdown(log: Logger, options: CountdownOptions): () => void {
  if (!log.statusShown) return () => {};
  const now = options.now ?? Date.now;
  let tick = 0;
  const draw = () => log.status(countdownText(options.text, options.deadline - now(), tick++, options.hint));
  draw();
  const timer = setInterval(draw, options.intervalMs ?? COUNTDOWN_INTERVAL_MS);
  // A countdown never keeps the process alive by itself.
  Deno.unrefTimer(timer);
  return () => {
    clearInterval(timer);
    log.status(undefined);
  };
}
