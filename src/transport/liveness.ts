/**
 * When the bridge checks that the server can still be reached, with the spec's own mechanism only: a
 * JSON-RPC `ping` on a new connection. Pure: {@linkcode LivenessMonitor} does the timing and the I/O.
 *
 * - **Silence.** A request whose answer has sent nothing for `probeAfterMs` (a stalled connection looks
 *   exactly like a long tool call) triggers a ping. Answered within `probeTimeoutMs`: the server is there
 *   and the call goes on waiting, however long it takes. Not answered: the path is stalled (packets
 *   silently dropped while the sockets stay open), and the requests in flight fail or are resumed by the
 *   reconnection rules (`reconnect.ts`) instead of waiting for TCP's own timeouts.
 * - **Suspend and resume.** A gap in the wall clock between two ticks (the computer slept, the process was
 *   stopped) makes every open connection suspect at once: new requests use new connections, event
 *   streams are resumed, and a ping checks the server.
 * - **Keep-alive** (`--keep-alive`, `--ping-interval`): a ping after `pingIntervalMs` without traffic.
 *
 * @module
 */

/** The liveness settings. */
export interface LivenessSettings {
  /** Silence on an answer before a ping checks the server (`--stall-probe`; 0 turns it off). */
  probeAfterMs: number;
  /** How long the ping may take before the connection is declared stalled. */
  probeTimeoutMs: number;
  /** A ping after this long without traffic (`--keep-alive`, `--ping-interval`); `undefined`: none. */
  pingIntervalMs: number | undefined;
  /** How often the clock is read to find a suspend. */
  tickMs: number;
  /** A tick this much later than due means the computer slept or the process was stopped. */
  clockJumpMs: number;
}

/** The defaults: a ping after 5 s of silence, 10 s for its answer, no keep-alive, a 5 s clock jump. */
export const DEFAULT_LIVENESS: LivenessSettings = Object.freeze({
  probeAfterMs: 5_000,
  probeTimeoutMs: 10_000,
  pingIntervalMs: undefined,
  tickMs: 1_000,
  clockJumpMs: 5_000,
});

/** mcp-remote's keep-alive period (`--keep-alive` without `--ping-interval`). */
export const DEFAULT_PING_INTERVAL_MS = 30_000;

/** What the monitor knows at a tick. */
export interface LivenessState {
  /** The time of the last byte of the oldest-silent answer in flight, `undefined` when none is. */
  silentSince: number | undefined;
  /** When the last ping was answered (`-Infinity` before any). */
  lastProbeOk: number;
  /** When the last byte went to or came from the server. */
  lastTraffic: number;
  /** Whether a ping is out now. */
  probing: boolean;
}

/**
 * Whether the clock jumped between two ticks: the later one came `clockJumpMs` or more after it was due.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_LIVENESS, isClockJump } from "./liveness.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isClockJump(0, 1_200, DEFAULT_LIVENESS), false);
 * assert.equal(isClockJump(0, 60_000, DEFAULT_LIVENESS), true);
 * ```
 *
 * @param previousTick The wall-clock time of the previous tick (`Date.now()`).
 * @param now The wall-clock time now.
 * @param settings The tick period and the jump threshold.
 * @returns `true` after a suspend or a stop.
 */
export function isClockJump(previousTick: number, now: number, settings: LivenessSettings): boolean {
  return now - previousTick - settings.tickMs >= settings.clockJumpMs;
}

/**
 * Why a ping is due now, if one is: an answer silent for `probeAfterMs` since the last answered ping,
 * or no traffic for the keep-alive period.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_LIVENESS, probeDue } from "./liveness.ts";
 * import assert from "node:assert/strict";
 *
 * const quiet = { silentSince: 0, lastProbeOk: -Infinity, lastTraffic: 0, probing: false };
 * assert.equal(probeDue(quiet, 6_000, DEFAULT_LIVENESS), "silence");
 * assert.equal(probeDue({ ...quiet, silentSince: undefined }, 6_000, DEFAULT_LIVENESS), undefined);
 * ```
 *
 * @param state What the monitor knows.
 * @param now The time now.
 * @param settings The periods.
 * @returns `"silence"`, `"keep-alive"`, or `undefined`.
 */
export function probeDue(
  state: LivenessState,
  now: number,
  settings: LivenessSettings,
): "silence" | "keep-alive" | undefined {
  if (state.probing) return undefined;
  if (
    settings.probeAfterMs > 0 && state.silentSince !== undefined &&
    now - Math.max(state.silentSince, state.lastProbeOk) >= settings.probeAfterMs
  ) {
    return "silence";
  }
  if (
    settings.pingIntervalMs !== undefined &&
    now - Math.max(state.lastTraffic, state.lastProbeOk) >= settings.pingIntervalMs
  ) {
    return "keep-alive";
  }
  return undefined;
}
