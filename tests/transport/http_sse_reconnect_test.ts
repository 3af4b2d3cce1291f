import assert from "node:assert/strict";
import { z } from "zod";
import { createExampleServer } from "../../src/demo/example_server.ts";
import { connectHost, type Host, netFor } from "../_fixtures/bridge_host.ts";
import { type LegacySseServer, serveLegacySse } from "../_fixtures/legacy_sse_server.ts";
import { until } from "../_fixtures/waiting.ts";

const SSE = ["--transport", "sse-only"];

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many messages of `method` the server's MCP sessions were given. */
function count(server: LegacySseServer, method: string): number {
  return server.messages.filter((m) => m.method === method).length;
}

/** The responses the host received, by id: each request must get exactly one. */
function responsesById(host: Host): Map<unknown, number> {
  const seen = new Map<unknown, number>();
  for (const message of host.received) {
    if ("id" in message && ("result" in message || "error" in message)) {
      seen.set(message.id, (seen.get(message.id) ?? 0) + 1);
    }
  }
  return seen;
}

/** Every request the host sent got exactly one response, and none of the bridge's own reached it. */
function assertOneResponseEach(host: Host): void {
  const responses = responsesById(host);
  const requests = host.sent.filter((m) => "method" in m && "id" in m).map((m) => m.id);
  for (const id of requests) assert.equal(responses.get(id), 1, `one response to request ${String(id)}`);
  for (const id of responses.keys()) {
    assert.ok(
      !String(id).startsWith("mcp-bridge-"),
      `the bridge's own response ${String(id)} reached the host`,
    );
  }
}

