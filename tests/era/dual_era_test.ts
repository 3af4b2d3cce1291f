/**
 * The 2026-07-28 era end to end: the real CLI (spawned with exact permissions) between a host and real
 * servers — the SDK's 2026-07-28 fixture (`serveModern`) and the 2025-era example server — proving era
 * detection and every translation the bridge makes for a 2025-era host, and the pass-through of a
 * 2026-07-28 host.
 */

import assert from "node:assert/strict";
import type {
  CreateMessageResult,
  ElicitResult,
  JSONRPCMessage,
  ListRootsResult,
} from "@modelcontextprotocol/client";
import { serveExample } from "../../src/demo/example_server.ts";
import {
  connectHost,
  finishRaw,
  type Host,
  HostConnectError,
  type HostOptions,
  netFor,
  spawnRaw,
  withServerAndHost,
} from "../_fixtures/bridge_host.ts";
import {
  CONFIRM_STATE,
  HEADER_TOOLS,
  MODERN_VERSION,
  type ModernServeOptions,
  type ModernServer,
  README_URI,
  serveModern,
} from "../_fixtures/modern_server.ts";

const VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
const LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel";
const HOST_INFO = { name: "test-host", version: "1.0.0" };
const HOST_CAPABILITIES = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };
const SERVER_INFO = { name: "mcp-bridge-modern-fixture", version: "1.0.0" };
/** The prefix of the ids the bridge gives its own requests (src/transport/streamable_http.ts). */
const INTERNAL_ID = /^mcp-bridge/;

type Json = Record<string, unknown>;

/** One JSON-RPC message the modern server received over HTTP, with the request's headers. */
interface Rpc {
  method?: string;
  id?: string | number;
  params?: Json;
  headers: Record<string, string>;
  body: string;
}

function rpcs(server: ModernServer): Rpc[] {
  return server.requests.filter((r) => r.method === "POST" && r.body !== "").map((r) => {
    const message = JSON.parse(r.body) as Omit<Rpc, "headers" | "body">;
    return { ...message, headers: r.headers, body: r.body };
  });
}

function methods(server: ModernServer): string[] {
  return rpcs(server).map((r) => r.method ?? "(response)");
}

function metaOf(rpc: Rpc): Json {
  return (rpc.params?._meta ?? {}) as Json;
}

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined) ?? []).map((c) => c.text ?? "").join("");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 20 ms; fails after `ms` with `what` in the message. */
async function waitFor(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await delay(20);
  }
}

/** Records every message the host's SDK client receives from and sends to the bridge. */
function tap(host: Host): { received: JSONRPCMessage[]; sent: JSONRPCMessage[] } {
  const transport = host.client.transport!;
  const received: JSONRPCMessage[] = [];
  const sent: JSONRPCMessage[] = [];
  const onmessage = transport.onmessage!;
  transport.onmessage = (message, extra) => {
    received.push(message);
    onmessage.call(transport, message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    sent.push(message);
    return send(message, options);
  };
  return { received, sent };
}

/** Runs `fn` with a modern server and a host connected to it through the bridge, then stops both. */
function withModern(
  serverOptions: ModernServeOptions,
  hostOptions: HostOptions,
  fn: (server: ModernServer, host: Host) => Promise<void>,
): Promise<void> {
  return withServerAndHost(() => serveModern(serverOptions), hostOptions, fn);
}

/** A host declaring sampling, elicitation and roots, with handlers for all three. */
function mrtrHost(
  handlers: {
    elicit?: (params: Json) => Promise<ElicitResult>;
    sample?: (params: Json) => CreateMessageResult;
    roots?: () => ListRootsResult;
  } = {},
): HostOptions {
  return {
    clientOptions: { capabilities: HOST_CAPABILITIES },
    setup: (client) => {
      client.setRequestHandler(
        "elicitation/create",
        (request) => handlers.elicit?.(request.params as Json) ?? Promise.resolve({ action: "decline" }),
      );
      client.setRequestHandler(
        "sampling/createMessage",
        (request) =>
          handlers.sample?.(request.params as Json) ??
            { model: "m", role: "assistant", content: { type: "text", text: "?" } },
      );
      client.setRequestHandler("roots/list", () => handlers.roots?.() ?? { roots: [] });
    },
  };
}

Deno.test("era detection: one bridge source speaks to a 2026-07-28 server and to a 2025-era one", async () => {
  // A 2026-07-28 server: initialize is answered from server/discover and never reaches the server.
  await withModern({}, {}, async (server, host) => {
    assert.deepEqual(host.client.getServerVersion(), SERVER_INFO);
    assert.equal(host.client.getInstructions(), "A 2026-07-28 test server for mcp-bridge.");
    const capabilities = host.client.getServerCapabilities()!;
    assert.deepEqual(capabilities.tools, { listChanged: true });
    assert.deepEqual(capabilities.resources, { subscribe: true, listChanged: true });
    assert.deepEqual(capabilities.prompts, { listChanged: true });
    assert.deepEqual(capabilities.logging, {});
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "modern" } })), "modern");
    await host.client.listTools();
    assert.equal(text(await host.client.callTool({ name: "add", arguments: { a: 2, b: 3 } })), "5");
    const seen = methods(server);
    assert.ok(!seen.includes("initialize"), `no initialize reached the server: ${seen}`);
    assert.ok(!seen.includes("notifications/initialized"), `no initialized reached the server: ${seen}`);
    assert.equal(seen[0], "server/discover");
    assert.equal(seen.filter((m) => m === "server/discover").length, 1, `one probe per process: ${seen}`);
  });

  // A 2025-era server behind the same binary: the probe creates no session, one initialize follows.
  const posted: string[] = [];
  const legacy = await serveExample({
    mode: "stateful",
    intercept: async (request) => {
      if (request.method === "POST") {
        const body = JSON.parse(await request.clone().text()) as { method?: string };
        posted.push(body.method ?? "(response)");
      }
      return undefined;
    },
  });
  try {
    const host = await connectHost(legacy.url);
    try {
      assert.deepEqual(host.client.getServerVersion(), { name: "mcp-bridge-example", version: "1.0.0" });
      assert.equal(host.client.getInstructions(), "An example server bundled with mcp-bridge.");
      assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "old" } })), "old");
      await host.client.listTools();
      assert.equal(legacy.sessions.size, 1, "exactly one session: the probe created none");
      assert.deepEqual(posted.slice(0, 2), ["server/discover", "initialize"]);
      assert.equal(posted.filter((m) => m === "server/discover").length, 1, `one probe: ${posted}`);
      assert.equal(posted.filter((m) => m === "initialize").length, 1, `no second initialize: ${posted}`);
    } finally {
      await host.close();
    }
  } finally {
    await legacy.close();
  }
});

