/**
 * Proves that the modern fixture speaks the 2026-07-28 protocol on the wire, with plain `fetch`:
 * these assertions pin down the exact behaviour the bridge's era translation is written against.
 */

import assert from "node:assert/strict";
import {
  CONFIRM_STATE,
  HEADER_TOOLS,
  MODERN_VERSION,
  type ModernServer,
  README_URI,
  serveDualEra,
  serveModern,
} from "../_fixtures/modern_server.ts";

const CAPABILITIES = { elicitation: { form: {} }, sampling: {}, roots: {} };
const SERVER_INFO = { name: "mcp-bridge-modern-fixture", version: "1.0.0" };

/** The per-request `_meta` envelope of the modern era. */
function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
    "io.modelcontextprotocol/clientCapabilities": CAPABILITIES,
    "io.modelcontextprotocol/clientInfo": { name: "fixture-test", version: "0.0.0" },
    ...extra,
  };
}

let nextId = 1;

interface Reply {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  /** The JSON-RPC messages of the body: one for JSON, each `data:` of an SSE body. */
  messages: Record<string, unknown>[];
}

function parseMessages(contentType: string | null, text: string): Record<string, unknown>[] {
  if (text === "") return [];
  if (contentType?.startsWith("text/event-stream")) {
    return text.split("\n\n").flatMap((event) =>
      event.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)))
    );
  }
  return [JSON.parse(text)];
}

interface PostOptions {
  /** Extra or replacement headers (a `null` value removes a default header). */
  headers?: Record<string, string | null>;
  /** Extra `_meta` envelope keys. */
  meta?: Record<string, unknown>;
  id?: string | number;
}

/** POSTs a modern-era request with the standard headers, as a conforming client would. */
async function post(
  server: ModernServer,
  method: string,
  params: Record<string, unknown> = {},
  options: PostOptions = {},
): Promise<Reply> {
  const name = method === "resources/read" ? params.uri : params.name;
  const defaults: Record<string, string | null> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": MODERN_VERSION,
    "mcp-method": method,
    ...(typeof name === "string" ? { "mcp-name": name } : {}),
  };
  const headers = new Headers();
  for (const [key, value] of Object.entries({ ...defaults, ...options.headers })) {
    if (value !== null) headers.set(key, value);
  }
  const body = {
    jsonrpc: "2.0",
    id: options.id ?? nextId++,
    method,
    params: { ...params, _meta: envelope(options.meta) },
  };
  return await send(server, headers, body);
}

async function send(server: ModernServer, headers: HeadersInit, body: unknown): Promise<Reply> {
  const response = await fetch(server.url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  const contentType = response.headers.get("content-type");
  return {
    status: response.status,
    contentType,
    headers: response.headers,
    text,
    messages: parseMessages(contentType, text),
  };
}

function resultOf(reply: Reply): Record<string, unknown> {
  const last = reply.messages.at(-1);
  assert.ok(last && "result" in last, `expected a result, got ${reply.text}`);
  return last.result as Record<string, unknown>;
}

function errorOf(reply: Reply): { code: number; message: string; data?: Record<string, unknown> } {
  const last = reply.messages.at(-1);
  assert.ok(last && "error" in last, `expected an error, got ${reply.text}`);
  return last.error as { code: number; message: string; data?: Record<string, unknown> };
}

function textOf(reply: Reply): string {
  const content = resultOf(reply).content as { type: string; text: string }[];
  return content.map((c) => c.text).join("");
}

async function withServer(
  fn: (server: ModernServer) => Promise<void>,
  legacy: "reject" | "stateless" = "reject",
): Promise<void> {
  const server = legacy === "reject" ? await serveModern() : await serveDualEra();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const LEGACY_INITIALIZE = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "legacy-host", version: "1.0.0" },
  },
};
const LEGACY_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

Deno.test("server/discover answers 200 JSON with supportedVersions", async () => {
  await withServer(async (server) => {
    const reply = await post(server, "server/discover");
    assert.equal(reply.status, 200);
    assert.equal(reply.contentType, "application/json");
    assert.equal(reply.headers.get("mcp-session-id"), null);
    const result = resultOf(reply);
    assert.deepEqual(result.supportedVersions, [MODERN_VERSION]);
    assert.equal(result.resultType, "complete");
    assert.deepEqual(result.capabilities, {
      logging: {},
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
    });
    assert.deepEqual(
      (result._meta as Record<string, unknown>)["io.modelcontextprotocol/serverInfo"],
      SERVER_INFO,
    );
    const recorded = server.requests[0];
    assert.equal(recorded.method, "POST");
    assert.equal(recorded.headers["mcp-method"], "server/discover");
    assert.equal(recorded.headers["mcp-protocol-version"], MODERN_VERSION);
  });
});

