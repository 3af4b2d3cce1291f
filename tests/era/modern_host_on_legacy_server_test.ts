import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { finishRaw, type Host, netFor, spawnRaw, withServerAndHost } from "../_fixtures/bridge_host.ts";
import { answeringHost, HOST_ROOT, SAMPLED_TEXT } from "../_fixtures/answering_host.ts";
import { assertModernTraffic } from "../_fixtures/modern_schema.ts";
import { serveTestServer, type TestServer } from "../_fixtures/test_server.ts";
import { until } from "../_fixtures/waiting.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": { roots: {} },
  "io.modelcontextprotocol/clientInfo": { name: "modern-host", version: "9.9" },
};

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

/** A 2026-07-28 host (the SDK client pinned to it) in front of the SDK's 2025-era test server. */
function withModernHost(
  hostOptions: Parameters<typeof withServerAndHost>[1],
  fn: (server: TestServer, host: Host) => Promise<void>,
): Promise<void> {
  return withServerAndHost(() => serveTestServer({ mode: "stateful" }), { ...hostOptions, modern: true }, fn);
}

Deno.test("a 2026-07-28 host in front of a 2025-era server: the bridge initializes with the host's _meta and translates back", async () => {
  const seen: { method: string; rpc?: string; body?: Record<string, unknown> }[] = [];
  const server = await serveExample({
    mode: "stateful",
    intercept: async (request) => {
      const text = request.method === "POST" ? await request.clone().text() : "";
      const body = text ? JSON.parse(text) : undefined;
      seen.push({ method: request.method, rpc: body?.method, body });
      return undefined;
    },
  });
  const raw = spawnRaw([server.url.href], { net: [netFor(server.url)] });
  const received: Record<string, unknown>[] = [];
  const sent: Record<string, unknown>[] = [];
  const send = async (message: Record<string, unknown>) => {
    sent.push(message);
    await raw.write(JSON.stringify(message) + "\n");
    const reply = JSON.parse(await raw.readLine());
    received.push(reply);
    return reply;
  };
  try {
    const discover = await send({
      jsonrpc: "2.0",
      id: "d1",
      method: "server/discover",
      params: { _meta: META },
    });
    assert.equal(discover.id, "d1");
    assert.equal(discover.result.resultType, "complete");
    assert.deepEqual(discover.result.supportedVersions, ["2026-07-28"]);
    // The server's identity is where the 2026-07-28 schema puts it, and nowhere else.
    assert.deepEqual(discover.result._meta["io.modelcontextprotocol/serverInfo"], {
      name: "mcp-bridge-example",
      version: "1.0.0",
    });
    assert.equal("serverInfo" in discover.result, false);
    assert.equal(discover.result.instructions, "An example server bundled with mcp-bridge.");
    assert.ok(discover.result.capabilities.tools);
    // Honest caching hints: the 2025-era server promised nothing.
    assert.equal(discover.result.ttlMs, 0);
    assert.equal(discover.result.cacheScope, "private");

    const call = { name: "echo", arguments: { text: "modern → legacy" }, _meta: META };
    const echo = await send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: call });
    assert.equal(echo.id, 2);
    assert.equal(echo.result.resultType, "complete");
    assert.deepEqual(echo.result.content, [{ type: "text", text: "modern → legacy" }]);
    const list = await send({ jsonrpc: "2.0", id: 3, method: "tools/list", params: { _meta: META } });
    assert.equal(list.result.ttlMs, 0);
    assert.equal(list.result.cacheScope, "private");
    assert.equal(list.result._meta["io.modelcontextprotocol/serverInfo"].name, "mcp-bridge-example");
  } finally {
    await finishRaw(raw);
    await server.close();
  }
  assert.equal(await assertModernTraffic(received, sent), 3);
  // The bridge sent initialize itself, with the host's capabilities and identity, exactly once.
  const initializes = seen.filter((s) => s.rpc === "initialize");
  assert.equal(initializes.length, 1, JSON.stringify(seen.map((s) => s.rpc ?? s.method)));
  const params = initializes[0]!.body!.params as Record<string, unknown>;
  assert.deepEqual(params.capabilities, { roots: {} });
  assert.deepEqual(params.clientInfo, { name: "modern-host", version: "9.9" });
  assert.ok(seen.some((s) => s.rpc === "notifications/initialized"));
  // The 2025-era server gets 2025 requests: the bridge's own ids, no 2026-07-28 protocol fields.
  const forwarded = seen.find((s) => s.rpc === "tools/call")!.body!;
  assert.equal(typeof forwarded.id, "number");
  assert.equal((forwarded.params as { _meta?: unknown })._meta, undefined);
  assert.ok(seen.some((s) => s.method === "DELETE"), "the session was deleted at exit");
  assert.equal(server.sessions.size, 0);
});