/** Connects with `args` and returns the connect failure (a connect that succeeds fails the test). */
async function connectFailure(server: ModernServer, args: string[]): Promise<HostConnectError> {
  const failure = await connectHost(server.url, { args }).then(
    async (host) => {
      await host.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  assert.ok(failure instanceof HostConnectError, `the connect failed: ${failure}`);
  return failure;
}

Deno.test({
  name: "--protocol legacy against a 2026-07-28 server fails with the server's -32022",
  fn: async () => {
    const server = await serveModern();
    try {
      const failure = await connectFailure(server, ["--protocol", "legacy"]);
      assert.match(failure.clientError.message, /Unsupported protocol version/);
      assert.equal((failure.clientError as { code?: number }).code, -32022);
      assert.deepEqual(methods(server), ["initialize"], "no probe with --protocol legacy, no fallback");
    } finally {
      await server.close();
    }
  },
});

Deno.test("--protocol legacy --transport http-only: the server's -32022 reaches the host", async () => {
  const server = await serveModern();
  try {
    const failure = await connectFailure(server, ["--protocol", "legacy", "--transport", "http-only"]);
    assert.match(failure.clientError.message, /Unsupported protocol version: 2025-11-25/);
    assert.equal((failure.clientError as { code?: number }).code, -32022);
    assert.deepEqual(methods(server), ["initialize"], "no server/discover probe with --protocol legacy");
  } finally {
    await server.close();
  }
});

Deno.test("--protocol modern against a 2026-07-28 server translates exactly as auto does", async () => {
  await withModern({}, { args: ["--protocol", "modern"] }, async (server, host) => {
    assert.deepEqual(host.client.getServerVersion(), SERVER_INFO);
    assert.equal(host.client.getInstructions(), "A 2026-07-28 test server for mcp-bridge.");
    await host.client.ping();
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "m" } })), "m");
    const names = (await host.client.listTools()).tools.map((t) => t.name);
    for (const bad of HEADER_TOOLS.invalid) assert.ok(!names.includes(bad), bad);
    // Everything but the subscription stream (opened after initialized, see the subscriptions test).
    const sent = rpcs(server).filter((r) => r.method !== "subscriptions/listen");
    assert.deepEqual(sent.map((r) => r.method), ["server/discover", "tools/call", "tools/list"]);
    const call = sent[1]!;
    assert.equal(call.headers["mcp-protocol-version"], MODERN_VERSION);
    assert.equal(call.headers["mcp-name"], "echo");
    assert.deepEqual(metaOf(call)[CAPABILITIES_KEY], {});
    assert.deepEqual(metaOf(call)[CLIENT_INFO_KEY], HOST_INFO);
  });
});

