/**
 * Reads an SSE response body event by event (private helper of the transports).
 *
 * @module
 */

import { BodyTooLargeError } from "../net/bounded_body.ts";
import { openByteReader } from "../net/byte_reader.ts";
import { GatheredBytes } from "../net/gathered_bytes.ts";
import { type SseEvent, SseEventTooLargeError, SseParser } from "./sse_parser.ts";
import { TransportError } from "./transport.ts";

/** The size limit of one event, and what the stream is (for the error past it). */
export interface SseLimit {
  /** The longest event accepted, in bytes (counted as characters of decoded text). */
  maxEventBytes: number;
  /** What the stream is: `the event stream of example.com`. */
  what: string;
}

/** An event as the reader gives it. */
export interface StreamEvent extends SseEvent {
  /** With `bytes` asked for, a large one-line data as its bytes (not checked to be UTF-8; `data` is empty then), valid until `onEvent` settles. */
  bytes?: Uint8Array;
}

/** Which events come as bytes. */
export interface SseReadOptions {
  /**
   * Give the data of events of at least {@linkcode BYTES_EVENT_MIN} bytes as bytes (`StreamEvent.bytes`),
   * when their data is one line (default: never; every event comes as text).
   */
  bytes?: boolean;
}

/** The smallest event given as bytes (smaller ones cost little as text). */
export const BYTES_EVENT_MIN = 64 * 1024;
/** The largest event gathered for the bytes path; a larger one goes on as text (and may meet the limit). */
export const BYTES_EVENT_MAX = 8 * 1024 * 1024;

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
 * A large event (past {@linkcode BYTES_EVENT_MIN}) is gathered in one reused buffer, not as a copy of each
 * read; with `options.bytes`, its data then goes to `onEvent` as those bytes when it is one `data` line.
 *
 * @param body The response body.
 * @param onEvent Called for each event, in order; return `true` to stop reading early.
 * @param limit The size limit of one event.
 * @param options Which events come as bytes.
 * @returns How the stream ended.
 */
