/**
 * Reconnection to a 2026-07-28 server, end to end: the real CLI between the SDK's host and the SDK's
 * 2026-07-28 server (`serveModern`), the server stopped and started again on the same port.
 *
 * Set `MCP_BRIDGE_TIMINGS=1` to print the measured recovery times.
 */

import assert from "node:assert/strict";
import { connectHost, type Host, netFor } from "../_fixtures/bridge_host.ts";
import { cutFirst, startFaultProxy } from "../_fixtures/fault_proxy.ts";
import { type ModernServer, README_URI, serveModern } from "../_fixtures/modern_server.ts";
import { until } from "../_fixtures/waiting.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Prints a measured time when `MCP_BRIDGE_TIMINGS` is set. */
function timing(what: string, ms: number): void {
  if (Deno.env.get("MCP_BRIDGE_TIMINGS")) {
    Deno.stderr.writeSync(new TextEncoder().encode(`[timing] ${what}: ${Math.round(ms)} ms\n`));
  }
}

type Json = Record<string, unknown>;

/** The JSON-RPC messages the server received, by method. */
function rpcs(server: ModernServer, method: string): Json[] {
  return server.requests.filter((r) => r.method === "POST" && r.body !== "").map((r) =>
    JSON.parse(r.body) as Json
  )
    .filter((m) => m.method === method);
}

/** How many responses the host received for each of its request ids. */
function responsesPerId(host: Host, method: string): number[] {
  const ids = host.sent.filter((m) => m.method === method).map((m) => m.id);
  return ids.map((id) => host.received.filter((m) => m.id === id && !("method" in m)).length);
}

function echoText(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined) ?? []).map((c) => c.text ?? "").join("");
}