Deno.test("translation: ping and logging/setLevel locally, _meta and headers on every request", async () => {
  await withModern({}, mrtrHost(), async (server, host) => {
    const logs: string[] = [];
    host.client.setNotificationHandler("notifications/message", (n) => void logs.push(String(n.params.data)));

    assert.deepEqual(await host.client.ping(), {});
    // Without a level the modern server logs nothing for the request.
    assert.equal(text(await host.client.callTool({ name: "log", arguments: { count: 2 } })), "logged");
    await delay(100);
    assert.deepEqual(logs, []);

    await host.client.setLoggingLevel("info");
    assert.equal(text(await host.client.callTool({ name: "log", arguments: { count: 3 } })), "logged");
    await waitFor("three info lines", () => logs.length >= 3);
    await delay(50);
    assert.deepEqual(logs, ["line 0", "line 1", "line 2"]);

    logs.length = 0;
    await host.client.setLoggingLevel("debug");
    assert.equal(text(await host.client.callTool({ name: "log", arguments: { count: 1 } })), "logged");
    await waitFor("debug and info lines", () => logs.length >= 2);
    await delay(50);
    assert.deepEqual(logs, ["debug line", "line 0"]);

    const resource = await host.client.readResource({ uri: README_URI });
    assert.deepEqual(resource.contents, [{
      uri: README_URI,
      mimeType: "text/markdown",
      text: "# Modern\nServed by createMcpHandler.",
    }]);
    const prompt = await host.client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    assert.deepEqual(prompt.messages, [{
      role: "user",
      content: { type: "text", text: "Say hello to Ada." },
    }]);
    assert.ok((await host.client.listResources()).resources.some((r) => r.uri === README_URI));
    assert.ok((await host.client.listPrompts()).prompts.some((p) => p.name === "greet"));

    const all = rpcs(server);
    const seen = all.map((r) => r.method);
    for (const local of ["initialize", "notifications/initialized", "ping", "logging/setLevel"]) {
      assert.ok(!seen.includes(local), `${local} never reached the server: ${seen}`);
    }
    // The log level travels in _meta: absent on the first log call, then info, then debug.
    const logCalls = all.filter((r) => r.method === "tools/call" && r.params?.name === "log");
    assert.deepEqual(logCalls.map((r) => metaOf(r)[LOG_LEVEL_KEY]), [undefined, "info", "debug"]);

    const expectName: Record<string, string> = {
      "tools/call": "name",
      "resources/read": "uri",
      "prompts/get": "name",
    };
    // The probe goes out before the host's initialize (so without the host's identity); everything after
    // it carries the host's capabilities and clientInfo.
    const [probe, ...rest] = all;
    assert.equal(probe?.method, "server/discover");
    assert.equal(probe.headers["mcp-protocol-version"], MODERN_VERSION);
    assert.equal(metaOf(probe)[VERSION_KEY], MODERN_VERSION);
    const requests = rest.filter((r) => r.method !== "subscriptions/listen");
    assert.deepEqual(
      [...new Set(requests.map((r) => r.method))].sort(),
      ["prompts/get", "prompts/list", "resources/list", "resources/read", "tools/call"],
    );
    for (const rpc of rest) {
      const meta = metaOf(rpc);
      assert.equal(meta[VERSION_KEY], MODERN_VERSION, `${rpc.method} carries _meta protocolVersion`);
      assert.equal(rpc.headers["mcp-protocol-version"], meta[VERSION_KEY], `${rpc.method}: header = _meta`);
      assert.equal(rpc.headers["mcp-method"], rpc.method);
      assert.deepEqual(meta[CAPABILITIES_KEY], HOST_CAPABILITIES, `${rpc.method}: the host's capabilities`);
      assert.deepEqual(meta[CLIENT_INFO_KEY], HOST_INFO, `${rpc.method}: the host's clientInfo`);
      const source = expectName[rpc.method!];
      if (source) assert.equal(rpc.headers["mcp-name"], rpc.params?.[source], `${rpc.method}: Mcp-Name`);
      else assert.equal(rpc.headers["mcp-name"], undefined, `${rpc.method}: no Mcp-Name`);
    }
    assert.deepEqual(server.seen.errors, []);
  });
});

