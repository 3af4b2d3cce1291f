import assert from "node:assert/strict";
import {
  classifyModernProbe,
  HEADER_MISMATCH,
  METHOD_NOT_FOUND,
  MISSING_REQUIRED_CLIENT_CAPABILITY,
  UNSUPPORTED_PROTOCOL_VERSION,
} from "../../src/era/detect.ts";

const JSON_TYPE = "application/json";
const SSE_TYPE = "text/event-stream";

function error(code: number, data?: unknown, message = "m"): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    error: { code, message, ...(data === undefined ? {} : { data }) },
  });
}

const DISCOVER = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  result: { resultType: "complete", supportedVersions: ["2026-07-28"], capabilities: { tools: {} } },
});

Deno.test("the error codes are the 2026-07-28 ones", () => {
  assert.equal(HEADER_MISMATCH, -32020);
  assert.equal(MISSING_REQUIRED_CLIENT_CAPABILITY, -32021);
  assert.equal(UNSUPPORTED_PROTOCOL_VERSION, -32022);
  assert.equal(METHOD_NOT_FOUND, -32601);
});

Deno.test("classifyModernProbe() reads a 200 JSON result with resultType as modern", () => {
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: JSON_TYPE, body: DISCOVER }), {
    era: "modern",
  });
  assert.deepEqual(
    classifyModernProbe({ status: 200, contentType: "Application/JSON; charset=utf-8", body: DISCOVER }),
    { era: "modern" },
  );
});

Deno.test("classifyModernProbe() reads the first JSON-RPC response of an SSE body, skipping notifications", () => {
  const body = ": keep-alive\n\n" +
    `event: message\ndata: ${
      JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: {} })
    }\n\n` +
    `data: ${DISCOVER}\n\n`;
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: SSE_TYPE, body }), { era: "modern" });
});

Deno.test("classifyModernProbe() reads an SSE body whose last event has no closing blank line", () => {
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: SSE_TYPE, body: `data: ${DISCOVER}` }), {
    era: "modern",
  });
  assert.deepEqual(
    classifyModernProbe({ status: 200, contentType: SSE_TYPE, body: `data: ${DISCOVER}\r\n` }),
    {
      era: "modern",
    },
  );
});

Deno.test("classifyModernProbe() reads a 2xx result without resultType as legacy", () => {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: JSON_TYPE, body }), { era: "legacy" });
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: SSE_TYPE, body: `data: ${body}\n\n` }), {
    era: "legacy",
  });
});

Deno.test("classifyModernProbe() reads a 2xx JSON-RPC error: modern codes modern, -32601 legacy, others unknown", () => {
  assert.deepEqual(
    classifyModernProbe({
      status: 200,
      contentType: JSON_TYPE,
      body: error(-32021, { requiredCapabilities: {} }),
    }),
    { era: "modern", error: { code: -32021, message: "m", data: { requiredCapabilities: {} } } },
  );
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: JSON_TYPE, body: error(-32601) }), {
    era: "legacy",
  });
  assert.deepEqual(classifyModernProbe({ status: 200, contentType: JSON_TYPE, body: error(-32603) }), {
    era: "unknown",
    status: 200,
  });
});

Deno.test("classifyModernProbe() is unknown for a 2xx without a JSON-RPC response", () => {
  for (
    const answer of [
      { status: 202, contentType: null, body: "" },
      { status: 200, contentType: "text/html", body: "<html>" },
      { status: 200, contentType: JSON_TYPE, body: "{}" },
      { status: 200, contentType: JSON_TYPE, body: "[1]" },
      {
        status: 200,
        contentType: SSE_TYPE,
        body: 'data: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n',
      },
      { status: 200, contentType: SSE_TYPE, body: "event: endpoint\ndata: /messages\n\n" },
      { status: 200, contentType: SSE_TYPE, body: 'data: {"jsonrpc":"2.0","id":1,"res' },
    ]
  ) {
    assert.deepEqual(classifyModernProbe(answer), { era: "unknown", status: answer.status }, answer.body);
  }
});

Deno.test("classifyModernProbe() reads 400 + -32022 as modern with the supported versions", () => {
  const body = error(
    -32022,
    { supported: ["2026-07-28", "2025-11-25"], requested: "2027-01-01" },
    "Unsupported",
  );
  assert.deepEqual(classifyModernProbe({ status: 400, contentType: JSON_TYPE, body }), {
    era: "modern",
    unsupported: ["2026-07-28", "2025-11-25"],
    error: {
      code: -32022,
      message: "Unsupported",
      data: { supported: ["2026-07-28", "2025-11-25"], requested: "2027-01-01" },
    },
  });
});