Deno.test("tools/list lists every tool with x-mcp-header annotations verbatim", async () => {
  await withServer(async (server) => {
    const reply = await post(server, "tools/list");
    assert.equal(reply.status, 200);
    const tools = resultOf(reply).tools as { name: string; inputSchema: Record<string, unknown> }[];
    const names = tools.map((t) => t.name);
    for (
      const name of [
        "echo",
        "add",
        "slow",
        "progress",
        "log",
        "confirm",
        "ask_model",
        "list_roots",
        "two_rounds",
        "no_state",
        ...HEADER_TOOLS.valid,
        ...HEADER_TOOLS.invalid,
      ]
    ) assert.ok(names.includes(name), `missing ${name}`);
    const tenant = tools.find((t) => t.name === "tenant_tool")!;
    assert.deepEqual(tenant.inputSchema.properties, {
      tenant: { type: "string", "x-mcp-header": "Tenant" },
      query: { type: "string" },
    });
    const items = tools.find((t) => t.name === "bad_items_header")!;
    assert.deepEqual(items.inputSchema.properties, {
      list: { type: "array", items: { type: "string", "x-mcp-header": "Item" } },
    });
  });
});

Deno.test("tools/call needs Mcp-Name; a missing or wrong one is 400 HeaderMismatch", async () => {
  await withServer(async (server) => {
    const ok = await post(server, "tools/call", { name: "echo", arguments: { text: "hi" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.contentType, "application/json");
    assert.equal(textOf(ok), "hi");
    assert.equal(resultOf(ok).resultType, "complete");
    assert.equal(server.seen.toolCalls[0].headers["mcp-name"], "echo");

    const missing = await post(server, "tools/call", { name: "echo", arguments: { text: "hi" } }, {
      headers: { "mcp-name": null },
    });
    assert.equal(missing.status, 400);
    assert.equal(errorOf(missing).code, -32020);

    const wrong = await post(server, "tools/call", { name: "echo", arguments: { text: "hi" } }, {
      headers: { "mcp-name": "add" },
    });
    assert.equal(wrong.status, 400);
    assert.equal(errorOf(wrong).code, -32020);
    assert.deepEqual((errorOf(wrong).data?.mismatch as Record<string, unknown>).header, "add");

    const noMethod = await post(server, "tools/list", {}, { headers: { "mcp-method": null } });
    assert.equal(noMethod.status, 400);
    assert.equal(errorOf(noMethod).code, -32020);
  });
});

Deno.test("legacy initialize: 400 -32022 on a modern-only endpoint, served on a dual-era one", async () => {
  await withServer(async (server) => {
    const reply = await send(server, LEGACY_HEADERS, LEGACY_INITIALIZE);
    assert.equal(reply.status, 400);
    assert.equal(reply.contentType, "application/json");
    assert.deepEqual(JSON.parse(reply.text), {
      jsonrpc: "2.0",
      error: {
        code: -32022,
        message: "Unsupported protocol version: 2025-11-25",
        data: { supported: [MODERN_VERSION], requested: "2025-11-25" },
      },
      id: 0,
    });
    const get = await fetch(server.url, { headers: { accept: "text/event-stream" } });
    assert.equal(get.status, 405);
    assert.deepEqual(await get.json(), {
      jsonrpc: "2.0",
      error: { code: -32000, message: "Method not allowed." },
      id: null,
    });
    const notification = await send(server, LEGACY_HEADERS, {
      jsonrpc: "2.0",
      method: "notifications/initialized",
    });
    assert.equal(notification.status, 202);
    assert.equal(notification.text, "");
  });

  await withServer(async (server) => {
    const reply = await send(server, LEGACY_HEADERS, LEGACY_INITIALIZE);
    assert.equal(reply.status, 200);
    assert.equal(reply.contentType, "text/event-stream");
    assert.equal(reply.headers.get("mcp-session-id"), null);
    const result = resultOf(reply);
    assert.equal(result.protocolVersion, "2025-11-25");
    assert.deepEqual(result.serverInfo, SERVER_INFO);
    const legacyCall = await send(server, { ...LEGACY_HEADERS, "mcp-protocol-version": "2025-11-25" }, {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "old" } },
    });
    assert.equal(legacyCall.status, 200);
    assert.equal(textOf(legacyCall), "old");
    assert.equal(resultOf(legacyCall).resultType, undefined);
    const modern = await post(server, "server/discover");
    assert.deepEqual(resultOf(modern).supportedVersions, [MODERN_VERSION]);
    const get = await fetch(server.url, { headers: { accept: "text/event-stream" } });
    assert.equal(get.status, 405);
    await get.body?.cancel();
  }, "stateless");
});

