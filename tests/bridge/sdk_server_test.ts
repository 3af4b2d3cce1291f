import assert from "node:assert/strict";
import type { ServeOptions } from "../../src/demo/example_server.ts";
import { answeringHost, HOST_ROOT, SAMPLED_TEXT } from "../_fixtures/answering_host.ts";
import { type Host, type HostOptions, withServerAndHost } from "../_fixtures/bridge_host.ts";
import { MemoryEventStore, serveTestServer, type TestServer } from "../_fixtures/test_server.ts";

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

/** Runs `fn` with a test server and a host connected to it through the bridge, then stops both. */
function withBridge(
  serverOptions: ServeOptions,
  hostOptions: HostOptions,
  fn: (server: TestServer, host: Host) => Promise<void>,
): Promise<void> {
  return withServerAndHost(() => serveTestServer(serverOptions), hostOptions, fn);
}

Deno.test("bridge passes sampling, elicitation and roots requests to the host and its answers back", async () => {
  const { options } = answeringHost({ name: "Ada" });
  await withBridge({ mode: "stateful" }, options, async (_server, host) => {
    const sampled = await host.client.callTool({ name: "ask_sampling", arguments: {} });
    assert.match(text(sampled), new RegExp(`model said: .*${SAMPLED_TEXT}`));
    const elicited = await host.client.callTool({ name: "ask_elicitation", arguments: {} });
    assert.equal(text(elicited), 'accept: {"name":"Ada"}');
    const roots = await host.client.callTool({ name: "ask_roots", arguments: {} });
    assert.deepEqual(JSON.parse(text(roots)).roots, [HOST_ROOT]);
  });
});

Deno.test("bridge relays logging notifications in order", async () => {
  const lines: string[] = [];
  await withBridge({ mode: "stateful" }, {
    setup: (client) => {
      client.setNotificationHandler("notifications/message", (n) => void lines.push(String(n.params.data)));
    },
  }, async (_server, host) => {
    await host.client.setLoggingLevel("debug");
    const result = await host.client.callTool({ name: "log", arguments: { count: 50 } });
    assert.equal(text(result), "logged");
    // Notification handlers run asynchronously in the SDK: give the last ones a moment.
    for (let i = 0; i < 50 && lines.length < 50; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(lines, Array.from({ length: 50 }, (_, i) => `line ${i}`));
  });
});

Deno.test("bridge forwards the host's cancellation and stops waiting for the response", async () => {
  await withBridge({ mode: "stateful" }, {}, async (server, host) => {
    const abort = new AbortController();
    const call = host.client.callTool({ name: "slow", arguments: { ms: 5000 } }, { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 200));
    abort.abort("user pressed stop");
    await assert.rejects(call);
    for (let i = 0; i < 100 && server.seen.cancelled.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(server.seen.cancelled.length, 1, "the server's handler saw the cancellation");
    // The bridge is still healthy afterwards.
    const echo = await host.client.callTool({ name: "echo", arguments: { text: "after" } });
    assert.equal(text(echo), "after");
  });
});

Deno.test("bridge resumes a cut response stream with GET and Last-Event-ID", async () => {
  await withBridge(
    {
      mode: "stateful",
      eventStore: () => new MemoryEventStore(),
      retryInterval: 50,
    },
    {},
    async (server, host) => {
      const progress: number[] = [];
      const result = await host.client.callTool({ name: "cut", arguments: {} }, {
        onprogress: (p) => void progress.push(p.progress),
      });
      assert.equal(text(result), "survived the cut");
      assert.deepEqual(progress, [1, 2]);
      const resumes = server.seen.requests.filter((r) => r.method === "GET" && r.lastEventId);
      assert.ok(resumes.length >= 1, "a GET with Last-Event-ID resumed the stream");
    },
  );
});

Deno.test("bridge waits the SSE retry interval the server asked for before resuming", async () => {
  await withBridge(
    { mode: "stateful", eventStore: () => new MemoryEventStore(), retryInterval: 1500 },
    {},
    async (server, host) => {
      const result = await host.client.callTool({ name: "cut", arguments: {} });
      assert.equal(text(result), "survived the cut");
      const resume = server.seen.requests.find((r) => r.method === "GET" && r.lastEventId);
      assert.ok(resume && server.seen.cutAt[0] !== undefined, "the stream was cut and resumed");
      const waited = resume.at - server.seen.cutAt[0]!;
      // The default delay is 1 s: only honouring `retry: 1500` makes the wait this long.
      assert.ok(waited >= 1400, `resumed after ${waited.toFixed(0)} ms`);
      assert.ok(waited < 4000, `resumed after ${waited.toFixed(0)} ms`);
    },
  );
});

Deno.test("bridge re-initializes transparently when the server forgets the session", async () => {
  await withBridge({ mode: "stateful" }, {}, async (server, host) => {
    const before = await host.client.callTool({ name: "echo", arguments: { text: "one" } });
    assert.equal(text(before), "one");
    const [oldSession] = [...server.sessions.keys()];
    server.sessions.clear(); // the server restarted and lost every session
    const after = await host.client.callTool({ name: "echo", arguments: { text: "two" } });
    assert.equal(text(after), "two");
    const [newSession] = [...server.sessions.keys()];
    assert.ok(newSession && newSession !== oldSession, "a new session was created");
    const posts = server.seen.requests.filter((r) => r.method === "POST");
    assert.equal(posts.filter((r) => r.rpc === "initialize").length, 2, "exactly two initialize POSTs");
    assert.ok(host.stderr().includes("starting a new one transparently"));
  });
});

Deno.test("bridge re-sends requests that were in flight when the session ended", async () => {
  await withBridge(
    {
      mode: "stateful",
      eventStore: () => new MemoryEventStore(),
      retryInterval: 50,
    },
    {},
    async (server, host) => {
      const calls = [1, 2, 3].map((i) => host.client.callTool({ name: "slow", arguments: { ms: 300 + i } }));
      await new Promise((r) => setTimeout(r, 100));
      const old = [...server.sessions.values()];
      server.sessions.clear();
      for (const transport of old) await transport.close(); // streams break; the session is gone
      const results = await Promise.all(calls);
      assert.deepEqual(results.map(text), ["waited 301", "waited 302", "waited 303"]);
      assert.ok(host.stderr().includes("starting a new one transparently"), host.stderr());
      const initializes = server.seen.requests.filter((r) => r.rpc === "initialize");
      assert.equal(initializes.length, 2, "one re-initialize for all three broken requests");
      assert.ok(
        server.seen.requests.some((r) => r.method === "GET" && r.lastEventId),
        "resumption was tried first",
      );
    },
  );
});

Deno.test("bridge takes 405 on GET as 'no stream' and does not retry it", async () => {
  let gets = 0;
  await withBridge(
    {
      mode: "stateful",
      intercept: (request) => {
        if (request.method !== "GET") return undefined;
        gets++;
        return new Response(null, { status: 405, headers: { allow: "POST, DELETE" } });
      },
    },
    {},
    async (_server, host) => {
      await host.client.listTools();
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(gets, 1);
      assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "ok" } })), "ok");
    },
  );
});