export async function readSseEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: StreamEvent) => Promise<boolean | void>,
  limit: SseLimit,
  options: SseReadOptions = {},
): Promise<SseReadOutcome> {
  const parser = new SseParser(limit.maxEventBytes);
  // Decoding by hand (rather than piping through a TextDecoderStream) saves a stream per response.
  // Only a byte order mark at the very start is dropped (WHATWG): Deno's decoder drops the first it meets at
  // the start of any `decode` call.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let atStart = true;
  const decode = (bytes: Uint8Array): string => {
    let text = decoder.decode(bytes, { stream: true });
    if (atStart && text !== "") {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  };
  // One buffer for every read of a fetch body: the bytes of a read are only valid until the next one, so
  // what waits for the rest of its event is copied.
  const reader = openByteReader(body);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let tail: number[] = [];
  /** Decodes what waited, then `last`, and forgets what waited. */
  const takePending = (last?: Uint8Array): string => {
    let text = "";
    for (const part of pending) text += decode(part);
    if (last) text += decode(last);
    pending = [];
    pendingBytes = 0;
    return text;
  };
  let events = 0;
  let error: unknown;
  let finished = false;
  // A large event in the making, from its first byte (the bytes before it were decoded already).
  let large: GatheredBytes | undefined;
  /** Hands the dispatched events to `onEvent`; `true` when it asked to stop. */
  const deliver = async (dispatched: StreamEvent[]): Promise<boolean> => {
    for (const event of dispatched) {
      if (event.data !== "" || event.bytes !== undefined) events++;
      if (await onEvent(event)) return true;
    }
    return false;
  };
  const push = (text: string): SseEvent[] => {
    try {
      return parser.push(text);
    } catch (e) {
      if (!(e instanceof SseEventTooLargeError)) throw e;
      throw tooLarge(limit);
    }
  };
  const stop = () => ({ events, lastEventId: parser.lastEventId, retry: clampRetry(parser.retry), error });
  /** The stream ended: what was gathered of an unfinished event waits with the rest (a `retry` in it counts). */
  const ungather = () => {
    if (large === undefined) return;
    pending.push(large.bytes().slice());
    pendingBytes += large.length;
    large.release();
    large = undefined;
  };
  try {
    while (true) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await reader.read();
      } catch (e) {
        error = e;
        ungather();
        break;
      }
      if (bytes === undefined) {
        finished = true;
        ungather();
        break;
      }
      if (bytes.byteLength === 0) continue;
      // The bytes after the last complete event wait undecoded (outside the JavaScript heap) until
      // their event ends: an event refused at the limit never costs more than the limit.
      const end = lastEventEnd(bytes, tail);
      tail = trailingBreaks(tail, bytes);
      if (end === -1) {
        if (
          large === undefined && pendingBytes < BYTES_EVENT_MIN &&
          pendingBytes + bytes.byteLength >= BYTES_EVENT_MIN
        ) {
          // Large: from now on in one reused buffer (what waited goes in first).
          large = new GatheredBytes(2 * BYTES_EVENT_MIN);
          for (const part of pending) large.push(part);
          pending = [];
          pendingBytes = 0;
        }
        // Too large to gather: on as copies, to be decoded (and measured against the limit) as text.
        if (large !== undefined && large.length + bytes.byteLength > BYTES_EVENT_MAX) ungather();
        if (large !== undefined) large.push(bytes);
        else {
          pending.push(bytes.slice());
          pendingBytes += bytes.byteLength;
        }
        if ((large?.length ?? 0) + pendingBytes + parser.bufferedChars > limit.maxEventBytes) {
          throw tooLarge(limit);
        }
        continue;
      }
      let text: string;
      // Past the most with the read that ends it: as text.
      if (large !== undefined && large.length + end > BYTES_EVENT_MAX) ungather();
      if (large !== undefined) {
        large.push(bytes.subarray(0, end));
        const gathered = large;
        large = undefined;
        try {
          // Loaded with the first large event that may come as bytes: not on the start-up path.
          const held = options.bytes
            ? (await import("./_held_data_line.ts")).heldDataLine(gathered.bytes())
            : undefined;
          if (held !== undefined && parser.idle) {
            // The limit, as the parser counts it (the read that ends an event is not measured above).
            if (held.dataEnd - held.dataStart + 1 > limit.maxEventBytes) throw tooLarge(limit);
            // The fields before the data line (and the data line's name) go through the decoder and the
            // parser as text; the data itself goes as bytes.
            const fields = decode(gathered.bytes().subarray(0, held.dataStart));
            const name = fields.slice(fields.length - held.nameLength);
            const dispatched = push(fields.slice(0, fields.length - held.nameLength));
            if (dispatched.length === 0 && parser.bufferedChars === 0) {
              const event: StreamEvent = {
                ...parser.dispatchHeld(),
                data: "",
                bytes: gathered.bytes().subarray(held.dataStart, held.dataEnd),
              };
              // What came after the event in the same read is decoded before the buffer goes back.
              text = decode(gathered.bytes().subarray(held.next));
              if (await deliver([event])) return stop();
            } else {
              // The fields held data after all (a `data` line behind a byte order mark): the rest as text.
              text = name + decode(gathered.bytes().subarray(held.dataStart));
              if (await deliver(dispatched)) return stop();
            }
          } else {
            text = decode(gathered.bytes());
          }
        } finally {
          gathered.release();
        }
      } else {
        text = takePending(end === bytes.byteLength ? bytes : bytes.subarray(0, end));
      }
      if (end < bytes.byteLength) {
        pending.push(bytes.slice(end));
        pendingBytes += bytes.byteLength - end;
      }
      if (await deliver(push(text))) return stop();
    }
  } finally {
    large?.release();
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