Deno.test("x-mcp-header: invalid tools hidden with a warning, Mcp-Param-* headers, HeaderMismatch retry", async () => {
  const mismatchIds: unknown[] = [];
  const intercept = async (request: Request): Promise<Response | undefined> => {
    if (request.method !== "POST") return undefined;
    const body = JSON.parse(await request.clone().text()) as { id?: unknown; method?: string; params?: Json };
    if (body.method !== "tools/call" || (body.params?.arguments as Json)?.text !== "always-mismatch") {
      return undefined;
    }
    mismatchIds.push(body.id);
    return Response.json({
      jsonrpc: "2.0",
      id: body.id,
      error: { code: -32020, message: "Header mismatch (forced by the test)" },
    }, { status: 400 });
  };
  await withModern({ intercept }, {}, async (server, host) => {
    // Called before any tools/list: the bridge has no header plan yet, the server answers -32020 for
    // the missing Mcp-Param-Tenant, the bridge lists the tools once and retries with the header.
    const first = await host.client.callTool({ name: "tenant_tool", arguments: { tenant: "acme" } });
    assert.equal(text(first), "tenant=acme");
    const early = rpcs(server).slice(1).filter((r) => r.method !== "subscriptions/listen");
    assert.deepEqual(early.map((r) => r.method), ["tools/call", "tools/list", "tools/call"]);
    assert.equal(early[0]!.headers["mcp-param-tenant"], undefined);
    assert.match(String(early[1]!.id), INTERNAL_ID);
    assert.equal(early[2]!.headers["mcp-param-tenant"], "acme");

    const tools = (await host.client.listTools()).tools.map((t) => t.name);
    for (const name of HEADER_TOOLS.valid) assert.ok(tools.includes(name), `${name} is listed`);
    for (const name of HEADER_TOOLS.invalid) assert.ok(!tools.includes(name), `${name} is hidden`);
    assert.ok(tools.includes("echo") && tools.includes("confirm"));
    const reasons: Record<(typeof HEADER_TOOLS.invalid)[number], RegExp> = {
      bad_empty_header: /is empty/,
      bad_space_header: /not an RFC 9110 token: "My Header"/,
      bad_duplicate_header: /repeats another case-insensitively/,
      bad_number_header: /not a string, integer or boolean: type "number"/,
      bad_object_header: /not a string, integer or boolean: type "object"/,
      bad_items_header: /not reachable through properties alone/,
    };
    const stderr = host.stderr();
    for (const [name, reason] of Object.entries(reasons)) {
      const line = stderr.split("\n").find((l) => l.includes(`Hiding tool "${name}"`));
      assert.ok(line, `a warning names ${name}:\n${stderr}`);
      assert.match(line, /x-mcp-header annotation is invalid/);
      assert.match(line, reason);
    }

    const calls = async (
      name: string,
      args: Json,
    ): Promise<{ text: string; headers: Record<string, string> }> => {
      const before = server.seen.toolCalls.length;
      const result = await host.client.callTool({ name, arguments: args });
      const recorded = server.seen.toolCalls.slice(before).filter((c) => c.name === name);
      assert.equal(recorded.length, 1, `${name} was sent once`);
      return { text: text(result), headers: recorded[0]!.headers };
    };
    const plain = await calls("tenant_tool", { tenant: "us-west1", query: "q" });
    assert.equal(plain.text, "tenant=us-west1");
    assert.equal(plain.headers["mcp-param-tenant"], "us-west1");
    assert.equal(plain.headers["mcp-name"], "tenant_tool");

    const tenant = "Zürich ✓";
    const utf8 = String.fromCharCode(...new TextEncoder().encode(tenant));
    const encoded = await calls("tenant_tool", { tenant });
    assert.equal(encoded.text, `tenant=${tenant}`);
    assert.equal(encoded.headers["mcp-param-tenant"], `=?base64?${btoa(utf8)}?=`);

    const typed = await calls("typed_headers", { count: 42, verbose: true });
    assert.equal(typed.text, 'typed {"count":42,"verbose":true}');
    assert.equal(typed.headers["mcp-param-count"], "42");
    assert.equal(typed.headers["mcp-param-verbose"], "true");
    const falsy = await calls("typed_headers", { count: 0, verbose: false });
    assert.equal(falsy.headers["mcp-param-count"], "0");
    assert.equal(falsy.headers["mcp-param-verbose"], "false");
    const absent = await calls("typed_headers", { count: -7 });
    assert.equal(absent.text, 'typed {"count":-7}');
    assert.equal(absent.headers["mcp-param-count"], "-7");
    assert.ok(!("mcp-param-verbose" in absent.headers), "an absent value sends no header");

    // A null value omits the header too (the server's own argument validation then refuses null).
    const before = server.seen.toolCalls.length;
    await host.client.callTool({ name: "typed_headers", arguments: { count: 1, verbose: null } }).catch(
      () => {},
    );
    const nullCall = server.seen.toolCalls.slice(before).find((c) => c.name === "typed_headers");
    assert.ok(nullCall, "the call with a null value reached the server");
    assert.equal(nullCall.headers["mcp-param-count"], "1");
    assert.ok(!("mcp-param-verbose" in nullCall.headers), "a null value sends no header");

    // A mismatch that persists: exactly one re-list and one retry, then the server's error reaches the host.
    const listsBefore = methods(server).filter((m) => m === "tools/list").length;
    await assert.rejects(
      host.client.callTool({ name: "echo", arguments: { text: "always-mismatch" } }),
      /-32020|Header mismatch/,
    );
    assert.equal(mismatchIds.length, 2, `one retry only: ${JSON.stringify(mismatchIds)}`);
    assert.equal(methods(server).filter((m) => m === "tools/list").length, listsBefore + 1, "one re-list");
    // The bridge still works.
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "fine" } })), "fine");
  });
});

