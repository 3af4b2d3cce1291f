import assert from "node:assert/strict";
import { connectHost, netFor } from "../_fixtures/bridge_host.ts";
import { startFaultProxy } from "../_fixtures/fault_proxy.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";
import { until } from "../_fixtures/waiting.ts";
import { PROXY_VARIABLES } from "../../src/net/reach.ts";

/** Prints a measured figure for docs/RELIABILITY.md, on the test's own output (not the bridge's). */
function report(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

/** When a request settled (ms after `since`), and how. */
async function timed<T>(since: number, work: Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  try {
    const value = await work;
    return { ms: performance.now() - since, value };
  } catch (error) {
    return { ms: performance.now() - since, error: error as Error };
  }
}

Deno.test("a blackhole for 10 s with the default settings: found by a check, a read made in it answered, the call caught in it told its outcome is unknown, nothing hangs or runs twice", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const proxy = startFaultProxy(server.url);
  let listChanged = 0;
  const host = await connectHost(proxy.url, {
    // The proxy variables readable (as `config` prints them): the bridge knows it connects directly, so a
    // connection that cannot be opened means the path is gone.
    permissions: { net: [netFor(proxy.url)], env: [...PROXY_VARIABLES] },
    setup: (client) =>
      client.setNotificationHandler("notifications/tools/list_changed", () => void listChanged++),
  });
  try {
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "before" } })), "before");
    const calls = () => server.seen.requests.filter((r) => r.rpc === "tools/call").length;
    const callsBefore = calls();
    // A 2 s call is running on the server when the blackhole begins: its answer is lost.
    const started = performance.now();
    const call = timed(started, host.client.callTool({ name: "slow", arguments: { ms: 2000 } }));
    await until("the server running the call", () => calls() === callsBefore + 1);
    // Every byte of every open connection is dropped, the sockets stay open, and no new connection can be
    // opened; the connections of before stay dead after it (the path they used is gone).
    proxy.blackhole();
    const list = timed(started, host.client.listTools());
    await sleep(10_000);
    await proxy.restore();
    const [called, listed] = await Promise.all([call, list]);
    assert.ok(called.error, `the call caught in the blackhole did not fail:\n${host.stderr()}`);
    assert.match(
      called.error.message,
      /The connection to 127\.0\.0\.1:\d+ stalled \(nothing arrived for \d+ s, and no connection to the server could be opened within 10 s\): the server may have run the request/,
    );
    // tools/list only reads: answered once the path is back (waited for, or sent again on a new connection).
    assert.ok(listed.value, `tools/list failed: ${listed.error?.message}\n${host.stderr()}`);
    assert.ok(listed.value.tools.some((tool) => tool.name === "echo"));
    assert.ok(called.ms < 12_000, `the call answered after ${Math.round(called.ms)} ms`);
    // Within the backoff wait that runs when the blackhole ends: full jitter makes some waits short, so
    // by then the attempts may have reached the cap (`--reconnect-max-delay`, 30 s by default), not 16 s.
    assert.ok(listed.ms < 10_000 + 30_000 + 5_000, `tools/list answered after ${Math.round(listed.ms)} ms`);
    report(
      `blackhole 10 s: the call caught in it answered after ${Math.round(called.ms)} ms, tools/list after ${
        Math.round(listed.ms)
      } ms`,
    );
    assert.equal(calls(), callsBefore + 1, "the call ran once and was not sent again");
    assert.match(host.stderr(), /stalled .*dropping the open connections/);
    // New connections work: calls succeed at once, and the GET stream listens again on a new connection.
    const after = performance.now();
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "after" } })), "after");
    assert.ok(performance.now() - after < 3_000, "the next call went through at once");
    const [session] = [...server.sessions.values()];
    await until("a GET stream on a new connection", () => {
      const gets = server.seen.requests.filter((r) => r.method === "GET");
      return gets.length >= 2;
    }, 10_000);
    await sleep(200);
    await session!.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    await until("the notification at the host", () => listChanged === 1, 5_000, () => host.stderr());
  } finally {
    await host.close();
    await proxy.close();
    await server.close();
  }
});