Deno.test("an unsupported protocol version is 400 -32022 with data.supported", async () => {
  await withServer(async (server) => {
    const reply = await post(server, "tools/list", {}, {
      headers: { "mcp-protocol-version": "2099-01-01" },
      meta: { "io.modelcontextprotocol/protocolVersion": "2099-01-01" },
    });
    assert.equal(reply.status, 400);
    const error = errorOf(reply);
    assert.equal(error.code, -32022);
    assert.deepEqual(error.data, { supported: [MODERN_VERSION], requested: "2099-01-01" });
    // A header that disagrees with the envelope is a mismatch, not a version error.
    const mismatch = await post(server, "tools/list", {}, {
      headers: { "mcp-protocol-version": "2025-11-25" },
    });
    assert.equal(mismatch.status, 400);
    assert.equal(errorOf(mismatch).code, -32020);
    // Unknown methods, and those the modern era removed, are 404 -32601.
    for (const method of ["nope/method", "ping", "logging/setLevel", "resources/subscribe"]) {
      const reply = await post(server, method);
      assert.equal(reply.status, 404, method);
      assert.equal(errorOf(reply).code, -32601);
    }
  });
});

Deno.test("confirm: input_required with requestState, then the retry completes", async () => {
  await withServer(async (server) => {
    const first = await post(server, "tools/call", { name: "confirm", arguments: {} });
    assert.equal(first.status, 200);
    const required = resultOf(first);
    assert.equal(required.resultType, "input_required");
    assert.equal(required.requestState, CONFIRM_STATE);
    const request =
      (required.inputRequests as Record<string, { method: string; params: Record<string, unknown> }>)
        .confirm;
    assert.equal(request.method, "elicitation/create");
    assert.equal(request.params.mode, "form");
    assert.equal(request.params.message, "Really proceed?");

    const retry = await post(server, "tools/call", {
      name: "confirm",
      arguments: {},
      inputResponses: { confirm: { action: "accept", content: { ok: true } } },
      requestState: required.requestState,
    });
    assert.equal(retry.status, 200);
    assert.equal(resultOf(retry).resultType, "complete");
    assert.equal(textOf(retry), 'accept: {"ok":true}');
    assert.equal(server.seen.toolCalls[1].requestState, CONFIRM_STATE);
    assert.deepEqual(server.seen.rounds, ["confirm: -", `confirm: ${CONFIRM_STATE}`]);

    // Without the capability in the envelope the server refuses to ask: 400 -32021.
    const noCapability = await post(server, "tools/call", { name: "confirm", arguments: {} }, {
      meta: { "io.modelcontextprotocol/clientCapabilities": {} },
    });
    assert.equal(noCapability.status, 400);
    assert.equal(errorOf(noCapability).code, -32021);
  });
});

