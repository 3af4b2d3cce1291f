import assert from "node:assert/strict";
import { LegacyServerSession, MAX_PENDING_INPUTS } from "../../src/era/legacy_server_session.ts";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { Logger } from "../../src/log/logger.ts";
import { ServerExchange } from "../../src/transport/exchange.ts";
import { StreamableHttpTransport } from "../../src/transport/streamable_http.ts";
import { type LoopbackServer, serveLoopback } from "../_fixtures/loopback_server.ts";
import { assertModernTraffic } from "../_fixtures/modern_schema.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";
import { until } from "../_fixtures/waiting.ts";

const log = new Logger({ level: "error" });

function meta(capabilities: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": capabilities,
    ...extra,
  };
}

/** What the tests read of a response the host received. */
interface HostReply {
  id?: unknown;
  result: {
    resultType: string;
    inputRequests: Record<string, { method: string }>;
    requestState: string;
    content?: unknown;
  };
  error: { code: number; message: string };
}

/** The session in process, over the real Streamable HTTP transport; what the host receives is recorded. */
function openSession(url: URL, inputWaitMs?: number) {
  const toHost: Record<string, unknown>[] = [];
  const sent: Record<string, unknown>[] = [];
  const exchange = new ServerExchange({ url, headers: [], fetch, log });
  const session = new LegacyServerSession({
    makeLegacy: (receiver) =>
      new StreamableHttpTransport({
        exchange,
        log,
        connectTimeoutMs: 5000,
        sink: receiver.sink,
        ...(receiver.onSessionRenewed ? { onSessionRenewed: receiver.onSessionRenewed } : {}),
      }),
    sink: (text) => Promise.resolve(void toHost.push(JSON.parse(text))),
    log,
    clientInfo: { name: "test", version: "1" },
    ...(inputWaitMs !== undefined ? { inputWaitMs } : {}),
  });
  const send = (message: Record<string, unknown>, signal?: AbortSignal) => {
    sent.push(message);
    const text = JSON.stringify(message);
    return session.send(text, parseMessage(text), signal);
  };
  const last = () => toHost[toHost.length - 1] as unknown as HostReply;
  return { session, send, toHost, sent, last };
}

Deno.test("a host that never retries an input_required: after the bound the server's request is refused and the call cancelled", async () => {
  const bodies: Record<string, unknown>[] = [];
  const server = await serveTestServer({
    mode: "stateful",
    intercept: async (request) => {
      if (request.method === "POST") bodies.push(JSON.parse(await request.clone().text()));
      return undefined;
    },
  });
  const { session, send, toHost, sent, last } = openSession(server.url, 300);
  try {
    const call = { name: "ask_elicitation", arguments: {}, _meta: meta({ elicitation: { form: {} } }) };
    await send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: call });
    assert.equal(last().id, 1);
    assert.equal(last().result.resultType, "input_required");
    const [key] = Object.keys(last().result.inputRequests);
    const state = last().result.requestState;
    assert.equal(last().result.inputRequests[key!].method, "elicitation/create");

    // Nobody answers: the server's elicitation gets an error and its tools/call a cancellation.
    await until(
      "the cancellation on the server",
      () => bodies.some((b) => b.method === "notifications/cancelled"),
    );
    const refusal = bodies.find((b) => "error" in b && b.id !== undefined);
    assert.match(String((refusal?.error as { message?: string })?.message), /did not answer within 0 s/);
    const cancelled = bodies.find((b) => b.method === "notifications/cancelled")!;
    const forwarded = bodies.find((b) => b.method === "tools/call")!;
    assert.equal((cancelled.params as { requestId: unknown }).requestId, forwarded.id);

    // A late retry finds nothing to continue, and says so.
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: {
        ...call,
        inputResponses: { [key!]: { action: "accept", content: { name: "Ada" } } },
        requestState: state,
      },
    });
    assert.equal(last().id, 2);
    assert.equal(last().error.code, -32602);
    assert.match(last().error.message, /requestState is unknown or expired/);
    await assertModernTraffic(toHost, sent);
  } finally {
    await session.close();
    await server.close();
  }
});

