import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { Logger } from "../../src/log/logger.ts";
import { createNetworkFetch } from "../../src/net/http_client.ts";
import {
  connectDeadline,
  Deadline,
  MAX_AUTH_ATTEMPTS,
  ServerExchange,
} from "../../src/transport/exchange.ts";
import { ModernHttpClient } from "../../src/transport/modern_http.ts";
import { StreamableHttpTransport } from "../../src/transport/streamable_http.ts";
import { type AuthHook, TransportError } from "../../src/transport/transport.ts";
import { serveLoopback } from "../_fixtures/loopback_server.ts";

const log = new Logger({ level: "error" });

/** An auth hook whose token changes on every challenge; records the challenges. */
class RotatingHook implements AuthHook {
  token = "t0";
  challenges: { status: number; sent: string | undefined; operation: string }[] = [];
  constructor(readonly answer: () => Promise<boolean> = () => Promise.resolve(true)) {}
  header(): Promise<string | undefined> {
    return Promise.resolve(`Bearer ${this.token}`);
  }
  async challenge(status: number, _www: string | null, sent: string | undefined, operation: string) {
    this.challenges.push({ status, sent, operation });
    const retry = await this.answer();
    this.token = `t${this.challenges.length}`;
    return retry;
  }
}

/** A server that refuses every token but `accept`, recording the Authorization headers it saw. */
async function serveTokenCheck(accept: string) {
  const seen: (string | null)[] = [];
  const server = await serveLoopback(async (request) => {
    await request.body?.cancel();
    seen.push(request.headers.get("authorization"));
    if (request.headers.get("authorization") !== `Bearer ${accept}`) {
      return Response.json({ jsonrpc: "2.0", id: 1, error: { code: -32001, message: "no" } }, {
        status: 401,
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    }
    return new Response("ok");
  });
  return { url: server.url, seen, close: server.close };
}

/** A server that answers "ok" and keeps the headers of the last request it got. */
async function serveHeaderRecorder() {
  let last: Headers | undefined;
  const server = await serveLoopback((request) => {
    last = request.headers;
    return new Response("ok");
  });
  return { url: server.url, headers: () => last, close: server.close };
}

Deno.test("ServerExchange sends the user's headers, the transport's and Authorization last", async () => {
  const server = await serveHeaderRecorder();
  try {
    const exchange = new ServerExchange({
      url: server.url,
      headers: [["X-Tenant", "a"], ["Accept", "text/plain"]],
      fetch,
      log,
      auth: new RotatingHook(),
    });
    const res = await exchange.send({
      method: "GET",
      headers: [["accept", "text/event-stream"]],
      operation: "x",
    });
    await res.body?.cancel();
    assert.equal(server.headers()?.get("x-tenant"), "a");
    assert.equal(server.headers()?.get("accept"), "text/event-stream");
    assert.equal(server.headers()?.get("authorization"), "Bearer t0");
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange asks the hook for no header while it has no credentials, and again once it may", async () => {
  const server = await serveHeaderRecorder();
  try {
    let none = true;
    let asked = 0;
    const hook = Object.assign(new RotatingHook(), {
      hasNoCredentials: () => none,
      header: () => (asked++, Promise.resolve("Bearer t0")),
    });
    const exchange = new ServerExchange({ url: server.url, headers: [], fetch, log, auth: hook });
    // Mixed-case protocol header names go out as any other (the exchange keeps their lower-case forms).
    const send = () =>
      exchange.send({ method: "POST", body: "{}", headers: [["Mcp-Method", "ping"]], operation: "ping" });
    await (await send()).body?.cancel();
    assert.equal(asked, 0);
    assert.equal(server.headers()?.get("authorization"), null);
    assert.equal(server.headers()?.get("mcp-method"), "ping");
    none = false;
    await (await send()).body?.cancel();
    assert.equal(asked, 1);
    assert.equal(server.headers()?.get("authorization"), "Bearer t0");
    assert.equal(server.headers()?.get("mcp-method"), "ping");
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange: a repeated user header is sent joined, any token is a header name, and a custom auth header replaces the user's", async () => {
  const server = await serveHeaderRecorder();
  try {
    const exchange = new ServerExchange({
      url: server.url,
      headers: [["X-Tag", "a"], ["x-tag", " b "], ["__proto__", "p"], ["X-Api-Key", "mine"]],
      fetch,
      log,
      auth: Object.assign(new RotatingHook(), { headerName: () => "X-API-Key" }),
    });
    const res = await exchange.send({ method: "GET", operation: "x" });
    await res.body?.cancel();
    assert.equal(server.headers()?.get("x-tag"), "a, b");
    assert.equal(server.headers()?.get("__proto__"), "p");
    assert.equal(server.headers()?.get("x-api-key"), "Bearer t0");
    assert.equal(server.headers()?.get("authorization"), null);
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange: a header value HTTP does not allow is one clear, permanent error that does not quote it", async () => {
  let requests = 0;
  const server = await serveLoopback(() => {
    requests++;
    return new Response("ok");
  });
  try {
    for (
      const [hook, headers] of [
        [{ header: () => Promise.resolve("Bearer sec\nret-token") }, []],
        [undefined, [["mcp-protocol-version", "2025-\u0100"]]],
      ] as [AuthHook | undefined, [string, string][]][]
    ) {
      const exchange = new ServerExchange({
        url: server.url,
        headers: [],
        fetch,
        log,
        ...(hook ? { auth: hook } : {}),
      });
      await assert.rejects(
        exchange.send({ method: "POST", body: "{}", headers, operation: "tools/call" }),
        (error) => {
          assert.ok(error instanceof TransportError);
          assert.match(
            error.message,
            /^Cannot send the request to 127\.0\.0\.1:\d+: a header .* is not valid HTTP/,
          );
          assert.doesNotMatch(error.message, /ret-token|\u0100/);
          assert.equal(error.permanent, true);
          return true;
        },
      );
    }
    assert.equal(requests, 0);
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange answers a 401 with the hook's challenge and sends the request again", async () => {
  const server = await serveTokenCheck("t1");
  const hook = new RotatingHook();
  try {
    const exchange = new ServerExchange({ url: server.url, headers: [], fetch, log, auth: hook });
    const res = await exchange.send({ method: "POST", body: "{}", operation: "tools/call" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.deepEqual(hook.challenges, [{ status: 401, sent: "Bearer t0", operation: "tools/call" }]);
    assert.deepEqual(server.seen, ["Bearer t0", "Bearer t1"]);
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange gives up after MAX_AUTH_ATTEMPTS, keeping the server's own error", async () => {
  const server = await serveTokenCheck("never");
  const hook = new RotatingHook();
  try {
    const exchange = new ServerExchange({ url: server.url, headers: [], fetch, log, auth: hook });
    const error = await exchange.send({ method: "POST", body: "{}", operation: "x", expectId: 1 }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(error instanceof TransportError);
    assert.equal(error.status, 401);
    assert.match(error.message, /still refuses the credentials/);
    assert.equal(JSON.parse(error.serverResponse!).error.message, "no");
    assert.equal(server.seen.length, MAX_AUTH_ATTEMPTS);
    assert.equal(hook.challenges.length, MAX_AUTH_ATTEMPTS - 1);
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange reports a failed sign-in, and never challenges when told not to", async () => {
  const server = await serveTokenCheck("never");
  try {
    const failing = new RotatingHook(() => Promise.reject(new Error("the user closed the browser")));
    const exchange = new ServerExchange({ url: server.url, headers: [], fetch, log, auth: failing });
    await assert.rejects(
      exchange.send({ method: "POST", body: "{}", operation: "x" }),
      /requires authorization \(HTTP 401\) and signing in failed: the user closed the browser/,
    );
    const quiet = new RotatingHook();
    const res = await new ServerExchange({ url: server.url, headers: [], fetch, log, auth: quiet })
      .send({ method: "DELETE", operation: "DELETE session", challenge: false });
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.deepEqual(quiet.challenges, []);
  } finally {
    await server.close();
  }
});

Deno.test("Deadline: signing in does not count against the connect timeout", async () => {
  const server = await serveTokenCheck("t1");
  // The sign-in takes longer than the whole deadline; the deadline is paused meanwhile.
  const slow = new RotatingHook(() => new Promise((resolve) => setTimeout(() => resolve(true), 300)));
  const deadline = connectDeadline(200, server.url.host, "answer initialize");
  try {
    const exchange = new ServerExchange({ url: server.url, headers: [], fetch, log, auth: slow });
    const res = await exchange.send({ method: "POST", body: "{}", operation: "initialize", deadline });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(deadline.signal.aborted, false);
  } finally {
    deadline.clear();
    await server.close();
  }
});

Deno.test("Deadline aborts with its message once the running time is spent", async () => {
  const deadline = new Deadline(30, "Timed out");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(deadline.signal.aborted, true);
  assert.ok(deadline.signal.reason instanceof TransportError);
  assert.equal(deadline.signal.reason.message, "Timed out");
  deadline.clear();
});

Deno.test("the Streamable HTTP GET stream re-authenticates through the exchange", async () => {
  const gets: (string | null)[] = [];
  const server = await serveExample({
    intercept: (request) => {
      if (request.method !== "GET") return undefined;
      gets.push(request.headers.get("authorization"));
      // The token the session started with is refused on the GET stream (it expired meanwhile).
      if (request.headers.get("authorization") === "Bearer t0") {
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer error="invalid_token"' },
        });
      }
      return undefined;
    },
  });
  const hook = new RotatingHook();
  const transport = new StreamableHttpTransport({
    exchange: new ServerExchange({ url: server.url, headers: [], fetch, log, auth: hook }),
    sink: () => Promise.resolve(),
    log,
    connectTimeoutMs: 5000,
  });
  try {
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } },
    });
    await transport.send(init, parseMessage(init));
    const initialized = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
    await transport.send(initialized, parseMessage(initialized));
    const deadline = Date.now() + 5000;
    while (gets.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(gets.slice(0, 2), ["Bearer t0", "Bearer t1"]);
    assert.deepEqual(hook.challenges, [{ status: 401, sent: "Bearer t0", operation: "GET stream" }]);
  } finally {
    await transport.close();
    await server.close();
  }
});

Deno.test("subscriptions/listen re-authenticates through the exchange", async () => {
  const seen: (string | null)[] = [];
  const server = await serveLoopback(async (request) => {
    await request.body?.cancel();
    seen.push(request.headers.get("authorization"));
    if (request.headers.get("authorization") !== "Bearer t1") {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    }
    const event = 'data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n';
    return new Response(event, { headers: { "content-type": "text/event-stream" } });
  });
  const hook = new RotatingHook();
  const client = new ModernHttpClient({
    exchange: new ServerExchange({
      url: server.url,
      headers: [],
      fetch,
      log,
      auth: hook,
    }),
    log,
  });
  try {
    const received: string[] = [];
    const count = await client.listen(
      '{"jsonrpc":"2.0","id":"l1","method":"subscriptions/listen","params":{}}',
      [["mcp-method", "subscriptions/listen"]],
      new AbortController().signal,
      (_text, envelope) =>
        Promise.resolve(void received.push(envelope.kind === "notification" ? envelope.method : "")),
    );
    assert.equal(count, 1);
    assert.deepEqual(received, ["notifications/tools/list_changed"]);
    assert.deepEqual(hook.challenges, [{
      status: 401,
      sent: "Bearer t0",
      operation: "subscriptions/listen",
    }]);
    assert.deepEqual(seen, ["Bearer t0", "Bearer t1"]);
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange sends bodies once-only (chunked), and plain after a server refused that with 411", async () => {
  const seen: { chunked: boolean; body: string }[] = [];
  // A hand-written server for a gateway that wants a Content-Length on every request.
  const server = await serveLoopback(async (request) => {
    const chunked = request.headers.get("transfer-encoding") === "chunked";
    seen.push({ chunked, body: await request.text() });
    return chunked ? new Response("Length Required", { status: 411 }) : Response.json({ ok: true });
  });
  try {
    const exchange = new ServerExchange({ url: server.url, headers: [], fetch, log });
    for (const body of ['{"n":1}', '{"n":2}']) {
      const res = await exchange.send({ method: "POST", body, operation: "tools/call" });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.deepEqual(seen, [
      { chunked: true, body: '{"n":1}' },
      { chunked: false, body: '{"n":1}' },
      { chunked: false, body: '{"n":2}' },
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("ServerExchange: a request that only reads goes with a plain body; a tool call is always a once-only stream", async () => {
  const seen: { chunked: boolean; length: string | null; body: string }[] = [];
  const server = await serveLoopback(async (request) => {
    seen.push({
      chunked: request.headers.get("transfer-encoding") === "chunked",
      length: request.headers.get("content-length"),
      body: await request.text(),
    });
    return Response.json({ ok: true });
  });
  const network = createNetworkFetch({}, () => "", () => {});
  try {
    const exchange = new ServerExchange({
      url: server.url,
      headers: [],
      fetch: network.fetch,
      renewConnections: network.renew,
      log,
    });
    const send = async (body: string, operation: string) => {
      const res = await exchange.send({ method: "POST", body, operation });
      await res.body?.cancel();
    };
    // A tool call: once-only, also as the first request of a new pool.
    await send('{"n":1}', "tools/call");
    await send('{"n":2}', "initialize");
    await send('{"n":3}', "tools/list");
    await send('{"n":4}', "tools/call");
    exchange.renewConnections();
    await send('{"n":5}', "server/discover");
    await send('{"n":6}', "tools/call");
    assert.deepEqual(seen, [
      { chunked: true, length: null, body: '{"n":1}' },
      { chunked: false, length: "7", body: '{"n":2}' },
      { chunked: false, length: "7", body: '{"n":3}' },
      { chunked: true, length: null, body: '{"n":4}' },
      { chunked: false, length: "7", body: '{"n":5}' },
      { chunked: true, length: null, body: '{"n":6}' },
    ]);
  } finally {
    network.close();
    await server.close();
  }
});

Deno.test("attack: a server that closes the connection unanswered gets a tool call once, as a stream; a read goes plain", async () => {
  // A hand-written server for a fault no real server produces on purpose: it reads each request, then drops
  // the connection without a word (what a server that crashed running a tool call looks like).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      let text = "";
      const buffer = new Uint8Array(16 * 1024);
      // The whole request: a plain body ends with the JSON's `}`, a chunked one with its last, empty chunk.
      while (!/\r\n\r\n[\s\S]*(\}|\r\n0\r\n\r\n)$/.test(text)) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      requests.push(text);
      conn.close();
    }
  })();
  const network = createNetworkFetch({}, () => "", () => {});
  try {
    const url = new URL(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/mcp`);
    const exchange = new ServerExchange({
      url,
      headers: [],
      fetch: network.fetch,
      renewConnections: network.renew,
      log,
    });
    for (const operation of ["tools/call", "initialize"]) {
      exchange.renewConnections();
      await assert.rejects(
        exchange.send({
          method: "POST",
          body: `{"jsonrpc":"2.0","id":1,"method":"${operation}"}`,
          operation,
        }),
        (error: Error) => error instanceof TransportError && error.outcomeUnknown === true,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(requests.length, 2, `the server read ${requests.length} requests for 2 sent`);
    assert.match(requests[0]!, /transfer-encoding: chunked/i, "the tool call: a once-only stream");
    assert.match(requests[1]!, /content-length: \d+/i, "the read: a plain body");
  } finally {
    network.close();
    listener.close();
    await accepting.catch(() => {});
  }
});

Deno.test("ServerExchange tells a connection never opened from one that broke after sending, and both from a permanent failure", async () => {
  const url = new URL("https://mcp.example:8443/mcp");
  const failing = (message: string) => () =>
    Promise.reject(
      new TypeError("fetch failed", {
        cause: new Error(`error sending request for url (${url}): ${message}`),
      }),
    );
  const cases: [string, "unreachable" | "outcomeUnknown" | "permanent" | "none"][] = [
    ["client error (Connect): tcp connect error: Connection refused (os error 111)", "unreachable"],
    ["client error (Connect): Connection reset by peer (os error 104)", "unreachable"],
    ["client error (Connect): unsuccessful tunnel", "unreachable"],
    ["client error (SendRequest): connection closed before message completed", "outcomeUnknown"],
    ["client error (SendRequest): connection reset", "outcomeUnknown"],
    ["client error (Connect): invalid peer certificate: UnknownIssuer", "permanent"],
    ["client error (Connect): proxy authentication required", "permanent"],
  ];
  for (const [message, expected] of cases) {
    const exchange = new ServerExchange({ url, headers: [], fetch: failing(message), log });
    const error = await exchange.send({ method: "POST", body: "{}", operation: "tools/call" }).then(
      () => undefined,
      (e) => e as TransportError,
    );
    assert.ok(error instanceof TransportError, message);
    const got = error.unreachable
      ? "unreachable"
      : error.outcomeUnknown
      ? "outcomeUnknown"
      : error.permanent
      ? "permanent"
      : "none";
    assert.equal(got, expected, message);
  }
});