Deno.test("ask_model, list_roots, two_rounds and no_state round trips", async () => {
  await withServer(async (server) => {
    const ask = resultOf(await post(server, "tools/call", { name: "ask_model", arguments: {} }));
    assert.equal(
      (ask.inputRequests as Record<string, { method: string }>).model.method,
      "sampling/createMessage",
    );
    const answered = await post(server, "tools/call", {
      name: "ask_model",
      arguments: {},
      inputResponses: { model: { role: "assistant", content: { type: "text", text: "4" }, model: "m" } },
      requestState: ask.requestState,
    });
    assert.equal(textOf(answered), 'model said: {"type":"text","text":"4"}');

    const roots = resultOf(await post(server, "tools/call", { name: "list_roots", arguments: {} }));
    assert.deepEqual(roots.inputRequests, { roots: { method: "roots/list" } });
    const listed = await post(server, "tools/call", {
      name: "list_roots",
      arguments: {},
      inputResponses: { roots: { roots: [{ uri: "file:///tmp", name: "tmp" }] } },
      requestState: roots.requestState,
    });
    assert.equal(textOf(listed), 'roots: [{"uri":"file:///tmp","name":"tmp"}]');

    const round1 = resultOf(await post(server, "tools/call", { name: "two_rounds", arguments: {} }));
    assert.equal(round1.requestState, "round-1");
    const round2 = resultOf(
      await post(server, "tools/call", {
        name: "two_rounds",
        arguments: {},
        inputResponses: { first: { action: "accept", content: { value: "one" } } },
        requestState: round1.requestState,
      }),
    );
    assert.equal(round2.resultType, "input_required");
    assert.equal(round2.requestState, 'round-2:{"value":"one"}');
    assert.deepEqual(Object.keys(round2.inputRequests as object), ["second"]);
    const done = await post(server, "tools/call", {
      name: "two_rounds",
      arguments: {},
      inputResponses: { second: { action: "accept", content: { value: "two" } } },
      requestState: round2.requestState,
    });
    assert.equal(textOf(done), 'first={"value":"one"} second={"value":"two"}');

    const noState = resultOf(await post(server, "tools/call", { name: "no_state", arguments: {} }));
    assert.equal(noState.resultType, "input_required");
    assert.equal("requestState" in noState, false);
    const noStateDone = await post(server, "tools/call", {
      name: "no_state",
      arguments: {},
      inputResponses: { q: { action: "accept", content: { value: "x" } } },
    });
    assert.equal(textOf(noStateDone), 'no_state got {"value":"x"}');
    assert.deepEqual(server.seen.noStateRetries, [{ requestState: undefined, inputResponseKeys: ["q"] }]);
    assert.equal(server.seen.toolCalls.at(-1)!.hasRequestState, false);
  });
});

Deno.test("x-mcp-header: Mcp-Param-* headers are checked and recorded", async () => {
  await withServer(async (server) => {
    const missing = await post(server, "tools/call", { name: "tenant_tool", arguments: { tenant: "acme" } });
    assert.equal(missing.status, 400);
    const error = errorOf(missing);
    assert.equal(error.code, -32020);
    assert.equal((error.data?.mismatch as Record<string, unknown>).header, "Mcp-Param-Tenant");

    const wrong = await post(server, "tools/call", { name: "tenant_tool", arguments: { tenant: "acme" } }, {
      headers: { "mcp-param-tenant": "other" },
    });
    assert.equal(wrong.status, 400);
    assert.equal(errorOf(wrong).code, -32020);

    const ok = await post(server, "tools/call", { name: "tenant_tool", arguments: { tenant: "acme" } }, {
      headers: { "Mcp-Param-Tenant": "acme" },
    });
    assert.equal(ok.status, 200);
    assert.equal(textOf(ok), "tenant=acme");
    assert.equal(server.seen.toolCalls.at(-1)!.headers["mcp-param-tenant"], "acme");

    const typed = await post(server, "tools/call", {
      name: "typed_headers",
      arguments: { count: 3, verbose: true },
    }, { headers: { "Mcp-Param-Count": "3", "Mcp-Param-Verbose": "true" } });
    assert.equal(typed.status, 200);
    assert.equal(textOf(typed), 'typed {"count":3,"verbose":true}');

    // Base64 sentinel values are decoded by the server.
    const encoded = await post(server, "tools/call", { name: "tenant_tool", arguments: { tenant: "é" } }, {
      headers: { "Mcp-Param-Tenant": `=?base64?${btoa(String.fromCharCode(0xc3, 0xa9))}?=` },
    });
    assert.equal(encoded.status, 200);
    assert.equal(textOf(encoded), "tenant=é");
  });
});

