import assert from "node:assert/strict";
import {
  describeHttpFailure,
  describeNetworkSetupFailure,
  describeUnexpectedBody,
  summarise,
} from "../../src/transport/http_errors.ts";

const BASE = { host: "example.com:8443", path: "/mcp" };

Deno.test("describeHttpFailure() explains a network error and names --allow-net", () => {
  assert.equal(
    describeHttpFailure({ ...BASE, networkError: "connection refused" }),
    "Cannot reach example.com:8443: connection refused: check the URL, your network, and that --allow-net covers the server",
  );
});

Deno.test("describeHttpFailure() explains a network error without a message", () => {
  assert.match(describeHttpFailure(BASE), /^Cannot reach example\.com:8443: the connection failed: /);
});

Deno.test("describeHttpFailure() explains 401 as refused credentials", () => {
  const text = describeHttpFailure({ ...BASE, status: 401, statusText: "Unauthorized" });
  assert.match(text, /^The server at example\.com:8443 answered HTTP 401 Unauthorized for \/mcp: /);
  assert.match(text, /refused the credentials: check the token in your Authorization header/);
  assert.match(text, /signs in by itself/);
});

Deno.test("describeHttpFailure() explains 403 as refused access", () => {
  assert.match(
    describeHttpFailure({ ...BASE, status: 403, statusText: "Forbidden" }),
    /HTTP 403 Forbidden for \/mcp: the server refused access: check the credentials passed with --header$/,
  );
});

Deno.test("describeHttpFailure() explains 404 as a wrong URL", () => {
  assert.match(
    describeHttpFailure({ ...BASE, status: 404, statusText: "Not Found" }),
    /HTTP 404 Not Found for \/mcp: there is no MCP endpoint at this URL: check the server URL$/,
  );
});

Deno.test("describeHttpFailure() explains 429 as rate limiting", () => {
  assert.match(
    describeHttpFailure({ ...BASE, status: 429 }),
    /HTTP 429 for \/mcp: the server is rate-limiting/,
  );
});

Deno.test("describeHttpFailure() explains a 5xx as a server failure, and a gateway's 502/504 as an unknown outcome", () => {
  for (const status of [502, 504]) {
    assert.match(
      describeHttpFailure({ ...BASE, status }),
      /HTTP 50[24] for \/mcp: a gateway .*check before you retry$/,
    );
  }
  for (const status of [500, 503, 599]) {
    assert.match(
      describeHttpFailure({ ...BASE, status }),
      new RegExp(`HTTP ${status} for /mcp: the server failed: try again later or contact its operator$`),
    );
  }
});

Deno.test("describeHttpFailure() gives specific hints for the other known statuses", () => {
  const hints: [number, RegExp][] = [
    [400, /malformed/],
    [405, /check --transport/],
    [406, /does not accept JSON or event streams/],
    [408, /timed out/],
    [413, /too large/],
    [415, /does not accept JSON/],
  ];
  for (const [status, hint] of hints) {
    assert.match(describeHttpFailure({ ...BASE, status }), hint, String(status));
  }
});

Deno.test("describeHttpFailure() gives a generic hint for an unknown status", () => {
  assert.match(
    describeHttpFailure({ ...BASE, status: 418 }),
    /HTTP 418 for \/mcp: check the server URL and flags$/,
  );
});

Deno.test("describeHttpFailure() quotes the message of a JSON-RPC error body", () => {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: null,
    error: { code: -32000, message: "No valid session" },
  });
  assert.equal(
    describeHttpFailure({
      ...BASE,
      status: 400,
      statusText: "Bad Request",
      contentType: "application/json",
      body,
    }),
    'The server at example.com:8443 answered HTTP 400 Bad Request for /mcp (the server says "No valid session"): ' +
      "the server rejected the request as malformed",
  );
});

Deno.test("describeHttpFailure() quotes OAuth error_description, then error", () => {
  const described = JSON.stringify({ error: "invalid_token", error_description: "The token expired" });
  assert.match(
    describeHttpFailure({ ...BASE, status: 401, body: described }),
    /\(the server says "The token expired"\)/,
  );
  const bare = JSON.stringify({ error: "invalid_token" });
  assert.match(
    describeHttpFailure({ ...BASE, status: 401, body: bare }),
    /\(the server says "invalid_token"\)/,
  );
});

Deno.test("describeHttpFailure() quotes a top-level message member", () => {
  const body = JSON.stringify({ message: "Route not found" });
  assert.match(describeHttpFailure({ ...BASE, status: 404, body }), /\(the server says "Route not found"\)/);
});

Deno.test("describeHttpFailure() cuts a long server message at 200 characters, between words", () => {
  const body = JSON.stringify({ error: { message: "word ".repeat(100) } });
  const text = describeHttpFailure({ ...BASE, status: 500, body });
  const quoted = /the server says "([^"]*)"/.exec(text)![1]!;
  assert.ok(quoted.endsWith("…") && quoted.length <= 201, quoted);
  assert.match(quoted, /^(word ){40}…$/);
  // One long run (a token, perhaps) cut at the edge is dropped whole, never shown in part.
  const long = describeHttpFailure({
    ...BASE,
    status: 500,
    body: JSON.stringify({ error: { message: "m".repeat(500) } }),
  });
  assert.ok(!long.includes("mmm"), long);
});

Deno.test("describeHttpFailure() quotes the start of JSON without a message", () => {
  const body = JSON.stringify({ status: "down" });
  assert.match(
    describeHttpFailure({ ...BASE, status: 503, body }),
    /\(the body starts "\{"status":"down"\}"\)/,
  );
});