Deno.test("a 2026-07-28 server down for 4 s: calls made meanwhile all succeed once it is back, each run exactly once", async () => {
  let server = await serveModern();
  const port = Number(server.url.port);
  const host = await connectHost(server.url, { args: ["--reconnect-max-delay", "1s"] });
  try {
    assert.equal(
      echoText(await host.client.callTool({ name: "echo", arguments: { text: "before" } })),
      "before",
    );
    await server.close();
    // (A call made the very moment the server closes may go out on a connection it is closing: its outcome
    // is unknown, and a tools/call is then not sent again. Here the calls come once the server is gone.)
    await delay(300);
    const texts = ["one", "two", "three"];
    const calls = texts.map((text) => host.client.callTool({ name: "echo", arguments: { text } }));
    const list = host.client.listTools();
    await delay(4000);
    server = await serveModern({ port });
    const restarted = performance.now();
    const results = await Promise.all(calls);
    timing("calls answered after the restart", performance.now() - restarted);
    assert.deepEqual(results.map(echoText), texts);
    assert.ok((await list).tools.some((t) => t.name === "echo"));
    const ran = server.seen.toolCalls.filter((c) => c.name === "echo").map((c) => (c.arguments as Json).text);
    assert.deepEqual(ran.toSorted(), texts.toSorted(), "each call ran once on the restarted server");
    assert.deepEqual(responsesPerId(host, "tools/call"), [1, 1, 1, 1], "one response per host request");
    assert.match(host.stderr(), /cannot be reached .*trying again for up to 300 s/);
    assert.match(host.stderr(), /can be reached again \(after \d+ s\)/);
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("the reconnection bound: when the 2026-07-28 server stays away, the call fails with when it began; listening resumes with the next call that gets through", async () => {
  let server = await serveModern();
  const port = Number(server.url.port);
  let toolsChanged = 0;
  const host = await connectHost(server.url, {
    args: ["--reconnect-max-duration", "2s", "--reconnect-max-delay", "500ms"],
    setup: (client) =>
      client.setNotificationHandler("notifications/tools/list_changed", () => void toolsChanged++),
  });
  try {
    await host.client.listTools();
    await server.close();
    await delay(300);
    const started = performance.now();
    await assert.rejects(
      host.client.callTool({ name: "echo", arguments: { text: "never" } }),
      /has been unreachable since \d{4}-\d\d-\d\dT.*stopped trying after \d+ s \(--reconnect-max-duration\); last error: Cannot reach 127\.0\.0\.1/,
    );
    const elapsed = performance.now() - started;
    timing("the call failed after", elapsed);
    assert.ok(elapsed < 4000, `failed within the bound (${Math.round(elapsed)} ms)`);
    assert.deepEqual(responsesPerId(host, "tools/call"), [1], "one error");
    // The listen stream gave up within the same bound, and says so.
    await until(
      "the listen stream to give up",
      () => /Not listening for the server's notifications until a request gets through/.test(host.stderr()),
      5000,
      () => host.stderr(),
    );
    // Back after the bound: the next call gets through, and the listen stream comes back with it.
    server = await serveModern({ port });
    const back = server;
    assert.equal(echoText(await host.client.callTool({ name: "echo", arguments: { text: "back" } })), "back");
    await until(
      "a listen on the restarted server",
      () => rpcs(back, "subscriptions/listen").length > 0,
      5000,
    );
    const deadline = Date.now() + 5000;
    while (toolsChanged === 0 && Date.now() < deadline) {
      back.notify.toolsChanged();
      await delay(100);
    }
    assert.ok(toolsChanged > 0, "notifications reach the host again");
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("--no-reconnect: a call while the 2026-07-28 server is down fails at once with one error", async () => {
  const server = await serveModern();
  const host = await connectHost(server.url, { args: ["--no-reconnect"] });
  try {
    await host.client.listTools();
    await server.close();
    await delay(300);
    const started = performance.now();
    await assert.rejects(
      host.client.callTool({ name: "echo", arguments: { text: "x" } }),
      /Cannot reach 127\.0\.0\.1/,
    );
    const elapsed = performance.now() - started;
    timing("--no-reconnect: the call failed after", elapsed);
    assert.ok(elapsed < 3000, "failed without waiting");
    assert.deepEqual(responsesPerId(host, "tools/call"), [1]);
    assert.doesNotMatch(host.stderr(), /trying again/);
  } finally {
    await host.close();
  }
});

Deno.test("after a restart, subscriptions/listen comes back by itself: a resource update reaches the host with no host traffic", async () => {
  let server = await serveModern();
  const port = Number(server.url.port);
  const updated: string[] = [];
  const host = await connectHost(server.url, {
    args: ["--reconnect-max-delay", "1s"],
    setup: (client) =>
      client.setNotificationHandler(
        "notifications/resources/updated",
        (n) => void updated.push(n.params.uri),
      ),
  });
  const withResource = (s: ModernServer) =>
    rpcs(s, "subscriptions/listen").some((m) =>
      ((m.params as Json).notifications as Json).resourceSubscriptions !== undefined
    );
  try {
    await host.client.subscribeResource({ uri: README_URI });
    await until("a listen with the resource", () => withResource(server), 5000, () => host.stderr());
    await server.close();
    const sentBefore = host.sent.length;
    await delay(2000);
    server = await serveModern({ port });
    const restarted = performance.now();
    const back = server;
    await until(
      "a listen with the resource on the restarted server",
      () => withResource(back),
      10_000,
      () => host.stderr(),
    );
    timing("listen stream back after the restart", performance.now() - restarted);
    // The server registers the stream a moment after the request arrives: publish until the host hears.
    const deadline = Date.now() + 5000;
    while (updated.length === 0 && Date.now() < deadline) {
      back.resourceUpdated();
      await delay(100);
    }
    timing("a resource update at the host after the restart", performance.now() - restarted);
    assert.deepEqual([...new Set(updated)], [README_URI]);
    assert.equal(host.sent.length, sentBefore, "no host message was needed");
    const [listen] = rpcs(back, "subscriptions/listen");
    assert.deepEqual((listen!.params as Json).notifications, {
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
      resourceSubscriptions: [README_URI],
    }, "the same subscriptions");
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("a 2026-07-28 host (passed through): a call made while the server is down succeeds once it is back, under the host's id", async () => {
  let server = await serveModern();
  const port = Number(server.url.port);
  const host = await connectHost(server.url, { args: ["--reconnect-max-delay", "500ms"], modern: true });
  try {
    await host.client.listTools();
    await server.close();
    await delay(300);
    const call = host.client.callTool({ name: "echo", arguments: { text: "modern host" } });
    await delay(1500);
    server = await serveModern({ port });
    assert.equal(echoText(await call), "modern host");
    const hostId = host.sent.filter((m) => m.method === "tools/call").at(-1)!.id;
    assert.deepEqual(server.seen.toolCalls.map((c) => c.id), [hostId], "ran once, under the host's own id");
    assert.deepEqual(responsesPerId(host, "tools/call"), [1]);
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("a 2026-07-28 tool call whose connection breaks after the server received it: run once, one error that says so", async () => {
  const server = await serveModern({ responseMode: "json" });
  const proxy = startFaultProxy(server.url, { cutAfter: cutFirst('"tools/call"') });
  try {
    const host = await connectHost(proxy.url, {
      args: ["--reconnect-max-delay", "500ms"],
      permissions: { net: [netFor(proxy.url)] },
    });
    try {
      await host.client.listTools();
      await assert.rejects(
        host.client.callTool({ name: "slow", arguments: { ms: 600 } }, { timeout: 5000 }),
        /broke after the request was sent and before any answer .*the server may have run it/,
      );
      await delay(1000);
      assert.equal(proxy.cuts(), 1);
      assert.equal(server.seen.toolCalls.filter((c) => c.name === "slow").length, 1, "ran once");
      assert.deepEqual(responsesPerId(host, "tools/call"), [1]);
      assert.equal(
        echoText(await host.client.callTool({ name: "echo", arguments: { text: "after" } })),
        "after",
      );
    } finally {
      await host.close();
    }
  } finally {
    await proxy.close();
    await server.close();
  }
});

Deno.test("a tool call whose response stream a restart cuts: re-issued under a new id once the server is back (2026-07-28), one response", async () => {
  let server = await serveModern();
  const port = Number(server.url.port);
  const host = await connectHost(server.url, { args: ["--reconnect-max-delay", "500ms"] });
  try {
    await host.client.listTools();
    // A progress handler makes the server answer on an event stream (its first progress notification);
    // the server stops once that stream is open (before, the call's outcome would be unknown: not sent again).
    let progressed = false;
    const call = host.client.callTool({ name: "slow", arguments: { ms: 1500 } }, {
      onprogress: () => void (progressed = true),
    }).then((result) => echoText(result), (error: Error) => `error: ${error.message}`);
    const first = server;
    await until("the call's event stream at the host", () => progressed, 5000, () => host.stderr());
    const closing = first.close();
    await delay(1000);
    server = await serveModern({ port });
    const restarted = performance.now();
    assert.equal(await call, "waited 1500");
    timing("the cut call answered after the restart", performance.now() - restarted);
    await closing;
    const hostId = host.sent.filter((m) => m.method === "tools/call").at(-1)!.id;
    assert.deepEqual(first.seen.cancelled, [String(hostId)], "closing the stream cancelled the first one");
    const again = server.seen.toolCalls.map((c) => c.id);
    assert.equal(again.length, 1, "sent again once");
    assert.match(String(again[0]), /^mcp-bridge/, "as a new request, with a new id");
    assert.deepEqual(responsesPerId(host, "tools/call"), [1], "one response, under the host's id");
    assert.match(host.stderr(), /response stream of tools\/call broke; sending the request again/);
  } finally {
    await host.close();
    await server.close();
  }
});