Deno.test("a 2026-07-28 host sees the 2025-era server's name, every list, prompts, resources and progress, all schema-valid", async () => {
  await withModernHost({}, async (_server, host) => {
    const { client } = host;
    assert.deepEqual(client.getServerVersion(), { name: "mcp-bridge-example", version: "1.0.0" });
    assert.equal(client.getInstructions(), "An example server bundled with mcp-bridge.");
    const tools = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes("echo") && tools.includes("countdown"), tools.join());
    assert.deepEqual((await client.listPrompts()).prompts.map((p) => p.name), ["greet"]);
    assert.deepEqual((await client.listResources()).resources.map((r) => r.uri), ["demo://readme"]);
    assert.deepEqual((await client.listResourceTemplates()).resourceTemplates, []);
    const read = await client.readResource({ uri: "demo://readme" });
    assert.match(String((read.contents[0] as { text?: string }).text), /Served through mcp-bridge/);
    const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    assert.deepEqual(prompt.messages[0]!.content, { type: "text", text: "Say hello to Ada." });
    const progress: number[] = [];
    const done = await client.callTool({ name: "countdown", arguments: { n: 3, delayMs: 30 } }, {
      onprogress: (p) => void progress.push(p.progress),
    });
    assert.equal(text(done), "Lift-off!");
    assert.deepEqual(progress, [1, 2, 3]);
    const checked = await assertModernTraffic(host.received, host.sent);
    assert.ok(checked >= 10, `${checked} messages checked`);
  });
});

Deno.test("a 2026-07-28 host answers the 2025-era server's sampling, elicitation and roots requests as input_required rounds", async () => {
  await withModernHost(answeringHost({ name: "Ada" }).options, async (_server, host) => {
    const sampled = await host.client.callTool({ name: "ask_sampling", arguments: {} });
    assert.match(text(sampled), new RegExp(`model said: .*${SAMPLED_TEXT}`));
    const elicited = await host.client.callTool({ name: "ask_elicitation", arguments: {} });
    assert.equal(text(elicited), 'accept: {"name":"Ada"}');
    const roots = await host.client.callTool({ name: "ask_roots", arguments: {} });
    assert.deepEqual(JSON.parse(text(roots)).roots, [HOST_ROOT]);
    // Three rounds: each call got an input_required result, and its retry the final one.
    const rounds = host.received.filter((m) =>
      (m.result as { resultType?: string })?.resultType === "input_required"
    );
    assert.equal(rounds.length, 3);
    const methods = rounds.map((m) =>
      Object.values((m.result as { inputRequests: Record<string, { method: string }> }).inputRequests)[0]!
        .method
    );
    assert.deepEqual(methods, ["sampling/createMessage", "elicitation/create", "roots/list"]);
    await assertModernTraffic(host.received, host.sent);
  });
});