Deno.test("a 2026-07-28 host's malformed log level or listen filter gets -32602, and nothing reaches the server", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const { session, send, toHost, sent, last } = openSession(server.url);
  try {
    await send({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/list",
      params: { _meta: meta({}, { "io.modelcontextprotocol/logLevel": "loud" }) },
    });
    assert.equal(last().error.code, -32602);
    assert.match(last().error.message, /logLevel is not a log level: "loud"/);
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "subscriptions/listen",
      params: { _meta: meta(), notifications: { resourceSubscriptions: [1] } },
    });
    assert.equal(last().error.code, -32602);
    assert.match(last().error.message, /resourceSubscriptions is not a list of URIs/);
    assert.equal(server.seen.requests.filter((r) => r.rpc === "tools/list").length, 0);
    assert.equal(server.seen.subscribeCalls.length, 0);
    await assertModernTraffic(toHost, sent);
  } finally {
    await session.close();
    await server.close();
  }
});

/**
 * A hand-written 2025-era server for faults the SDK's server does not produce: a tool call whose event
 * stream carries `requests` server-to-client requests and then, at once, the call's own result (a server
 * that stops waiting for the host by itself), or nothing more (`thenBreak`: the stream ends with no
 * answer), or floods the host with requests.
 */
function serveScripted(
  requests: number,
  thenAnswer: boolean,
  thenBreak = false,
): Promise<LoopbackServer & { bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  // The stream stays open after the last message unless `end` (the session closes it at the end).
  const sse = (messages: unknown[], end: boolean) => {
    const text = messages.map((m) => `event: message\ndata: ${JSON.stringify(m)}\n\n`).join("");
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        if (end) controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  };
  return serveLoopback(async (request) => {
    if (request.method === "GET") return new Response(null, { status: 405 });
    if (request.method === "DELETE") return new Response(null, { status: 200 });
    const body = await request.json();
    bodies.push(body);
    if (body.method === "initialize") {
      return Response.json({
        jsonrpc: "2.0",
        id: body.id,
        result: {
          protocolVersion: "2025-11-25",
          capabilities: { tools: {} },
          serverInfo: { name: "scripted", version: "0" },
        },
      }, { headers: { "mcp-session-id": "s1" } });
    }
    if (body.method === "server/discover") return new Response("Not found", { status: 404 });
    if (body.method !== "tools/call") return new Response(null, { status: 202 });
    const asks = Array.from({ length: requests }, (_, i) => ({
      jsonrpc: "2.0",
      id: `ask-${i}`,
      method: "elicitation/create",
      params: {
        mode: "form",
        message: `Question ${i}?`,
        requestedSchema: { type: "object", properties: {} },
      },
    }));
    const answer = {
      jsonrpc: "2.0",
      id: body.id,
      result: { content: [{ type: "text", text: "done without you" }] },
    };
    return thenAnswer ? sse([...asks, answer], true) : sse(asks, thenBreak);
  }).then((server) => Object.assign(server, { bodies }));
}

Deno.test("a server that answers while the host holds input_required: the host's retry gets that answer", async () => {
  const server = await serveScripted(1, true);
  const { session, send, toHost, sent, last } = openSession(server.url);
  try {
    const call = { name: "anything", arguments: {}, _meta: meta({ elicitation: { form: {} } }) };
    await send({ jsonrpc: "2.0", id: "a", method: "tools/call", params: call });
    assert.equal(last().result.resultType, "input_required");
    const state = last().result.requestState;
    const [key] = Object.keys(last().result.inputRequests);
    // The server's answer and the end of its stream both come before the retry.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send({
      jsonrpc: "2.0",
      id: "b",
      method: "tools/call",
      params: { ...call, inputResponses: { [key!]: { action: "decline" } }, requestState: state },
    });
    assert.equal(last().id, "b");
    assert.equal(last().result.resultType, "complete");
    assert.deepEqual(last().result.content, [{ type: "text", text: "done without you" }]);
    await assertModernTraffic(toHost, sent);
  } finally {
    await session.close();
    await server.close();
  }
});

