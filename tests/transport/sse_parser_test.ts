import assert from "node:assert/strict";
import { type SseEvent, SseParser } from "../../src/transport/sse_parser.ts";

function parseAll(chunks: readonly string[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  return events;
}

function message(data: string, id = "", hasId = false, event = "message"): SseEvent {
  return { event, data, id, hasId };
}

Deno.test("SseParser dispatches an event at a blank line, not before", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("data: a\n"), []);
  assert.deepEqual(parser.push("\n"), [message("a")]);
});

Deno.test("SseParser splits lines at LF", () => {
  assert.deepEqual(parseAll(["data: a\n\ndata: b\n\n"]), [message("a"), message("b")]);
});

Deno.test("SseParser splits lines at CRLF", () => {
  assert.deepEqual(parseAll(["data: a\r\n\r\ndata: b\r\n\r\n"]), [message("a"), message("b")]);
});

Deno.test("SseParser splits lines at a lone CR", () => {
  assert.deepEqual(parseAll(["data: a\r\rdata: b\r\r"]), [message("a"), message("b")]);
});

Deno.test("SseParser handles mixed line endings in one stream", () => {
  assert.deepEqual(parseAll(["data: a\rdata: b\r\ndata: c\n\r\n"]), [message("a\nb\nc")]);
});

Deno.test("SseParser treats a CR ending one chunk and a LF starting the next as one line break", () => {
  assert.deepEqual(parseAll(["data: a\r", "\ndata: b\r", "\n\r", "\n"]), [message("a\nb")]);
});

Deno.test("SseParser treats a CR ending one chunk followed by other text as a line break", () => {
  assert.deepEqual(parseAll(["data: a\r", "data: b\r", "\r"]), [message("a\nb")]);
});

Deno.test("SseParser treats CR then a blank LF line in the next chunk as two line breaks only once", () => {
  // "\r" + "\n" is one break; the following "\n" is the blank line.
  assert.deepEqual(parseAll(["data: a\r", "\n", "\n"]), [message("a")]);
});

Deno.test("SseParser joins multi-line data with LF", () => {
  assert.deepEqual(parseAll(["data: one\ndata: two\ndata:\ndata: three\n\n"]), [
    message("one\ntwo\n\nthree"),
  ]);
});

Deno.test("SseParser removes exactly one space after the colon", () => {
  assert.deepEqual(parseAll(["data:a\n\ndata:  b \n\n"]), [message("a"), message(" b ")]);
});

Deno.test("SseParser keeps colons inside the value", () => {
  assert.deepEqual(parseAll(['data: {"a":"b:c"}\n\n']), [message('{"a":"b:c"}')]);
});

Deno.test("SseParser ignores comment lines", () => {
  assert.deepEqual(parseAll([": keep-alive\ndata: a\n:another\n\n:\n\n"]), [message("a")]);
});

Deno.test("SseParser ignores unknown fields and field names that differ in case", () => {
  assert.deepEqual(parseAll(["foo: bar\nData: x\nDATA: y\ndata: a\n\n"]), [message("a")]);
});

Deno.test("SseParser uses the event field as the event name and resets it after dispatch", () => {
  assert.deepEqual(parseAll(["event: endpoint\ndata: /messages?s=1\n\ndata: b\n\n"]), [
    message("/messages?s=1", "", false, "endpoint"),
    message("b"),
  ]);
});

Deno.test("SseParser names an event with an empty event field message", () => {
  assert.deepEqual(parseAll(["event:\ndata: a\n\n"]), [message("a")]);
});

Deno.test("SseParser discards the event name of an event without data", () => {
  assert.deepEqual(parseAll(["event: ping\n\ndata: a\n\n"]), [message("a")]);
});

Deno.test("SseParser dispatches a data line without a colon as empty data", () => {
  assert.deepEqual(parseAll(["data\n\n"]), [message("")]);
});

Deno.test('SseParser dispatches an empty data priming event with data ""', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("id: prime-1\ndata:\n\n"), [message("", "prime-1", true)]);
  assert.equal(parser.lastEventId, "prime-1");
});

Deno.test("SseParser does not dispatch a blank line with no data", () => {
  assert.deepEqual(parseAll(["\n\n\n"]), []);
});

Deno.test("SseParser keeps the last event id across events", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("id: 1\ndata: a\n\ndata: b\n\n"), [
    message("a", "1", true),
    message("b", "1", false),
  ]);
  assert.equal(parser.lastEventId, "1");
  assert.deepEqual(parser.push("id: 2\ndata: c\n\n"), [message("c", "2", true)]);
  assert.equal(parser.lastEventId, "2");
});

Deno.test("SseParser resets the last event id with an empty id field", () => {
  const parser = new SseParser();
  parser.push("id: 1\ndata: a\n\n");
  assert.deepEqual(parser.push("id\ndata: b\n\n"), [message("b", "", true)]);
  assert.equal(parser.lastEventId, "");
});

