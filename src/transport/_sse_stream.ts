/**
 * Reads an SSE response body event by event (private helper of the transports).
 *
 * @module
 */

import { type SseEvent, SseParser } from "./sse_parser.ts";

/** How a stream ended. */
export interface SseReadOutcome {
  /** How many events (including empty priming events) arrived. */
  events: number;
  /** The last event id seen, `""` when none. */
  lastEventId: string;
  /** The last `retry` value, in milliseconds. */
  retry: number | undefined;
  /** The read error that cut the stream, if it did not end cleanly. */
  error: unknown;
}

/**
 * Reads events until the body ends, calling `onEvent` for each and awaiting it (backpressure).
 * A network failure while reading ends the read; it is reported in the outcome, not thrown. An
 * `onEvent` failure is thrown.
 *
 * @param body The response body.
 * @param onEvent Called for each event, in order; return `true` to stop reading early.
 * @returns How the stream ended.
 */
export async function readSseEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: SseEvent) => Promise<boolean | void>,
): Promise<SseReadOutcome> {
  const parser = new SseParser();
  // Decoding by hand (rather than piping through a TextDecoderStream) saves a stream per response.
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let events = 0;
  let error: unknown;
  let finished = false;
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        error = e;
        break;
      }
      if (chunk.done) {
        finished = true;
        break;
      }
      for (const event of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        events++;
        if (await onEvent(event)) {
          return { events, lastEventId: parser.lastEventId, retry: parser.retry, error };
        }
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
  return { events, lastEventId: parser.lastEventId, retry: parser.retry, error };
}