Deno.test("MRTR: input_required becomes host requests; retries carry the state byte-exact, new ids", async () => {
  const elicited: string[] = [];
  const sampled: Json[] = [];
  let rootsAsked = 0;
  const options = mrtrHost({
    elicit: async (params): Promise<ElicitResult> => {
      const message = String(params.message);
      elicited.push(message);
      // alpha answers last, so that parallel calls interleave their rounds.
      await delay(message.includes("alpha") ? 150 : 10);
      if (message === "First answer?") return { action: "accept", content: { value: "one" } };
      if (message === "Second answer?") return { action: "accept", content: { value: "two" } };
      if (message === "Anything?") return { action: "accept", content: { value: "x" } };
      return { action: "accept", content: { ok: !message.includes("beta") } };
    },
    sample: (params) => {
      sampled.push(params);
      return { model: "test-model", role: "assistant", content: { type: "text", text: "42" } };
    },
    roots: () => {
      rootsAsked++;
      return { roots: [{ uri: "file:///work", name: "work" }] };
    },
  });
  await withModern({}, options, async (server, host) => {
    const callsOf = (name: string) => server.seen.toolCalls.filter((c) => c.name === name);

    // Elicitation, with the non-ASCII, JSON-special requestState echoed byte-exact.
    const confirm = await host.client.callTool({ name: "confirm", arguments: { action: "deploy" } });
    assert.equal(text(confirm), 'accept: {"ok":true}');
    assert.deepEqual(elicited, ["Really deploy?"]);
    const [c0, c1, ...more] = callsOf("confirm");
    assert.equal(more.length, 0);
    assert.equal(c0!.hasRequestState, false);
    assert.equal(c1!.requestState, CONFIRM_STATE);
    assert.deepEqual(c1!.inputResponses, { confirm: { action: "accept", content: { ok: true } } });
    assert.deepEqual(c1!.arguments, { action: "deploy" });
    const retryBody = rpcs(server).find((r) => r.id === c1!.id)!.body;
    assert.ok(retryBody.includes(`"requestState":${JSON.stringify(CONFIRM_STATE)}`), retryBody);
    assert.notEqual(c0!.id, c1!.id);
    assert.match(String(c1!.id), INTERNAL_ID);
    assert.deepEqual(server.seen.rounds, ["confirm: -", `confirm: ${CONFIRM_STATE}`]);

    // Sampling.
    const ask = await host.client.callTool({ name: "ask_model", arguments: { question: "6*7?" } });
    assert.equal(text(ask), 'model said: {"type":"text","text":"42"}');
    assert.equal(sampled.length, 1);
    assert.deepEqual(sampled[0]!.messages, [{ role: "user", content: { type: "text", text: "6*7?" } }]);
    assert.equal(sampled[0]!.maxTokens, 10);
    assert.equal(callsOf("ask_model")[1]!.requestState, "ask_model:1");

    // Roots.
    const roots = await host.client.callTool({ name: "list_roots", arguments: {} });
    assert.equal(text(roots), 'roots: [{"uri":"file:///work","name":"work"}]');
    assert.equal(rootsAsked, 1);

    // Two rounds: two host round-trips, three requests, each with its own id and the latest state.
    elicited.length = 0;
    const two = await host.client.callTool({ name: "two_rounds", arguments: {} });
    assert.equal(text(two), 'first={"value":"one"} second={"value":"two"}');
    assert.deepEqual(elicited, ["First answer?", "Second answer?"]);
    const rounds = callsOf("two_rounds");
    assert.deepEqual(rounds.map((c) => c.requestState), [undefined, "round-1", 'round-2:{"value":"one"}']);
    assert.equal(new Set(rounds.map((c) => c.id)).size, 3);

    // No requestState in the result: the retry invents none.
    const noState = await host.client.callTool({ name: "no_state", arguments: {} });
    assert.equal(text(noState), 'no_state got {"value":"x"}');
    assert.deepEqual(server.seen.noStateRetries, [{ requestState: undefined, inputResponseKeys: ["q"] }]);
    assert.equal(callsOf("no_state").at(-1)!.hasRequestState, false);

    // In parallel: every call's retries carry its own state and its own answers.
    const before = server.seen.toolCalls.length;
    const [alpha, beta, model, twice] = await Promise.all([
      host.client.callTool({ name: "confirm", arguments: { action: "alpha" } }),
      host.client.callTool({ name: "confirm", arguments: { action: "beta" } }),
      host.client.callTool({ name: "ask_model", arguments: { question: "parallel?" } }),
      host.client.callTool({ name: "two_rounds", arguments: {} }),
    ]);
    assert.equal(text(alpha!), 'accept: {"ok":true}');
    assert.equal(text(beta!), 'accept: {"ok":false}');
    assert.equal(text(model!), 'model said: {"type":"text","text":"42"}');
    assert.equal(text(twice!), 'first={"value":"one"} second={"value":"two"}');
    const batch = server.seen.toolCalls.slice(before);
    const retries = batch.filter((c) => c.hasRequestState);
    const retryOf = (action: string) =>
      retries.find((c) => (c.arguments as Json | undefined)?.action === action && c.name === "confirm")!;
    assert.equal(retryOf("alpha").requestState, CONFIRM_STATE);
    assert.deepEqual(retryOf("alpha").inputResponses, {
      confirm: { action: "accept", content: { ok: true } },
    });
    assert.equal(retryOf("beta").requestState, CONFIRM_STATE);
    assert.deepEqual(retryOf("beta").inputResponses, {
      confirm: { action: "accept", content: { ok: false } },
    });
    assert.deepEqual(retries.filter((c) => c.name === "ask_model").map((c) => c.requestState), [
      "ask_model:1",
    ]);
    assert.deepEqual(
      retries.filter((c) => c.name === "two_rounds").map((c) => c.requestState),
      ["round-1", 'round-2:{"value":"one"}'],
    );
    assert.equal(batch.length, 9, "4 first requests and 5 retries");

    // Every request of the test had its own JSON-RPC id.
    const ids = server.seen.toolCalls.map((c) => JSON.stringify(c.id));
    assert.equal(new Set(ids).size, ids.length, `ids: ${ids}`);
    assert.deepEqual(server.seen.errors, []);
  });
});