Deno.test("SseParser keeps an id from an event without data", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("id: 5\n\n"), []);
  assert.equal(parser.lastEventId, "5");
  assert.deepEqual(parser.push("data: a\n\n"), [message("a", "5", false)]);
});

Deno.test("SseParser ignores an id field containing NUL", () => {
  const parser = new SseParser();
  parser.push("id: 1\ndata: a\n\n");
  assert.deepEqual(parser.push("id: 2\0x\ndata: b\n\n"), [message("b", "1", false)]);
  assert.equal(parser.lastEventId, "1");
});

Deno.test("SseParser reads a retry field of digits only", () => {
  const parser = new SseParser();
  assert.equal(parser.retry, undefined);
  parser.push("retry: 3000\n\n");
  assert.equal(parser.retry, 3000);
  parser.push("retry: 0\n");
  assert.equal(parser.retry, 0);
});

Deno.test("SseParser ignores a retry field that is not digits only", () => {
  const parser = new SseParser();
  parser.push("retry: 1500\n");
  for (const value of ["1.5", "-1", "abc", "10s", "  20", "20 ", "", "1e3", "+5"]) {
    parser.push(`retry:${value}\n`);
    assert.equal(parser.retry, 1500, JSON.stringify(value));
  }
});

Deno.test("SseParser does not dispatch an event for a retry field alone", () => {
  assert.deepEqual(parseAll(["retry: 10\n\n"]), []);
});

Deno.test("SseParser.end() discards an unterminated event", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("event: x\ndata: unfinished\n"), []);
  parser.end();
  assert.deepEqual(parser.push("\n"), []);
  assert.deepEqual(parser.push("data: next\n\n"), [message("next")]);
});

Deno.test("SseParser.end() discards an unterminated line", () => {
  const parser = new SseParser();
  parser.push("data: a\n\ndata: partial");
  parser.end();
  assert.deepEqual(parser.push("\n\n"), []);
});

Deno.test("SseParser.end() keeps the last event id and retry of dispatched events", () => {
  const parser = new SseParser();
  parser.push("id: 9\nretry: 100\ndata: a\n\n");
  parser.end();
  assert.equal(parser.lastEventId, "9");
  assert.equal(parser.retry, 100);
});

Deno.test({
  name: "SseParser.lastEventId ignores the id of an event cut off before its blank line",
  fn() {
    const parser = new SseParser();
    assert.deepEqual(parser.push("id: 1\ndata: a\n\nid: 2\ndata: b\n"), [message("a", "1", true)]);
    parser.end();
    assert.equal(parser.lastEventId, "1");
  },
});

Deno.test({
  name: 'SseParser.push("") between a CR and its LF changes nothing',
  fn() {
    assert.deepEqual(parseAll(["data: a\r", "", "\ndata: b\r\n\r\n"]), [message("a\nb")]);
  },
});

Deno.test('SseParser.push("") dispatches nothing', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push(""), []);
  parser.push("data: a\n");
  assert.deepEqual(parser.push(""), []);
  assert.deepEqual(parser.push("\n"), [message("a")]);
});

Deno.test("SseParser reassembles a 1 MiB data line split into 16 KiB chunks", () => {
  const size = 1024 * 1024;
  const payload = "x".repeat(size - 7) + "abcdefg";
  const text = `id: big\ndata: ${payload}\n\n`;
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let pushes = 0;
  for (let i = 0; i < text.length; i += 16 * 1024) {
    events.push(...parser.push(text.slice(i, i + 16 * 1024)));
    pushes++;
  }
  assert.ok(pushes > 64);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.data.length, payload.length);
  assert.equal(events[0]!.data, payload);
  assert.equal(events[0]!.id, "big");
});

const STREAM = [
  ": hello\r\n",
  "retry: 2500\r\n",
  "event: endpoint\r\ndata: /messages?sessionId=abc\r\n\r\n",
  'id: 1\ndata: {"jsonrpc":"2.0",\n',
  'data: "id":1}\n\n',
  "id: 2\rdata:\r\r",
  "data: héllo ✓ 😀\r\rid\rdata: after reset\n\n",
  "event: bad\nid: a\0b\ndata: z\n\n",
  "data: cut off",
].join("");

const EXPECTED: SseEvent[] = [
  message("/messages?sessionId=abc", "", false, "endpoint"),
  message('{"jsonrpc":"2.0",\n"id":1}', "1", true),
  message("", "2", true),
  message("héllo ✓ 😀", "2", false),
  message("after reset", "", true),
  message("z", "", false, "bad"),
];

Deno.test("SseParser gives the expected events for a stream fed in one chunk", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push(STREAM), EXPECTED);
  assert.equal(parser.retry, 2500);
});

Deno.test("SseParser gives the same events when fed one character at a time", () => {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const char of STREAM) events.push(...parser.push(char));
  assert.deepEqual(events, EXPECTED);
  assert.equal(parser.retry, 2500);
});

Deno.test("SseParser gives the same events for every split of the stream into two chunks", () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(parseAll([STREAM.slice(0, i), STREAM.slice(i)]), EXPECTED, `split at ${i}`);
  }
});
