/**
 * Reads an SSE response body event by event (private helper of the transports).
 *
 * @module
 */

import { BodyTooLargeError } from "../net/bounded_body.ts";
import { openByteReader } from "../net/byte_reader.ts";
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
  /** How many events with data arrived (an empty priming event is not progress). */
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
  // One buffer for every read of a fetch body: the bytes of a read are only valid until the next one, so
  // what waits for the rest of its event is copied.
  const reader = openByteReader(body);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let tail: number[] = [];
  /** Decodes what waited, then `last`, and forgets what waited. */
  const takePending = (last?: Uint8Array): string => {
    let text = "";
    for (const part of pending) text += decoder.decode(part, { stream: true });
    if (last) text += decoder.decode(last, { stream: true });
    pending = [];
    pendingBytes = 0;
    return text;
  };
  let events = 0;
  let error: unknown;
  let finished = false;
  try {
    while (true) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await reader.read();
      } catch (e) {
        error = e;
        break;
      }
      if (bytes === undefined) {
        finished = true;
        break;
      }
      if (bytes.byteLength === 0) continue;
      // The bytes after the last complete event wait undecoded (outside the JavaScript heap) until
      // their event ends: an event refused at the limit never costs more than the limit.
      const end = lastEventEnd(bytes, tail);
      tail = trailingBreaks(tail, bytes);
      if (end === -1) {
        pending.push(bytes.slice());
        pendingBytes += bytes.byteLength;
        if (pendingBytes + parser.bufferedChars > limit.maxEventBytes) throw tooLarge(limit);
        continue;
      }
      const text = takePending(end === bytes.byteLength ? bytes : bytes.subarray(0, end));
      if (end < bytes.byteLength) {
        pending.push(bytes.slice(end));
        pendingBytes += bytes.byteLength - end;
      }
      let dispatched: SseEvent[];
      try {
        dispatched = parser.push(text);
      } catch (e) {
        if (!(e instanceof SseEventTooLargeError)) throw e;
        throw tooLarge(limit);
      }
      for (const event of dispatched) {
        if (event.data !== "") events++;
        if (await onEvent(event)) {
          return { events, lastEventId: parser.lastEventId, retry: clampRetry(parser.retry), error };
        }
      }
    }
  } finally {
    if (!finished) await reader.cancel();
  }
  // Lines that came after the last event still count (a `retry` field); an unfinished event does not.
  if (pendingBytes > 0) {
    try {
      parser.push(takePending());
    } catch {
      // An unfinished event past the limit: nothing of it counts anyway.
    }
  }
  return { events, lastEventId: parser.lastEventId, retry: clampRetry(parser.retry), error };
}

/** The shortest and longest reconnection wait a server's `retry` field may ask for. */
export const RETRY_BOUNDS_MS = [250, 60_000] as const;

function clampRetry(retry: number | undefined): number | undefined {
  return retry === undefined ? undefined : Math.min(Math.max(retry, RETRY_BOUNDS_MS[0]), RETRY_BOUNDS_MS[1]);
}

const LF = 0x0a;
const CR = 0x0d;

/** How many line breaks a run of CR and LF bytes holds (CR LF is one). */
function breaksIn(run: readonly number[]): number {
  let breaks = 0;
  for (let k = 0; k < run.length; k++) {
    if (!(run[k] === LF && k > 0 && run[k - 1] === CR)) breaks++;
  }
  return breaks;
}

/** The line-break bytes at the end of the stream so far (at most four, enough to see a blank line). */
function trailingBreaks(before: readonly number[], bytes: Uint8Array): number[] {
  let k = bytes.byteLength;
  while (k > 0 && (bytes[k - 1] === LF || bytes[k - 1] === CR) && bytes.byteLength - k < 4) k--;
  const own = [...bytes.subarray(k)];
  return k === 0 ? [...before, ...own].slice(-4) : own;
}

/**
 * The index just past the last blank line in `bytes` (the end of the last complete event), or -1.
 *
 * @param bytes A chunk of the stream.
 * @param before The line-break bytes that ended the stream before this chunk (a run of line breaks
 *   may be split between chunks).
 */
export function lastEventEnd(bytes: Uint8Array, before: readonly number[]): number {
  let i = Math.max(bytes.lastIndexOf(LF), bytes.lastIndexOf(CR));
  while (i >= 0) {
    let j = i;
    while (j > 0 && (bytes[j - 1] === LF || bytes[j - 1] === CR)) j--;
    const run = [...(j === 0 ? before : []), ...bytes.subarray(j, i + 1)];
    if (breaksIn(run) >= 2) return i + 1;
    if (j === 0) return -1;
    i = Math.max(bytes.lastIndexOf(LF, j - 1), bytes.lastIndexOf(CR, j - 1));
  }
  return -1;
}

function tooLarge(limit: SseLimit): TransportError {
  const error = new BodyTooLargeError(`an event in ${limit.what}`, limit.maxEventBytes);
  return new TransportError(
    `${error.message}: the stream was dropped; raise --max-message-size if the server is trusted`,
    { tooLarge: true },
  );
}