Deno.test("a NAT rebinding: the open connections die and new ones work at once; the request sent on a dead one is found, a read sent again", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const proxy = startFaultProxy(server.url);
  const host = await connectHost(proxy.url, { permissions: { net: [netFor(proxy.url)] } });
  try {
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "before" } })), "before");
    // A call whose event stream starts well before its result: the bridge learns that this server starts
    // its answers at once.
    assert.equal(text(await host.client.callTool({ name: "slow", arguments: { ms: 1500 } })), "waited 1500");
    proxy.blackhole();
    await proxy.restore(); // the path is back at once; the connections of before stay dead
    const started = performance.now();
    const listed = await timed(started, host.client.listTools());
    assert.ok(listed.value, `tools/list failed: ${listed.error?.message}\n${host.stderr()}`);
    assert.ok(listed.value.tools.some((tool) => tool.name === "echo"));
    // Found by the first check after 5 s of silence (at once when the server is known to start its answers
    // early; after the pooled ping's 10 s when that ping finds another dead connection): without it, it
    // would wait until the host gives up (60 s).
    assert.ok(listed.ms < 20_000, `answered after ${Math.round(listed.ms)} ms`);
    report(`NAT rebinding: tools/list on a dead connection answered after ${Math.round(listed.ms)} ms`);
    assert.match(host.stderr(), /stalled \(nothing arrived for \d+ s, and the server answers a ping/);
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "after" } })), "after");
  } finally {
    await host.close();
    await proxy.close();
    await server.close();
  }
});

Deno.test("the bridge stopped (SIGSTOP) for 10 s while its connections died and the server ended the session: a call made meanwhile succeeds on a new connection", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const proxy = startFaultProxy(server.url);
  const host = await connectHost(proxy.url, { permissions: { net: [netFor(proxy.url)] } });
  try {
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "before" } })), "before");
    await host.signal("SIGSTOP");
    // While it sleeps, the network changes (the old connections are dead for good) and the server forgets
    // the session.
    proxy.blackhole();
    server.sessions.clear();
    const call = host.client.callTool({ name: "echo", arguments: { text: "while stopped" } });
    await sleep(300);
    await proxy.restore();
    await sleep(10_000);
    const woke = performance.now();
    await host.signal("SIGCONT");
    const result = await timed(woke, call);
    assert.ok(result.value, `the call failed: ${result.error?.message}\n${host.stderr()}`);
    assert.equal(text(result.value), "while stopped");
    // Without noticing the sleep, the call would go out on a dead pooled connection and wait for the ping.
    assert.ok(result.ms < 4_000, `answered ${Math.round(result.ms)} ms after waking`);
    report(`SIGSTOP 10 s: the call made meanwhile answered ${Math.round(result.ms)} ms after SIGCONT`);
    assert.match(host.stderr(), /clock jumped 1\d s \(the computer slept, or mcp-bridge was stopped\)/);
    assert.match(host.stderr(), /starting a new one transparently/);
    const [session] = [...server.sessions.keys()];
    await until(
      "a GET stream on the new session",
      () => server.seen.requests.some((r) => r.method === "GET" && r.session === session),
      5_000,
      () => host.stderr(),
    );
  } finally {
    await host.close();
    await proxy.close();
    await server.close();
  }
});

Deno.test("--keep-alive pings the server with JSON-RPC ping when idle (and never a non-standard endpoint)", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const host = await connectHost(server.url, {
    args: ["--ping-interval", "1", "--debug"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    await host.client.listTools();
    const before = server.seen.requests.length;
    await sleep(5_000);
    const idle = server.seen.requests.slice(before);
    const pings = idle.filter((r) => r.rpc === "ping");
    assert.ok(pings.length >= 2 && pings.length <= 5, `${pings.length} pings in 5 s:\n${host.stderr()}`);
    assert.ok(idle.every((r) => r.rpc === "ping" || r.method === "GET"), JSON.stringify(idle));
    assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "x" } })), "x");
  } finally {
    await host.close();
    await server.close();
  }
});