Deno.test("describeHttpFailure() says an HTML body is an HTML page, by content type or by its start", () => {
  const page = "<!DOCTYPE html><html><body><h1>Not Found</h1><script>secret()</script></body></html>";
  for (
    const failure of [
      { contentType: "text/html; charset=utf-8", body: "Not Found" },
      { contentType: null, body: page },
      { contentType: "text/plain", body: "  \n<HTML><body>x</body></HTML>" },
    ]
  ) {
    const text = describeHttpFailure({ ...BASE, status: 404, ...failure });
    assert.match(text, /\(the body is an HTML page\): there is no MCP endpoint/);
    assert.doesNotMatch(text, /script|Not Found<|body>/);
  }
});

Deno.test("describeHttpFailure() quotes the start of a text body with whitespace collapsed, at most 120 characters", () => {
  const body = "  upstream\n\n  connect   error " + "z".repeat(300);
  const text = describeHttpFailure({ ...BASE, status: 502, contentType: "text/plain", body });
  const quoted = /\(the body starts "([^"]*)"\)/.exec(text)?.[1];
  assert.ok(quoted !== undefined, text);
  assert.equal(quoted, "upstream connect error …");
  const words = describeHttpFailure({
    ...BASE,
    status: 502,
    contentType: "text/plain",
    body: "no way ".repeat(50),
  });
  const wordsQuoted = /\(the body starts "([^"]*)"\)/.exec(words)![1]!;
  assert.ok(wordsQuoted.length <= 121 && wordsQuoted.startsWith("no way no way"), wordsQuoted);
});

Deno.test("describeHttpFailure() adds no detail for an empty or missing body", () => {
  assert.equal(
    describeHttpFailure({ ...BASE, status: 404, body: "  \n " }),
    "The server at example.com:8443 answered HTTP 404 for /mcp: there is no MCP endpoint at this URL: check the server URL",
  );
  assert.doesNotMatch(describeHttpFailure({ ...BASE, status: 404 }), /\(/);
});

Deno.test("describeUnexpectedBody() says an HTML answer is an HTML page", () => {
  assert.equal(
    describeUnexpectedBody("example.com", "/mcp", "text/html", "<html>"),
    "The server at example.com answered /mcp with an HTML page instead of JSON or an event stream: " +
      "check that the URL is the MCP endpoint (often ending in /mcp or /sse)",
  );
  assert.match(describeUnexpectedBody("example.com", "/", null, "\n  <!doctype html>"), /with an HTML page/);
  assert.match(describeUnexpectedBody("example.com", "/", "TEXT/HTML", "x"), /with an HTML page/);
});

Deno.test("describeUnexpectedBody() quotes another content type", () => {
  assert.match(
    describeUnexpectedBody("example.com", "/api", "text/plain", "hello"),
    /^The server at example\.com answered \/api with "text\/plain" instead of JSON or an event stream/,
  );
});

Deno.test("describeUnexpectedBody() says when there is no content type", () => {
  assert.match(
    describeUnexpectedBody("example.com", "/api", null, "hello"),
    /with "no content type" instead/,
  );
});

Deno.test("summarise() never cuts a token in two: the cut-off run is dropped whole", () => {
  const token = "tok_" + "A1b2C3d4".repeat(8);
  const body = `${"x ".repeat(50)}Bearer ${token} and more`;
  const summary = summarise(body, "text/plain")!;
  assert.ok(!summary.includes(token.slice(0, 10)), summary);
  assert.match(summary, /Bearer …"$/);
  const json = JSON.stringify({ error: { message: `${"y ".repeat(90)}${token}` } });
  const quoted = summarise(json, "application/json")!;
  assert.ok(!quoted.includes("tok_"), quoted);
  assert.equal(summarise("short body", "text/plain"), 'the body starts "short body"');
});

Deno.test("describeHttpFailure() explains a 501, and a 405 to a POST, as no MCP endpoint at the URL", () => {
  assert.match(
    describeHttpFailure({ ...BASE, status: 501, statusText: "Not Implemented", method: "POST" }),
    /HTTP 501 Not Implemented for \/mcp: there is no MCP endpoint at this URL \(HTTP 501 to a POST\): check the server URL$/,
  );
  assert.match(
    describeHttpFailure({ ...BASE, status: 405, statusText: "Method Not Allowed", method: "post" }),
    /HTTP 405 Method Not Allowed for \/mcp: there is no MCP endpoint at this URL \(HTTP 405 to a POST\): check the server URL$/,
  );
  assert.match(
    describeHttpFailure({ ...BASE, status: 501 }),
    /HTTP 501 for \/mcp: there is no MCP endpoint at this URL \(HTTP 501\): check the server URL$/,
  );
  assert.doesNotMatch(describeHttpFailure({ ...BASE, status: 501 }), /try again later/);
  // A 405 to another method (the HTTP+SSE GET) keeps the hint about the method.
  assert.match(describeHttpFailure({ ...BASE, status: 405, method: "GET" }), /does not accept this method/);
});

Deno.test("describeNetworkSetupFailure() explains a port the runtime refuses to fetch from", () => {
  for (const port of ["6000", "6666"]) {
    const text = describeNetworkSetupFailure(
      `127.0.0.1:${port}`,
      `Fetch failed: Requests to port ${port} are blocked`,
    );
    assert.equal(
      text,
      `Cannot connect to 127.0.0.1:${port}: the runtime (Deno's fetch) refuses port ${port} as unsafe, a "bad port" ` +
        "of the Fetch standard that browsers refuse too: run the MCP server on another port and use that URL",
    );
  }
});