Deno.test("HTTP+SSE: the server down for 3 s: calls made meanwhile all succeed once it is back, each run once", async () => {
  let server = await serveLegacySse();
  const port = Number(server.url.port);
  const host = await connectHost(server.url, {
    args: [...SSE, "--reconnect-max-delay", "1s"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    const before = await host.client.callTool({ name: "echo", arguments: { text: "before" } });
    assert.deepEqual(before.content, [{ type: "text", text: "before" }]);
    await server.close();
    await pause(300);
    const texts = ["one", "two", "three"];
    const calls = texts.map((text) => host.client.callTool({ name: "echo", arguments: { text } }));
    const listing = host.client.listTools();
    await pause(3000);
    server = await serveLegacySse({ port });
    const restarted = Date.now();
    const results = await Promise.all(calls);
    const recovered = Date.now() - restarted;
    assert.deepEqual(results.map((r) => (r.content as { text: string }[])[0]!.text), texts);
    assert.equal((await listing).tools.length, 3);
    assert.equal(count(server, "tools/call"), 3, "each call ran once on the restarted server");
    assert.equal(count(server, "initialize"), 1, "one new session: the host's initialize replayed once");
    assert.equal(count(server, "notifications/initialized"), 1);
    assert.equal(server.requests.filter((r) => r.method === "GET" && r.status === 200).length, 1);
    assert.ok(recovered < 3000, `answered ${recovered} ms after the restart`);
    assertOneResponseEach(host);
    assert.match(host.stderr(), /cannot be reached .*trying again for up to 300 s/);
    assert.match(host.stderr(), /can be reached again \(after \d+ s\)/);
    assert.match(host.stderr(), /reconnected and re-initializing/);
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("HTTP+SSE: after a restart, the stream comes back by itself: a server notification reaches the host with no host traffic", async () => {
  let server = await serveLegacySse();
  const port = Number(server.url.port);
  let listChanged = 0;
  const host = await connectHost(server.url, {
    args: [...SSE, "--reconnect-max-delay", "1s"],
    permissions: { net: [netFor(server.url)] },
    setup: (client) =>
      client.setNotificationHandler("notifications/tools/list_changed", () => void listChanged++),
  });
  try {
    await host.client.listTools();
    const sentBefore = host.sent.length;
    await server.close();
    await pause(2000);
    server = await serveLegacySse({ port });
    const restarted = server;
    // No host message: the bridge opens the stream again and replays the handshake on the new session.
    await until(
      "the replayed handshake on the new session",
      () => count(restarted, "notifications/initialized") === 1,
      10_000,
      () => host.stderr(),
    );
    const [transport] = [...server.sessions.values()];
    await transport!.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    await until("the notification at the host", () => listChanged === 1, 5000, () => host.stderr());
    assert.equal(host.sent.length, sentBefore, "the host sent nothing meanwhile");
    assert.equal(count(server, "initialize"), 1);
    assertOneResponseEach(host);
    // And the new session serves the host's requests.
    assert.equal((await host.client.listTools()).tools.length, 3);
  } finally {
    await host.close();
    await server.close();
  }
});

/** The example server with a slow tool and a slow prompt that never finish on the first instance. */
function slowServer(firstInstance: boolean) {
  return () => {
    const server = createExampleServer();
    server.registerTool("slow", {
      description: "Never answers on the first server",
      inputSchema: z.object({}),
    }, async () => {
      if (firstInstance) await new Promise(() => {});
      return { content: [{ type: "text", text: "done" }] };
    });
    server.registerPrompt("slow-prompt", {
      description: "Answers only on a restarted server",
    }, async () => {
      if (firstInstance) await new Promise(() => {});
      return { messages: [{ role: "user", content: { type: "text", text: "late" } }] };
    });
    return server;
  };
}

Deno.test("HTTP+SSE: a call in flight when the server stops gets one error (outcome unknown) and is not run again; a read is sent again", async () => {
  let server = await serveLegacySse({ create: slowServer(true) });
  const port = Number(server.url.port);
  const host = await connectHost(server.url, {
    args: [...SSE, "--reconnect-max-delay", "1s"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    const call = host.client.callTool({ name: "slow", arguments: {} });
    const read = host.client.getPrompt({ name: "slow-prompt" });
    const first = server;
    await until(
      "both requests at the server",
      () => count(first, "tools/call") === 1 && count(first, "prompts/get") === 1,
    );
    await server.close();
    const stopped = Date.now();
    await assert.rejects(
      call,
      /the server may have run it, so mcp-bridge does not send it again; check before you retry/,
    );
    const failedAfter = Date.now() - stopped;
    assert.ok(failedAfter < 1000, `the call failed ${failedAfter} ms after the stop, without waiting`);
    await pause(1000);
    server = await serveLegacySse({ port, create: slowServer(false) });
    const prompt = await read;
    assert.deepEqual(prompt.messages, [{ role: "user", content: { type: "text", text: "late" } }]);
    const after = await host.client.callTool({ name: "echo", arguments: { text: "after" } });
    assert.deepEqual(after.content, [{ type: "text", text: "after" }]);
    assert.equal(count(server, "tools/call"), 1, "only the new call ran on the restarted server");
    assert.equal(count(server, "prompts/get"), 1, "the read was sent again once");
    assertOneResponseEach(host);
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("HTTP+SSE: --reconnect-max-duration 2s: a call while the server stays away gets one error saying since when", async () => {
  const server = await serveLegacySse();
  const host = await connectHost(server.url, {
    args: [...SSE, "--reconnect-max-duration", "2s", "--reconnect-max-delay", "500ms"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    await host.client.listTools();
    await server.close();
    const stopped = Date.now();
    await pause(200);
    await assert.rejects(
      host.client.callTool({ name: "echo", arguments: { text: "x" } }),
      /has been unreachable since \d{4}-\d\d-\d\dT.*stopped trying after \d+ s \(--reconnect-max-duration\)/,
    );
    const failedAfter = Date.now() - stopped;
    assert.ok(failedAfter >= 1000 && failedAfter < 4000, `failed ${failedAfter} ms after the stop`);
    assertOneResponseEach(host);
  } finally {
    await host.close();
  }
});

Deno.test("HTTP+SSE: --no-reconnect: a call while the server is down fails at once; the next one after a restart reconnects", async () => {
  let server = await serveLegacySse();
  const port = Number(server.url.port);
  const host = await connectHost(server.url, {
    args: [...SSE, "--no-reconnect"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    await host.client.listTools();
    await server.close();
    await pause(200);
    const started = Date.now();
    await assert.rejects(
      host.client.callTool({ name: "echo", arguments: { text: "x" } }),
      /Cannot reach 127\.0\.0\.1/,
    );
    assert.ok(Date.now() - started < 3000, "failed without waiting");
    // Nothing is tried in the background.
    server = await serveLegacySse({ port });
    await pause(1500);
    assert.equal(server.requests.length, 0, "no reconnection without a host message");
    const after = await host.client.callTool({ name: "echo", arguments: { text: "after" } });
    assert.deepEqual(after.content, [{ type: "text", text: "after" }]);
    assert.equal(count(server, "initialize"), 1);
    assertOneResponseEach(host);
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("HTTP+SSE: a server restarting three times in a row: one session per restart, none per attempt", async () => {
  let server = await serveLegacySse();
  const port = Number(server.url.port);
  const host = await connectHost(server.url, {
    args: [...SSE, "--reconnect-max-delay", "500ms"],
    permissions: { net: [netFor(server.url)] },
  });
  const sessions: number[] = [];
  try {
    await host.client.listTools();
    for (let round = 1; round <= 3; round++) {
      await server.close();
      await pause(300);
      const call = host.client.callTool({ name: "echo", arguments: { text: `during ${round}` } });
      await pause(700);
      server = await serveLegacySse({ port });
      const result = await call;
      assert.deepEqual(result.content, [{ type: "text", text: `during ${round}` }]);
      sessions.push(server.requests.filter((r) => r.method === "GET" && r.status === 200).length);
      assert.equal(count(server, "initialize"), 1);
    }
    assert.deepEqual(sessions, [1, 1, 1], "one stream per restart");
    assertOneResponseEach(host);
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("HTTP+SSE: a server that drops every stream at once gets new streams with backoff, not one per attempt at full speed", async () => {
  const server = await serveLegacySse();
  const host = await connectHost(server.url, {
    args: [...SSE, "--reconnect-max-delay", "1s"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    await host.client.listTools();
    const before = server.requests.filter((r) => r.method === "GET").length;
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      for (const transport of [...server.sessions.values()]) await transport.close();
      await pause(10);
    }
    const streams = server.requests.filter((r) => r.method === "GET").length - before;
    // Full jitter under a 1 s ceiling: about two a second; without backoff it would be hundreds.
    assert.ok(streams >= 1 && streams <= 15, `${streams} streams in 3 s`);
    // Once the server keeps its streams, the host is served again.
    const after = await host.client.callTool({ name: "echo", arguments: { text: "after" } });
    assert.deepEqual(after.content, [{ type: "text", text: "after" }]);
    assertOneResponseEach(host);
  } finally {
    await host.close();
    await server.close();
  }
});
