/**
 * Runs the bridge on the process's stdio until the host goes away: stdin EOF, SIGINT or SIGTERM.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { startTimer } from "../time/timer.ts";
import { type ByteReader, readLines } from "../stdio/line_reader.ts";
import type { LineWriter } from "../stdio/stdout_writer.ts";
import type { Bridge } from "./bridge.ts";

/** Options for {@linkcode serveStdio}. */
export interface ServeStdioOptions {
  /** The router. */
  bridge: Bridge;
  /** The host's stdin. */
  stdin: ReadableStream<Uint8Array> | ByteReader;
  /** The host's stdout writer (flushed before exit). */
  out: LineWriter;
  /** The logger. */
  log: Logger;
  /** The whole shutdown must fit in this many milliseconds. */
  shutdownBudgetMs?: number;
  /** Called as soon as shutdown starts (to cancel a sign-in in progress). */
  onStop?: () => void;
}

/** How long after the start the bridge listens to SIGINT and SIGTERM at the latest (sooner once it answered). */
export const SIGNALS_AFTER_MS = 100;

function onSignals(handler: (signal: string) => void): () => void {
  const removers: (() => void)[] = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const listener = () => handler(signal);
    try {
      Deno.addSignalListener(signal, listener);
      removers.push(() => Deno.removeSignalListener(signal, listener));
    } catch {
      // SIGTERM cannot be listened to on Windows.
    }
  }
  return () => removers.forEach((remove) => remove());
}

/**
 * Reads host lines into the bridge until the host goes away, then shuts down within the budget:
 * in-flight sends are abandoned, the session is deleted, stdout is flushed.
 *
 * @example Usage
 * ```ts
 * import { serveStdio } from "./serve_stdio.ts";
 * import { Bridge } from "./bridge.ts";
 * import { ToolFilter } from "./tool_filter.ts";
 * import { Logger } from "../log/logger.ts";
 * import { LineWriter } from "../stdio/stdout_writer.ts";
 * import { parseMessage } from "../jsonrpc/message.ts";
 * import assert from "node:assert/strict";
 *
 * const written: string[] = [];
 * const out = new LineWriter(new WritableStream({ write: (chunk) => void written.push(new TextDecoder().decode(chunk)) }));
 * const log = new Logger({ level: "error" });
 * const bridge: Bridge = new Bridge({
 *   // A transport that answers every request at once with an empty result.
 *   transport: {
 *     kind: "in-process",
 *     send: async (_text, envelope) => {
 *       if (envelope.kind !== "request") return;
 *       const answer = JSON.stringify({ jsonrpc: "2.0", id: envelope.id, result: {} });
 *       await bridge.fromServer(answer, parseMessage(answer));
 *     },
 *     close: () => Promise.resolve(),
 *   },
 *   out,
 *   log,
 *   filter: new ToolFilter([], []),
 * });
 * const stdin = ReadableStream.from([new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"ping"}\n')]);
 * assert.equal(await serveStdio({ bridge, stdin, out, log }), 0);
 * assert.deepEqual(JSON.parse(written.join("")), { jsonrpc: "2.0", id: 1, result: {} });
 * ```
 *
 * @param options The bridge and the streams.
 * @returns The exit code (0).
 */
export async function serveStdio(options: ServeStdioOptions): Promise<number> {
  const { bridge, log } = options;
  let stop!: (why: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  // The first use of signals costs about 1 ms: they are listened to once the host's first message has been
  // answered, or after SIGNALS_AFTER_MS, whichever comes first, and not before that message leaves. Until then
  // a signal ends the process at once, as it would any program: nothing of the bridge's needs ending yet.
  let removeSignals: (() => void) | undefined;
  let stopping = false;
  const listen = () => {
    if (removeSignals === undefined && !stopping) {
      removeSignals = onSignals((signal) => stop(`received ${signal}`));
    }
  };
  const listenLater = startTimer(SIGNALS_AFTER_MS, listen, { keepAlive: false });
  const reading = (async () => {
    let first = true;
    for await (const line of readLines(options.stdin)) {
      await bridge.fromHost(line);
      if (first) {
        first = false;
        void bridge.drain().then(listen);
      }
    }
    stop("stdin closed");
  })().catch((error) => stop(`stdin failed: ${(error as Error).message}`));
  const why = await stopped;
  stopping = true;
  listenLater.cancel();
  removeSignals?.();
  options.onStop?.();
  log.debug(`Shutting down: ${why}`);
  const budget = options.shutdownBudgetMs ?? 900;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    (async () => {
      // After EOF a piped host may still read stdout: give answers already under way a moment.
      if (why === "stdin closed" && bridge.pendingCount > 0) {
        let grace: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          bridge.drain(),
          new Promise((resolve) => (grace = setTimeout(resolve, budget / 2))),
        ]);
        clearTimeout(grace);
      }
      await bridge.close(why);
      await options.out.flush();
    })().catch((error) => log.debug(`Shutdown: ${(error as Error).message}`)),
    new Promise((resolve) => (timer = setTimeout(resolve, budget))),
  ]);
  clearTimeout(timer);
  void reading;
  return 0;
}