Deno.test("a 2026-07-28 host hears list_changed and resource updates on its listen stream, also after the 2025 session expired", async () => {
  await withModernHost({}, async (server, host) => {
    const { client } = host;
    const updates: string[] = [];
    let listChanged = 0;
    client.setNotificationHandler("notifications/resources/updated", (n) => void updates.push(n.params.uri));
    client.setNotificationHandler("notifications/tools/list_changed", () => void listChanged++);
    const subscription = await client.listen({
      toolsListChanged: true,
      resourceSubscriptions: ["demo://readme"],
    });
    assert.deepEqual(subscription.honoredFilter, {
      toolsListChanged: true,
      resourceSubscriptions: ["demo://readme"],
    });
    assert.deepEqual([...server.seen.subscribed], ["demo://readme"], "the bridge subscribed on the server");

    assert.equal(
      text(await client.callTool({ name: "touch", arguments: { uri: "demo://readme" } })),
      "announced",
    );
    await until("the resource update", () => updates.length === 1);
    assert.equal(text(await client.callTool({ name: "add_tool", arguments: {} })), "added_1");
    await until("tools/list_changed", () => listChanged >= 1);
    assert.ok((await client.listTools()).tools.some((t) => t.name === "added_1"));

    // The server forgets every session: the bridge starts a new one and subscribes again by itself.
    for (const transport of server.sessions.values()) await transport.close();
    server.sessions.clear();
    await until("the subscription made again", () => server.seen.subscribeCalls.length === 2, 10_000);
    assert.equal(
      text(await client.callTool({ name: "touch", arguments: { uri: "demo://readme" } })),
      "announced",
    );
    await until("the update after the new session", () => updates.length === 2);
    assert.deepEqual(updates, ["demo://readme", "demo://readme"]);

    await subscription.close();
    await until("the server unsubscribed", () => server.seen.subscribed.size === 0);
    const notifications = host.received.filter((m) =>
      m.method === "notifications/resources/updated" || m.method === "notifications/tools/list_changed"
    );
    for (const n of notifications) {
      const meta = (n.params as { _meta?: Record<string, unknown> })._meta;
      assert.ok(meta?.["io.modelcontextprotocol/subscriptionId"] !== undefined, JSON.stringify(n));
    }
    await assertModernTraffic(host.received, host.sent);
  });
});

Deno.test("a 2026-07-28 host gets log messages only for a request that asked, at its level; cancellation reaches the 2025-era server", async () => {
  await withModernHost({}, async (server, host) => {
    const lines: string[] = [];
    host.client.setNotificationHandler(
      "notifications/message",
      (n) => void lines.push(String(n.params.data)),
    );
    await host.client.callTool({ name: "log", arguments: { count: 3 } });
    assert.deepEqual(lines, [], "no log level asked: no log messages");
    await host.client.callTool({
      name: "log",
      arguments: { count: 3 },
      _meta: { "io.modelcontextprotocol/logLevel": "info" },
    });
    await until("three log lines", () => lines.length === 3);
    assert.deepEqual(lines, ["line 0", "line 1", "line 2"]);
    await host.client.callTool({
      name: "log",
      arguments: { count: 3 },
      _meta: { "io.modelcontextprotocol/logLevel": "error" },
    });
    assert.equal(lines.length, 3, "info lines are below the error level asked for");

    const abort = new AbortController();
    const call = host.client.callTool({ name: "slow", arguments: { ms: 5000 } }, { signal: abort.signal });
    await until(
      "the slow call on the server",
      () => server.seen.requests.filter((r) => r.rpc === "tools/call").length === 4,
    );
    abort.abort("user pressed stop");
    await assert.rejects(call);
    await until("the server saw the cancellation", () => server.seen.cancelled.length === 1);
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "after" } })), "after");
    await assertModernTraffic(host.received, host.sent);
  });
});

Deno.test("a 2026-07-28 host in front of a 2025-era server answering in JSON: server requests on the GET stream still become input_required", async () => {
  await withServerAndHost(() => serveTestServer({ mode: "json" }), {
    modern: true,
    clientOptions: { capabilities: { elicitation: { form: {} } } },
    setup: (client) => {
      client.setRequestHandler(
        "elicitation/create",
        () => ({ action: "accept", content: { name: "Grace" } }),
      );
    },
  }, async (_server, host) => {
    // A JSON-response server cannot put a request in a tool call's response: it sends it on its GET stream.
    const elicited = await host.client.callTool({ name: "ask_elicitation", arguments: {} });
    assert.equal(text(elicited), 'accept: {"name":"Grace"}');
    assert.ok(
      host.received.some((m) => (m.result as { resultType?: string })?.resultType === "input_required"),
    );
    await assertModernTraffic(host.received, host.sent);
  });
});

Deno.test("a 2026-07-28 host gets the bridge's own errors and filtered lists in schema-valid form", async () => {
  await withModernHost({ args: ["--ignore-tool", "echo"] }, async (_server, host) => {
    const names = (await host.client.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("echo") && names.includes("add"), names.join());
    await assert.rejects(host.client.callTool({ name: "echo", arguments: { text: "x" } }), /not available/);
    const error = host.received.find((m) => "error" in m) as { error: { code: number } } | undefined;
    assert.equal(error?.error.code, -32602);
    await assertModernTraffic(host.received, host.sent);
  });
});