Deno.test("progress and log notifications stream on the request's SSE response", async () => {
  await withServer(async (server) => {
    const progress = await post(server, "tools/call", { name: "progress", arguments: { n: 2 } }, {
      meta: { progressToken: "p1" },
    });
    assert.equal(progress.status, 200);
    assert.equal(progress.contentType, "text/event-stream");
    assert.deepEqual(progress.messages.slice(0, 2).map((m) => m.method), [
      "notifications/progress",
      "notifications/progress",
    ]);
    assert.deepEqual((progress.messages[0].params as Record<string, unknown>).progressToken, "p1");
    assert.equal(textOf(progress), "progressed 2");

    const logged = await post(server, "tools/call", { name: "log", arguments: { count: 2 } }, {
      meta: { "io.modelcontextprotocol/logLevel": "info" },
    });
    assert.equal(logged.contentType, "text/event-stream");
    assert.deepEqual(
      logged.messages.filter((m) => m.method === "notifications/message").map((m) =>
        (m.params as Record<string, unknown>).data
      ),
      ["line 0", "line 1"],
    );
    const silent = await post(server, "tools/call", { name: "log", arguments: { count: 2 } });
    assert.equal(silent.contentType, "application/json");
    assert.equal(textOf(silent), "logged");
  });
});

/** Starts a `slow` call, aborts it after 200 ms and reports whether the handler saw the abort. */
async function cancelSlow(server: ModernServer, id: string, meta: Record<string, unknown>): Promise<boolean> {
  const controller = new AbortController();
  const pending = fetch(server.url, {
    method: "POST",
    signal: controller.signal,
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN_VERSION,
      "mcp-method": "tools/call",
      "mcp-name": "slow",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "slow", arguments: { ms: 1500 }, _meta: envelope(meta) },
    }),
  }).then((response) => response.text());
  await new Promise((resolve) => setTimeout(resolve, 200));
  controller.abort();
  await assert.rejects(pending, { name: "AbortError" });
  for (let i = 0; i < 50 && !server.seen.cancelled.includes(id); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return server.seen.cancelled.includes(id);
}

Deno.test("slow: closing the response stream cancels the handler", async () => {
  // The request's SSE response is already open (auto mode upgraded by a progress notification).
  await withServer(async (server) => {
    assert.equal(
      await cancelSlow(server, "slow-progress", { progressToken: "t", padding: "x".repeat(2000) }),
      true,
    );
  });
  // responseMode "sse" opens the stream before the handler runs.
  const sse = await serveModern({ responseMode: "sse" });
  try {
    assert.equal(await cancelSlow(sse, "slow-sse", { padding: "x".repeat(2000) }), true);
  } finally {
    await sse.close();
  }
  // Not asserted: while a JSON reply is still pending (auto mode, no notification sent yet), Deno.serve
  // notices a client disconnect only for small requests (a few hundred bytes); a larger one runs on.
});

Deno.test("subscriptions/listen: acknowledged first, then list_changed and resources/updated", async () => {
  await withServer(async (server) => {
    const controller = new AbortController();
    const response = await fetch(server.url, {
      method: "POST",
      signal: controller.signal,
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": MODERN_VERSION,
        "mcp-method": "subscriptions/listen",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: "listen-1",
        method: "subscriptions/listen",
        params: {
          notifications: { toolsListChanged: true, resourceSubscriptions: [README_URI] },
          _meta: envelope(),
        },
      }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const nextMessage = async (): Promise<Record<string, unknown>> => {
      while (!buffer.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += value;
      }
      const end = buffer.indexOf("\n\n");
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      return parseMessages("text/event-stream", event + "\n\n")[0];
    };
    try {
      const ack = await nextMessage();
      assert.deepEqual(ack, {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: {
          notifications: { toolsListChanged: true, resourceSubscriptions: [README_URI] },
          _meta: { "io.modelcontextprotocol/subscriptionId": "listen-1" },
        },
      });
      server.notify.promptsChanged(); // not subscribed: filtered out
      server.addTool("late_tool");
      assert.deepEqual(await nextMessage(), {
        jsonrpc: "2.0",
        method: "notifications/tools/list_changed",
        params: { _meta: { "io.modelcontextprotocol/subscriptionId": "listen-1" } },
      });
      server.resourceUpdated();
      assert.deepEqual(await nextMessage(), {
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: README_URI, _meta: { "io.modelcontextprotocol/subscriptionId": "listen-1" } },
      });
      const tools = resultOf(await post(server, "tools/list")).tools as { name: string }[];
      assert.ok(tools.some((t) => t.name === "late_tool"));
    } finally {
      await reader.cancel().catch(() => {});
      controller.abort();
    }
  });
});