Deno.test("a server flooding the host with requests during one call: past the limit they are refused", async () => {
  const server = await serveScripted(MAX_PENDING_INPUTS + 4, false);
  const { session, send, toHost, sent } = openSession(server.url);
  try {
    const call = { name: "anything", arguments: {}, _meta: meta({ elicitation: { form: {} } }) };
    // The first request answers the host at once; the others wait for its retry, up to the limit.
    await send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: call });
    await until("the refusals", () => server.bodies.filter((b) => "error" in b).length === 4);
    const refusals = server.bodies.filter((b) => "error" in b);
    assert.deepEqual(refusals.map((b) => b.id), ["ask-16", "ask-17", "ask-18", "ask-19"]);
    assert.match(
      String((refusals[0]!.error as { message: string }).message),
      /Too many requests wait for the host/,
    );
    const first = toHost.find((m) => m.id === 1) as {
      result: { inputRequests: Record<string, unknown>; requestState: string };
    };
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { ...call, inputResponses: {}, requestState: first.result.requestState },
    });
    const second = toHost.find((m) => m.id === 2) as { result: { inputRequests: Record<string, unknown> } };
    assert.equal(Object.keys(second.result.inputRequests).length, MAX_PENDING_INPUTS);
    await assertModernTraffic(toHost, sent);
  } finally {
    await session.close();
    await server.close();
  }
});

Deno.test("a call whose stream breaks while the host holds input_required: the host's retry gets the error", async () => {
  const server = await serveScripted(1, false, true);
  const { session, send, last } = openSession(server.url);
  try {
    const call = { name: "anything", arguments: {}, _meta: meta({ elicitation: { form: {} } }) };
    await send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: call });
    const state = last().result.requestState;
    await until("the broken stream", () => server.bodies.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assert.rejects(
      send({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { ...call, inputResponses: {}, requestState: state },
      }),
      /closed the event stream of request 1 before answering/,
    );
  } finally {
    await session.close();
    await server.close();
  }
});

Deno.test("a server asking for input the host did not declare: refused to the server, never shown to the host", async () => {
  const server = await serveScripted(1, false);
  const { session, send, toHost } = openSession(server.url);
  try {
    // The session is initialized with elicitation declared, but this call declares only roots: 2026-07-28
    // capabilities are per request.
    await send({
      jsonrpc: "2.0",
      id: 0,
      method: "server/discover",
      params: { _meta: meta({ elicitation: {} }) },
    });
    toHost.length = 0;
    const call = { name: "anything", arguments: {}, _meta: meta({ roots: {} }) };
    const pending = send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: call });
    await until("the refusal", () => server.bodies.some((b) => "error" in b));
    const refusal = server.bodies.find((b) => "error" in b)!;
    assert.equal(refusal.id, "ask-0");
    assert.match(
      String((refusal.error as { message: string }).message),
      /did not declare the elicitation capability/,
    );
    assert.equal(toHost.length, 0, "the host got no input_required");
    await session.close();
    await pending;
  } finally {
    await session.close();
    await server.close();
  }
});

Deno.test("a request the host cancels while the server is being initialized never reaches the server", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const { session, send, toHost } = openSession(server.url);
  try {
    const abort = new AbortController();
    const call = send(
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "echo", arguments: { text: "x" }, _meta: meta() },
      },
      abort.signal,
    );
    abort.abort();
    await call;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.seen.requests.filter((r) => r.rpc === "tools/call").length, 0);
    assert.equal(toHost.length, 0);
  } finally {
    await session.close();
    await server.close();
  }
});
