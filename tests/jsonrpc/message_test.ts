import assert from "node:assert/strict";
import {
  classify,
  ErrorCode,
  errorResponse,
  idKey,
  MODERN_ERROR_CODES,
  parseMessage,
} from "../../src/jsonrpc/message.ts";

Deno.test("classify() reads a request with a number id", () => {
  const value = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
  assert.deepEqual(classify(value), { kind: "request", id: 1, method: "tools/list", value });
});

Deno.test("classify() reads a request with a string id, zero id and negative or fractional ids", () => {
  for (const id of ["abc", "", 0, -5, 1.5]) {
    const envelope = classify({ jsonrpc: "2.0", id, method: "ping" });
    assert.equal(envelope.kind, "request", String(id));
    assert.equal("id" in envelope && envelope.id, id);
  }
});

Deno.test("classify() keeps the original object as value", () => {
  const value = { jsonrpc: "2.0", id: 1, method: "x", extra: [1] };
  const envelope = classify(value);
  assert.ok(envelope.kind === "request");
  assert.equal(envelope.value, value);
});

Deno.test("classify() reads a notification (no id member)", () => {
  const value = { jsonrpc: "2.0", method: "notifications/initialized" };
  assert.deepEqual(classify(value), { kind: "notification", method: "notifications/initialized", value });
});

Deno.test("classify() refuses a request whose id is null, a boolean, an object or an array", () => {
  for (const id of [null, true, { a: 1 }, [1], undefined]) {
    assert.deepEqual(classify({ jsonrpc: "2.0", id, method: "ping" }), {
      kind: "invalid",
      id: null,
      reason: "the request id must be a string or a number",
    });
  }
});

Deno.test("classify() reads a result response and an error response", () => {
  const ok = { jsonrpc: "2.0", id: 3, result: {} };
  assert.deepEqual(classify(ok), { kind: "response", id: 3, value: ok });
  const error = { jsonrpc: "2.0", id: "a", error: { code: -32601, message: "nope" } };
  assert.deepEqual(classify(error), { kind: "response", id: "a", value: error });
});

Deno.test("classify() reads a response with a null or missing id as id null", () => {
  const nullId = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } };
  assert.deepEqual(classify(nullId), { kind: "response", id: null, value: nullId });
  const noId = { jsonrpc: "2.0", result: null };
  assert.deepEqual(classify(noId), { kind: "response", id: null, value: noId });
});

Deno.test("classify() refuses batches", () => {
  assert.deepEqual(classify([{ jsonrpc: "2.0", id: 1, method: "ping" }]), {
    kind: "invalid",
    id: null,
    reason: "batches are not supported",
  });
  assert.deepEqual(classify([]), { kind: "invalid", id: null, reason: "batches are not supported" });
});

Deno.test("classify() refuses values that are not objects", () => {
  for (const value of [null, 1, "x", true, undefined]) {
    assert.deepEqual(classify(value), { kind: "invalid", id: null, reason: "not a JSON object" });
  }
});

Deno.test("classify() refuses a message without jsonrpc 2.0, keeping a usable id", () => {
  assert.deepEqual(classify({ id: 4, method: "ping" }), {
    kind: "invalid",
    id: 4,
    reason: 'missing "jsonrpc": "2.0"',
  });
  assert.deepEqual(classify({ jsonrpc: "1.0", id: "x", method: "ping" }), {
    kind: "invalid",
    id: "x",
    reason: 'missing "jsonrpc": "2.0"',
  });
  assert.deepEqual(classify({ jsonrpc: 2, id: {}, method: "ping" }), {
    kind: "invalid",
    id: null,
    reason: 'missing "jsonrpc": "2.0"',
  });
});

Deno.test("classify() refuses a message that is neither request, notification nor response", () => {
  assert.deepEqual(classify({ jsonrpc: "2.0", id: 9 }), {
    kind: "invalid",
    id: 9,
    reason: "neither a request, a notification nor a response",
  });
  assert.deepEqual(classify({ jsonrpc: "2.0", id: 9, method: 42 }), {
    kind: "invalid",
    id: 9,
    reason: "neither a request, a notification nor a response",
  });
});

Deno.test("parseMessage() parses and classifies JSON text", () => {
  assert.deepEqual(parseMessage('{"jsonrpc":"2.0","id":"1","method":"initialize","params":{}}'), {
    kind: "request",
    id: "1",
    method: "initialize",
    value: { jsonrpc: "2.0", id: "1", method: "initialize", params: {} },
  });
  assert.equal(parseMessage('{"jsonrpc":"2.0","method":"x"}').kind, "notification");
  assert.equal(parseMessage('  {"jsonrpc":"2.0","id":2,"result":{}}  ').kind, "response");
  assert.equal(parseMessage('[{"jsonrpc":"2.0","method":"x"}]').kind, "invalid");
});

Deno.test("parseMessage() reports text that is not JSON with a parse reason", () => {
  for (const text of ["{oops", "", '{"jsonrpc":"2.0",}', "undefined"]) {
    const envelope = parseMessage(text);
    assert.equal(envelope.kind, "invalid");
    assert.ok(envelope.kind === "invalid");
    assert.equal(envelope.id, null);
    assert.match(envelope.reason, /^parse: /);
  }
});

Deno.test("errorResponse() builds a JSON-RPC error", () => {
  assert.equal(
    errorResponse(7, ErrorCode.InternalError, "Boom"),
    '{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"Boom"}}',
  );
});

Deno.test("errorResponse() keeps string and null ids", () => {
  assert.deepEqual(JSON.parse(errorResponse("7", ErrorCode.InvalidParams, "x")).id, "7");
  assert.equal(JSON.parse(errorResponse(null, ErrorCode.ParseError, "x")).id, null);
});

Deno.test("errorResponse() adds data only when given", () => {
  assert.deepEqual(JSON.parse(errorResponse(1, ErrorCode.TransportError, "m", { status: 502 })), {
    jsonrpc: "2.0",
    id: 1,
    error: { code: -32000, message: "m", data: { status: 502 } },
  });
  assert.equal("data" in JSON.parse(errorResponse(1, -1, "m")).error, false);
  assert.equal(JSON.parse(errorResponse(1, -1, "m", null)).error.data, null);
});

Deno.test("errorResponse() escapes the message and writes one line", () => {
  const text = errorResponse(1, ErrorCode.InternalError, 'line1\nline2 "quoted"');
  assert.equal(text.includes("\n"), false);
  assert.equal(JSON.parse(text).error.message, 'line1\nline2 "quoted"');
});

Deno.test("ErrorCode holds the JSON-RPC codes", () => {
  assert.deepEqual(ErrorCode, {
    ParseError: -32700,
    InvalidRequest: -32600,
    MethodNotFound: -32601,
    InvalidParams: -32602,
    InternalError: -32603,
    TransportError: -32000,
    HeaderMismatch: -32020,
    MissingRequiredClientCapability: -32021,
    UnsupportedProtocolVersion: -32022,
  });
  assert.deepEqual(MODERN_ERROR_CODES, [-32020, -32021, -32022]);
});

Deno.test('idKey() keeps 1 and "1" apart', () => {
  assert.notEqual(idKey(1), idKey("1"));
  assert.equal(idKey(1), idKey(1));
  assert.equal(idKey("1"), idKey("1"));
  assert.notEqual(idKey("n:1"), idKey(1));
  assert.notEqual(idKey(""), idKey(0));
});

Deno.test("idKey() gives the same key for numbers that are equal", () => {
  assert.equal(idKey(1), idKey(1.0));
  assert.equal(idKey(JSON.parse("1e0")), idKey(1));
});