Deno.test("classifyModernProbe() does not recognise -32022 without a list of version strings", () => {
  for (const data of [undefined, {}, { supported: "2026-07-28" }, { supported: [20260728] }]) {
    assert.deepEqual(
      classifyModernProbe({ status: 400, contentType: JSON_TYPE, body: error(-32022, data) }),
      { era: "legacy" },
      JSON.stringify(data),
    );
  }
});

Deno.test("classifyModernProbe() reads 400 + -32021 or -32020 as modern, carrying the error", () => {
  assert.deepEqual(
    classifyModernProbe({
      status: 400,
      contentType: JSON_TYPE,
      body: error(-32020, undefined, "Header mismatch"),
    }),
    {
      era: "modern",
      error: { code: -32020, message: "Header mismatch" },
    },
  );
  const verdict = classifyModernProbe({
    status: 400,
    contentType: JSON_TYPE,
    body: error(-32021, { requiredCapabilities: { elicitation: {} } }),
  });
  assert.equal(verdict.era, "modern");
  assert.ok("error" in verdict && verdict.error?.code === -32021);
});

Deno.test("classifyModernProbe() reads a 400 with an empty or unrecognised body as legacy", () => {
  for (
    const body of [
      "",
      "Bad Request",
      error(-32000, undefined, "Bad Request: No valid session ID provided"),
      error(-32001, undefined, "Session not found"),
      error(-32600),
      error(-32602),
      error(-32601),
      error(-32042),
      JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code: "-32022", message: "x" } }),
    ]
  ) {
    assert.deepEqual(
      classifyModernProbe({ status: 400, contentType: JSON_TYPE, body }),
      { era: "legacy" },
      body,
    );
  }
});

Deno.test("classifyModernProbe() reads a modern error body without a JSON content type", () => {
  assert.equal(classifyModernProbe({ status: 400, contentType: null, body: error(-32020) }).era, "modern");
  assert.equal(
    classifyModernProbe({ status: 400, contentType: "text/plain", body: error(-32020) }).era,
    "modern",
  );
});

Deno.test("classifyModernProbe() reads a modern error in an SSE error body", () => {
  assert.equal(
    classifyModernProbe({ status: 400, contentType: SSE_TYPE, body: `data: ${error(-32020)}\n\n` }).era,
    "modern",
  );
});

Deno.test("classifyModernProbe() reads 404 + -32601 as modern and other 404s as legacy", () => {
  assert.deepEqual(
    classifyModernProbe({
      status: 404,
      contentType: JSON_TYPE,
      body: error(-32601, undefined, "Method not found"),
    }),
    {
      era: "modern",
      error: { code: -32601, message: "Method not found" },
    },
  );
  assert.deepEqual(
    classifyModernProbe({ status: 404, contentType: "text/html", body: "<h1>Not Found</h1>" }),
    {
      era: "legacy",
    },
  );
  assert.deepEqual(classifyModernProbe({ status: 404, contentType: JSON_TYPE, body: error(-32001) }), {
    era: "legacy",
  });
  assert.deepEqual(classifyModernProbe({ status: 404, contentType: null, body: "" }), { era: "legacy" });
});

Deno.test("classifyModernProbe() reads 405 as legacy unless the body is a modern error", () => {
  assert.deepEqual(classifyModernProbe({ status: 405, contentType: null, body: "" }), { era: "legacy" });
  assert.deepEqual(classifyModernProbe({ status: 405, contentType: JSON_TYPE, body: error(-32601) }), {
    era: "legacy",
  });
  assert.equal(
    classifyModernProbe({ status: 405, contentType: JSON_TYPE, body: error(-32020) }).era,
    "modern",
  );
});

Deno.test("classifyModernProbe() puts authorization first: 401 and 403 are unknown whatever the body", () => {
  for (const status of [401, 403]) {
    assert.deepEqual(
      classifyModernProbe({ status, contentType: JSON_TYPE, body: error(-32022, { supported: [] }) }),
      {
        era: "unknown",
        status,
      },
    );
    assert.deepEqual(classifyModernProbe({ status, contentType: null, body: "" }), {
      era: "unknown",
      status,
    });
  }
});

Deno.test("classifyModernProbe() is unknown for other statuses without a modern error", () => {
  for (const status of [301, 406, 415, 429, 500, 502, 503]) {
    assert.deepEqual(classifyModernProbe({ status, contentType: "text/plain", body: "nope" }), {
      era: "unknown",
      status,
    });
  }
  assert.equal(
    classifyModernProbe({ status: 422, contentType: JSON_TYPE, body: error(-32020) }).era,
    "modern",
  );
  assert.deepEqual(classifyModernProbe({ status: 500, contentType: JSON_TYPE, body: error(-32020) }), {
    era: "unknown",
    status: 500,
  });
});
