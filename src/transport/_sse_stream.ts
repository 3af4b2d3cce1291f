/**
 * Reads an SSE response body event by event (private helper of the transports).
 *
 * @module
 */

import { BodyTooLargeError } from "../net/bounded_body.ts";
import { type SseEvent, SseEventTooLargeError, SseParser } from "./sse_parser.ts";
import { TransportError } from "./transport.ts";

/** The size limit of one event, and what the stream is (for the error past it). */
export interface SseLimit {
  /** The longest event accepted, in bytes (counted as characters of decoded text). */
  maxEventBytes: number;
  /** What the stream is: `the event stream of example.com`. */
  what: string;
}

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
 * `onEvent` failure is thrown, and so is an event past the limit (a {@linkcode TransportError}: the
 * stream is cancelled and nothing of the event is kept).
 *
 * @param body The response body.
 * @param onEvent Called for each event, in order; return `true` to stop reading early.
 * @param limit The size limit of one event.
 * @returns How the stream ended.
 */
export async function readSseEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: SseEvent) => Promise<boolean | void>,
  limit: SseLimit,
): Promise<SseReadOutcome> {
  const parser = new SseParser(limit.maxEventBytes);
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
      let dispatched: SseEvent[];
      try {
        dispatched = parser.push(decoder.decode(chunk.value, { stream: true }));
      } catch (e) {
        if (!(e instanceof SseEventTooLargeError)) throw e;
        const tooLarge = new BodyTooLargeError(`an event in ${limit.what}`, limit.maxEventBytes);
        throw new TransportError(
          `${tooLarge.message}: the stream was dropped; raise --max-message-size if the server is trusted`,
          { tooLarge: true },
        );
      }
      for (const event of dispatched) {
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