Deno.test("bridge sends the session id and negotiated protocol version after initialize", async () => {
  await withBridge({ mode: "stateful" }, {}, async (server, host) => {
    await host.client.listTools();
    // The era probe comes first and creates no session; then the host's own initialize.
    const [probe, init, ...rest] = server.seen.requests;
    assert.equal(probe?.rpc, "server/discover");
    assert.equal(probe?.session, null);
    assert.equal(init?.rpc, "initialize");
    assert.equal(init?.session, null);
    assert.equal(init?.version, null);
    const version = host.client.getNegotiatedProtocolVersion?.() ?? "2025-11-25";
    for (const request of rest) {
      assert.ok(request.session, `${request.method} carried the session id`);
      assert.equal(request.version, version);
    }
  });
});

Deno.test("--ignore-tool hides tools and answers calls to them locally", async () => {
  await withBridge(
    { mode: "stateful" },
    { args: ["--ignore-tool", "ASK_*", "--ignore-tool", "echo"] },
    async (server, host) => {
      const names = (await host.client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ["add", "add_tool", "countdown", "cut", "log", "slow", "touch"]);
      const before = server.seen.requests.length;
      const blocked = await host.client.callTool({ name: "echo", arguments: { text: "x" } }).then(
        (r) => ({ error: undefined, result: r }),
        (e: Error) => ({ error: e, result: undefined }),
      );
      const message = blocked.error?.message ?? text(blocked.result ?? {});
      assert.match(message, /Tool "echo" is not available: it matches --ignore-tool "echo"/);
      assert.equal(server.seen.requests.length, before, "the blocked call never reached the server");
    },
  );
});

Deno.test("--include-tool shows only matching tools", async () => {
  await withBridge(
    { mode: "stateless" },
    { args: ["--include-tool", "add", "--include-tool", "e*o"] },
    async (_server, host) => {
      const names = (await host.client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ["add", "echo"]);
      const sum = await host.client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
      assert.equal(text(sum), "5");
    },
  );
});
