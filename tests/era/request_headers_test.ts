import assert from "node:assert/strict";
import { decodeHeaderValue, encodeHeaderValue, standardHeaders } from "../../src/era/request_headers.ts";

Deno.test("encodeHeaderValue() follows every row of the spec's encoding examples", () => {
  assert.equal(encodeHeaderValue("us-west1"), "us-west1");
  assert.equal(encodeHeaderValue("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
  assert.equal(encodeHeaderValue(" padded "), "=?base64?IHBhZGRlZCA=?=");
  assert.equal(encodeHeaderValue("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
  assert.equal(encodeHeaderValue("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
});

Deno.test("encodeHeaderValue() keeps printable ASCII with inner spaces and punctuation as it is", () => {
  for (
    const value of ["a b c", "file:///projects/myapp/config.json", "!#$%&'*+-.^_`|~", "a=?base64?b", "x?="]
  ) {
    assert.equal(encodeHeaderValue(value), value);
  }
});

Deno.test("encodeHeaderValue() encodes leading or trailing whitespace, tabs, controls and DEL", () => {
  for (const value of [" lead", "trail ", "\tlead", "in\tside", "cr\rhere", "nul\0", "del\x7f", "\x1b[0m"]) {
    const encoded = encodeHeaderValue(value);
    assert.match(encoded, /^=\?base64\?[A-Za-z0-9+/=]*\?=$/, JSON.stringify(value));
    assert.equal(decodeHeaderValue(encoded), value);
  }
});

Deno.test("encodeHeaderValue() encodes the empty string so it cannot be dropped as an empty field", () => {
  assert.equal(encodeHeaderValue(""), "=?base64??=");
  assert.equal(decodeHeaderValue("=?base64??="), "");
});

Deno.test("encodeHeaderValue() encodes astral characters as UTF-8", () => {
  assert.equal(encodeHeaderValue("🚀"), "=?base64?8J+agA==?=");
  assert.equal(encodeHeaderValue("é"), "=?base64?w6k=?=");
});

Deno.test("encodeHeaderValue() output is always a valid header value", () => {
  for (const value of ["ok", "Zürich", "\r\n", " ", "=?base64?x?=", "日本語", ""]) {
    const headers = new Headers();
    headers.set("Mcp-Param-X", encodeHeaderValue(value));
    assert.equal(decodeHeaderValue(headers.get("Mcp-Param-X")!), value);
  }
});

Deno.test("encodeHeaderValue() treats the sentinel markers as case-sensitive", () => {
  assert.equal(encodeHeaderValue("=?BASE64?abc?="), "=?BASE64?abc?=");
  assert.equal(decodeHeaderValue("=?BASE64?abc?="), "=?BASE64?abc?=");
});

Deno.test("decodeHeaderValue() refuses invalid Base64 or UTF-8 in the sentinel form", () => {
  assert.throws(() => decodeHeaderValue("=?base64?***?="), {
    name: "TypeError",
    message: 'Cannot decode the header value: invalid Base64: "***"',
  });
  assert.throws(() => decodeHeaderValue("=?base64?/w==?="), {
    name: "TypeError",
    message: 'Cannot decode the header value: invalid UTF-8: "/w=="',
  });
});

Deno.test("standardHeaders() sends Mcp-Method on every request", () => {
  for (
    const method of [
      "server/discover",
      "tools/list",
      "resources/list",
      "prompts/list",
      "subscriptions/listen",
    ]
  ) {
    assert.deepEqual(standardHeaders(method, { name: "ignored", uri: "ignored" }), [["Mcp-Method", method]]);
  }
});

Deno.test("standardHeaders() adds Mcp-Name from params.name or params.uri for the three named methods", () => {
  assert.deepEqual(standardHeaders("tools/call", { name: "get_weather", arguments: {} }), [
    ["Mcp-Method", "tools/call"],
    ["Mcp-Name", "get_weather"],
  ]);
  assert.deepEqual(
    standardHeaders("resources/read", { uri: "file:///projects/myapp/config.json", name: "no" }),
    [
      ["Mcp-Method", "resources/read"],
      ["Mcp-Name", "file:///projects/myapp/config.json"],
    ],
  );
  assert.deepEqual(standardHeaders("prompts/get", { name: "code_review", uri: "no" }), [
    ["Mcp-Method", "prompts/get"],
    ["Mcp-Name", "code_review"],
  ]);
});

Deno.test("standardHeaders() encodes an unsafe Mcp-Name", () => {
  assert.deepEqual(standardHeaders("resources/read", { uri: "file:///tmp/naïve file.txt" }), [
    ["Mcp-Method", "resources/read"],
    ["Mcp-Name", encodeHeaderValue("file:///tmp/naïve file.txt")],
  ]);
  assert.equal(standardHeaders("tools/call", { name: " spaced" })[1]?.[1], "=?base64?IHNwYWNlZA==?=");
});

Deno.test("standardHeaders() leaves out Mcp-Name when the source member is missing or not a string", () => {
  assert.deepEqual(standardHeaders("tools/call", undefined), [["Mcp-Method", "tools/call"]]);
  assert.deepEqual(standardHeaders("tools/call", { name: 42 }), [["Mcp-Method", "tools/call"]]);
  assert.deepEqual(standardHeaders("resources/read", { name: "x" }), [["Mcp-Method", "resources/read"]]);
});

Deno.test("standardHeaders() does not take names from the prototype chain", () => {
  assert.deepEqual(standardHeaders("toString", { name: "x" }), [["Mcp-Method", "toString"]]);
  assert.deepEqual(standardHeaders("constructor", { name: "x" }), [["Mcp-Method", "constructor"]]);
});

Deno.test("standardHeaders() refuses a method that is not a plain header value", () => {
  assert.throws(() => standardHeaders("tools/call\r\nX-Evil: 1", { name: "x" }), {
    name: "TypeError",
    message:
      'Cannot send the method in Mcp-Method: not a plain ASCII header value: "tools/call\\r\\nX-Evil: 1"',
  });
  assert.throws(() => standardHeaders("", undefined), TypeError);
  assert.throws(() => standardHeaders("wérk", undefined), TypeError);
});