for (
  const variant of [
    { name: "a progressToken", server: {} as ModernServeOptions, progress: true },
    { name: 'responseMode "sse"', server: { responseMode: "sse" } as ModernServeOptions, progress: false },
  ]
) {
  Deno.test(`cancellation (${variant.name}): the host's abort closes the HTTP request`, async () => {
    await withModern(variant.server, {}, async (server, host) => {
      const wire = tap(host);
      const abort = new AbortController();
      let progressed = 0;
      const call = host.client.callTool(
        { name: "slow", arguments: { ms: 10_000 } },
        { signal: abort.signal, ...(variant.progress ? { onprogress: () => void progressed++ } : {}) },
      );
      if (variant.progress) await waitFor("the first progress notification", () => progressed > 0);
      else {
        await waitFor(
          "the slow call at the server",
          () => server.seen.toolCalls.some((c) => c.name === "slow"),
        );
        await delay(200);
      }
      const request = wire.sent.find((m) => "method" in m && m.method === "tools/call") as { id: number };
      abort.abort("user pressed stop");
      await assert.rejects(call);
      await waitFor("the server's handler to see the abort", () => server.seen.cancelled.length > 0);
      assert.deepEqual(server.seen.cancelled, [String(request.id)]);
      assert.ok(wire.sent.some((m) => "method" in m && m.method === "notifications/cancelled"));
      assert.ok(!methods(server).includes("notifications/cancelled"), "cancelling is closing the request");
      // The bridge stays usable, and the host never gets a response for the cancelled request.
      assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "after" } })), "after");
      await delay(200);
      const late = wire.received.filter((m) => "id" in m && m.id === request.id && !("method" in m));
      assert.deepEqual(late, [], "no response to the cancelled request");
      assert.equal(server.seen.toolCalls.filter((c) => c.name === "slow").length, 1, "not re-issued");
    });
  });
}

