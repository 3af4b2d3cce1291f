/**
 * Server-sent events framing, as the WHATWG HTML standard defines the `text/event-stream` format.
 * Pure: text goes in, events come out; no sockets.
 *
 * @module
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event` field, `"message"` when absent. */
  event: string;
  /** The `data` lines joined with `\n`. */
  data: string;
  /** The last event id seen on the stream (set by this or an earlier event), `""` when none. */
  id: string;
  /** Whether this very event carried an `id` field. */
  hasId: boolean;
}

/** One event (or one line) grew past the parser's limit. */
export class SseEventTooLargeError extends Error {
  /** The limit, in characters of decoded text. */
  readonly limit: number;
  /** @param limit The limit, in characters of decoded text. */
  constructor(limit: number) {
    super(`An event is longer than ${limit} characters`);
    this.name = "SseEventTooLargeError";
    this.limit = limit;
  }
}

/** An incremental parser for a `text/event-stream` body. */
export class SseParser {
  #max: number;
  #partial: string[] = [];
  #partialChars = 0;
  #dataChars = 0;
  #pendingCr = false;
  #data: string[] = [];
  #event = "";
  #eventHasId = false;
  #idBuffer = "";
  /** The stream's last event id, kept across events as the standard says. */
  lastEventId = "";
  /** The reconnection time in milliseconds from the last valid `retry` field, if any. */
  retry: number | undefined = undefined;

  /**
   * Creates a parser.
   *
   * @example Usage
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser(8);
   * assert.throws(() => parser.push("data: far too long"), /longer than 8 characters/);
   * ```
   *
   * @param maxEventChars The longest event (its data lines together, or any one line) accepted; past
   *   it {@linkcode SseParser.push} throws {@linkcode SseEventTooLargeError}, having kept nothing more.
   */
  constructor(maxEventChars: number = Infinity) {
    this.#max = maxEventChars;
  }

  /**
   * Feeds decoded text and returns the events it completes.
   *
   * @example Usage
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser();
   * assert.deepEqual(parser.push("data: a\n"), []);
   * const [event] = parser.push("\n");
   * assert.equal(event?.data, "a");
   * ```
   *
   * @param chunk The next piece of the body, already decoded as UTF-8.
   * @returns The events dispatched by this chunk, in order.
   */
  push(chunk: string): SseEvent[] {
    const events: SseEvent[] = [];
    if (chunk === "") return events;
    let text = chunk;
    if (this.#pendingCr) {
      // A CR ended the previous chunk: a LF right after it belongs to the same line break.
      this.#pendingCr = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    // Only the new text is scanned for line breaks, so a 1 MiB line arriving in many chunks costs
    // linear time; the unfinished line is kept as parts and joined once.
    let start = 0;
    let cr = text.indexOf("\r");
    while (start < text.length) {
      const lf = text.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr >= start && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < text.length) {
          next = text[cr + 1] === "\n" ? cr + 2 : cr + 1;
        } else {
          this.#pendingCr = true;
          next = cr + 1;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      const piece = text.slice(start, end);
      if (this.#partial.length > 0) {
        this.#partial.push(piece);
        this.#partialChars += piece.length;
        this.#check();
        this.#line(this.#partial.join(""), events);
        this.#partial = [];
        this.#partialChars = 0;
      } else {
        this.#line(piece, events);
      }
      start = next;
    }
    if (start < text.length) {
      this.#partial.push(text.slice(start));
      this.#partialChars += text.length - start;
      this.#check();
    }
    return events;
  }

  /**
   * Ends the stream. An event not terminated by a blank line is discarded, as the standard says.
   *
   * @example Usage
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser();
   * parser.push("data: unfinished");
   * parser.end();
   * assert.equal(parser.lastEventId, "");
   * ```
   */
  end(): void {
    this.#partial = [];
    this.#partialChars = 0;
    this.#data = [];
    this.#dataChars = 0;
    this.#event = "";
    this.#eventHasId = false;
    this.#idBuffer = this.lastEventId;
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === "") {
      this.#dispatch(events);
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
    }
    switch (field) {
      case "data":
        this.#data.push(value);
        this.#dataChars += value.length + 1;
        this.#check();
        break;
      case "event":
        this.#event = value;
        break;
      case "id":
        if (!value.includes("\0")) {
          // The buffer becomes the stream's last event id only when the event is dispatched, so
          // an event cut off mid-way is never named in a Last-Event-ID.
          this.#idBuffer = value;
          this.#eventHasId = true;
        }
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }

  #dispatch(events: SseEvent[]): void {
    this.lastEventId = this.#idBuffer;
    const hasId = this.#eventHasId;
    this.#eventHasId = false;
    if (this.#data.length === 0) {
      this.#event = "";
      return;
    }
    events.push({
      event: this.#event || "message",
      data: this.#data.join("\n"),
      id: this.lastEventId,
      hasId,
    });
    this.#data = [];
    this.#dataChars = 0;
    this.#event = "";
  }

  /**
   * Whether the parser holds nothing of an event: no unfinished line, no data line, no line break cut in two.
   * What follows is then the start of an event, as far as the parser knows.
   *
   * @example Usage
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser();
   * parser.push("data: a\n");
   * assert.equal(parser.idle, false);
   * parser.push("\n");
   * assert.equal(parser.idle, true);
   * ```
   */
  get idle(): boolean {
    return this.#partial.length === 0 && !this.#pendingCr && this.#data.length === 0;
  }

  /**
   * Ends an event whose one data line the caller holds itself (its bytes were never given to the parser):
   * the fields pushed since the last event (`event`, `id`) apply to it, as the blank line after that data
   * line would have made them. Call it only when {@linkcode SseParser.idle} was true before those fields and
   * they added no data ({@linkcode SseParser.bufferedChars} is 0).
   *
   * @example Usage
   * ```ts
   * import { SseParser } from "./sse_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new SseParser();
   * parser.push("event: message\nid: 7\n");
   * assert.deepEqual(parser.dispatchHeld(), { event: "message", id: "7", hasId: true });
   * assert.equal(parser.lastEventId, "7");
   * ```
   *
   * @returns The event's type and id, as {@linkcode SseEvent} has them.
   */
  dispatchHeld(): Omit<SseEvent, "data"> {
    // A CR that ended the last field was followed by the data line, not a LF: it ended its line alone.
    this.#pendingCr = false;
    this.lastEventId = this.#idBuffer;
    const held = { event: this.#event || "message", id: this.lastEventId, hasId: this.#eventHasId };
    this.#eventHasId = false;
    this.#event = "";
    return held;
  }

  /** How much of an unfinished event (and line) is held, in characters. */
  get bufferedChars(): number {
    return this.#partialChars + this.#dataChars;
  }

  #check(): void {
    if (this.#partialChars + this.#dataChars <= this.#max) return;
    this.end();
    throw new SseEventTooLargeError(this.#max);
  }
}