for (const responseMode of ["json", "sse"] as const) {
  Deno.test(`large complete results (${responseMode}) go to a 2025-era host as the bytes they came in; input_required does not`, async () => {
    const unit = 'héllo wörld ✓ \u{1F680} "quoted" \\ \u2028 ';
    const big = unit.repeat(Math.ceil((1024 * 1024) / new TextEncoder().encode(unit).length));
    const elicited: string[] = [];
    const options: HostOptions = {
      ...mrtrHost({
        elicit: (params) => {
          elicited.push(String(params.message));
          return Promise.resolve({ action: "accept", content: { ok: true } });
        },
      }),
      args: ["--debug"],
    };
    await withModern({ responseMode }, options, async (_server, host) => {
      const [echo, small] = await Promise.all([
        host.client.callTool({ name: "echo", arguments: { text: big } }),
        host.client.callTool({ name: "add", arguments: { a: 1, b: 2 } }),
      ]);
      assert.ok(text(echo) === big, "the large result differs from what was sent");
      assert.equal(text(small), "3");
      // stderr is read on its own: the debug line may come a little after the answer.
      const passed = /The answer to \d+ \([\d.]+ MiB\) goes to the host as it came/;
      await waitFor("the large result to go as bytes", () => passed.test(host.stderr()));
      // A large input_required result is the bridge's to read: it asks the host, then answers the call.
      const before = host.stderr().match(/goes to the host as it came/g)!.length;
      const confirm = await host.client.callTool({
        name: "confirm",
        arguments: { action: "go", pad: 200_000 },
      });
      assert.equal(text(confirm), 'accept: {"ok":true}');
      assert.deepEqual(elicited.map((m) => m.trimEnd()), ["Really go?"]);
      await delay(200);
      assert.equal(host.stderr().match(/goes to the host as it came/g)!.length, before);
    });
  });
}

Deno.test("a response stream cut before the response: the request is sent again under a new id", async () => {
  let cuts = 0;
  const intercept = async (request: Request): Promise<Response | undefined> => {
    if (cuts > 0 || request.method !== "POST") return undefined;
    const body = JSON.parse(await request.clone().text()) as { method?: string; params?: Json };
    if (body.method !== "tools/call" || body.params?.name !== "progress") return undefined;
    cuts++;
    const token = (body.params._meta as Json | undefined)?.progressToken;
    const progress = {
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: token, progress: 0.5, message: "before the cut" },
    };
    // Deno.serve prints the stream's error ("Error: stream cut by the test") when it aborts the reply:
    // expected output, not a failure.
    let step = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (step++ === 0) {
          controller.enqueue(
            new TextEncoder().encode(`event: message\ndata: ${JSON.stringify(progress)}\n\n`),
          );
          return;
        }
        await delay(50);
        controller.error(new Error("stream cut by the test"));
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  };
  await withModern({ intercept }, {}, async (server, host) => {
    const wire = tap(host);
    const messages: string[] = [];
    const result = await host.client.callTool({ name: "progress", arguments: { n: 2 } }, {
      onprogress: (p) => void messages.push(p.message ?? String(p.progress)),
    });
    assert.equal(text(result), "progressed 2");
    assert.deepEqual(messages, ["before the cut", "step 1", "step 2"]);
    const hostId = (wire.sent.find((m) => "method" in m && m.method === "tools/call") as { id: number }).id;
    const calls = server.seen.toolCalls.filter((c) => c.name === "progress");
    assert.equal(calls.length, 2, "sent twice");
    assert.equal(calls[0]!.id, hostId);
    assert.notEqual(calls[1]!.id, calls[0]!.id);
    assert.match(String(calls[1]!.id), INTERNAL_ID);
    assert.deepEqual(calls[1]!.arguments, { n: 2 });
    assert.deepEqual(calls[1]!.meta, calls[0]!.meta, "the same params and _meta");
    const responses = wire.received.filter((m) => "id" in m && !("method" in m));
    assert.deepEqual(responses.map((m) => (m as { id: unknown }).id).filter((id) => id === hostId), [hostId]);
    assert.match(host.stderr(), /response stream of tools\/call broke; sending the request again/);
  });
});

Deno.test("subscriptions: resources/subscribe and list_changed ride a subscriptions/listen stream", async () => {
  await withModern({}, {}, async (server, host) => {
    const wire = tap(host);
    const updated: string[] = [];
    let toolsChanged = 0;
    host.client.setNotificationHandler(
      "notifications/resources/updated",
      (n) => void updated.push(n.params.uri),
    );
    host.client.setNotificationHandler("notifications/tools/list_changed", () => void toolsChanged++);
    const listens = () => rpcs(server).filter((r) => r.method === "subscriptions/listen");
    const filterOf = (rpc: Rpc | undefined) => rpc?.params?.notifications as Json | undefined;
    const lists = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };

    // After initialized: the list changes the server declares.
    await waitFor("a subscriptions/listen after initialized", () => listens().length > 0);
    assert.deepEqual(filterOf(listens()[0]), lists);

    assert.deepEqual(await host.client.subscribeResource({ uri: README_URI }), {});
    await waitFor(
      "a listen with the resource",
      () => filterOf(listens().at(-1))?.resourceSubscriptions !== undefined,
    );
    const listen = listens().at(-1)!;
    assert.deepEqual(filterOf(listen), { ...lists, resourceSubscriptions: [README_URI] });
    assert.equal(listen.headers["mcp-method"], "subscriptions/listen");
    assert.equal(listen.headers["mcp-protocol-version"], MODERN_VERSION);
    assert.equal(metaOf(listen)[VERSION_KEY], MODERN_VERSION);
    assert.ok(!methods(server).includes("resources/subscribe"), "answered by the bridge");

    // The server registers the stream a moment after the request arrives: publish until the host hears.
    const deadline = Date.now() + 5000;
    while (updated.length === 0 && Date.now() < deadline) {
      server.resourceUpdated();
      await delay(100);
    }
    assert.ok(updated.length > 0, "notifications/resources/updated reached the host");
    assert.deepEqual([...new Set(updated)], [README_URI]);
    const note = wire.received.find((m) =>
      "method" in m && m.method === "notifications/resources/updated"
    ) as {
      id?: unknown;
      params: Json;
    };
    assert.equal(note.id, undefined);
    assert.equal(note.params.uri, README_URI);

    server.addTool("late_tool");
    await waitFor("notifications/tools/list_changed at the host", () => toolsChanged > 0);
    assert.ok((await host.client.listTools()).tools.some((t) => t.name === "late_tool"));
    assert.ok(
      !wire.received.some((m) => "method" in m && m.method === "notifications/subscriptions/acknowledged"),
      "the acknowledgement stays in the bridge",
    );

    assert.deepEqual(await host.client.unsubscribeResource({ uri: README_URI }), {});
    await waitFor(
      "a listen without the resource",
      () => filterOf(listens().at(-1))?.resourceSubscriptions === undefined,
    );
    assert.deepEqual(filterOf(listens().at(-1)), lists);
    assert.ok(!methods(server).includes("resources/unsubscribe"));
  });
});

Deno.test("a 2026-07-28 host is passed through with the headers added and its own ids", async () => {
  const server = await serveModern();
  const raw = spawnRaw([server.url.href], { net: [netFor(server.url)] });
  try {
    const meta = {
      [VERSION_KEY]: MODERN_VERSION,
      [CAPABILITIES_KEY]: { elicitation: { form: {} } },
      [CLIENT_INFO_KEY]: { name: "modern-host", version: "2.0.0" },
    };
    const send = (message: Json) => raw.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);

    await send({ id: "discover-1", method: "server/discover", params: { _meta: meta } });
    const discover = JSON.parse(await raw.readLine(15_000));
    assert.equal(discover.id, "discover-1");
    assert.equal(discover.result.resultType, "complete");
    assert.deepEqual(discover.result.supportedVersions, [MODERN_VERSION]);

    await send({
      id: 42,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "modern host" }, _meta: meta },
    });
    const call = JSON.parse(await raw.readLine());
    assert.equal(call.id, 42);
    assert.equal(call.result.resultType, "complete");
    assert.deepEqual(call.result.content, [{ type: "text", text: "modern host" }]);

    await send({ id: 43, method: "tools/list", params: { _meta: meta } });
    const list = JSON.parse(await raw.readLine());
    assert.equal(list.id, 43);
    assert.equal(list.result.resultType, "complete");
    const names = (list.result.tools as { name: string }[]).map((t) => t.name);
    assert.ok(names.includes("tenant_tool") && !names.some((n) => n.startsWith("bad_")), `${names}`);

    const status = await finishRaw(raw);
    assert.equal(status.code, 0, raw.stderr());
    assert.equal(raw.stdout().split("\n").length, 4, "three responses, nothing else");

    const all = rpcs(server);
    assert.deepEqual(all.map((r) => r.method), [
      "server/discover",
      "server/discover",
      "tools/call",
      "tools/list",
    ]);
    assert.match(String(all[0]!.id), INTERNAL_ID, "the bridge's own probe");
    const [, hostDiscover, hostCall, hostList] = all;
    assert.equal(hostDiscover!.id, "discover-1");
    assert.equal(hostCall!.id, 42);
    assert.equal(hostList!.id, 43);
    for (const rpc of [hostDiscover!, hostCall!, hostList!]) {
      assert.deepEqual(metaOf(rpc), meta, `${rpc.method}: the host's _meta as sent`);
      assert.equal(rpc.headers["mcp-protocol-version"], MODERN_VERSION);
      assert.equal(rpc.headers["mcp-method"], rpc.method);
    }
    assert.equal(hostCall!.headers["mcp-name"], "echo");
  } finally {
    await finishRaw(raw);
    await server.close();
  }
});
