/**
 * Faults across the life of a session, measured end to end: the real CLI as a subprocess with exact
 * permissions, the MCP SDK's client as the host, real servers on 127.0.0.1. Each test counts what the host
 * got (one response per request), what the server ran (each tool call at most once) and how long it took.
 */

import assert from "node:assert/strict";
import {
  connectHost,
  finishRaw,
  type Host,
  INITIALIZED_LINE,
  initializeLine,
  netFor,
  spawnRaw,
  stdoutMessages,
} from "../_fixtures/bridge_host.ts";
import { startBadGateway } from "../_fixtures/bad_gateway.ts";
import { serveTestServer, type TestServer } from "../_fixtures/test_server.ts";
import { until } from "../_fixtures/waiting.ts";

/** The bridge's promise on exit (README, "What the bridge does"). */
const EXIT_WITHIN_MS = 1000;
/** Room for a loaded CI machine on top of it (the measured figure is printed by each test). */
const EXIT_SLACK_MS = 1500;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A tool call identified by its tool and arguments, e.g. `slow {"ms":2001}`. */
function callKey(name: string, args: unknown): string {
  return `${name} ${JSON.stringify(args)}`;
}

/**
 * Serves the test server and appends to `ran` the key of every tool call it runs: a `tools/call` POST on a
 * session the server holds (the SDK runs each one; a POST on a session it does not hold is refused with 404
 * and runs nothing).
 */
async function serveCounted(
  ran: string[],
  options: { mode?: "stateful" | "json"; port?: number } = {},
): Promise<TestServer> {
  let sessions: ReadonlyMap<string, unknown> = new Map();
  const server = await serveTestServer({
    mode: options.mode ?? "stateful",
    ...(options.port !== undefined ? { port: options.port } : {}),
    intercept: async (request) => {
      if (request.method !== "POST") return undefined;
      let message: { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
      try {
        message = JSON.parse(await request.clone().text());
      } catch {
        return undefined;
      }
      const session = request.headers.get("mcp-session-id");
      if (message.method === "tools/call" && session !== null && sessions.has(session)) {
        ran.push(callKey(String(message.params?.name), message.params?.arguments));
      }
      return undefined;
    },
  });
  sessions = server.sessions;
  return server;
}

/** The id of the host's `tools/call` with this key. */
function idOfCall(host: Host, key: string): unknown {
  const request = host.sent.find((m) => {
    const params = m.params as { name?: unknown; arguments?: unknown } | undefined;
    return m.method === "tools/call" && callKey(String(params?.name), params?.arguments) === key;
  });
  assert.ok(request, `the host sent ${key}`);
  return request.id;
}

/** Every response the host received for the request with this id. */
function responsesTo(host: Host, id: unknown): Record<string, unknown>[] {
  return host.received.filter((m) => m.id === id && ("result" in m || "error" in m));
}

/** How many runs repeat a call that already ran (0 when each ran at most once). */
function duplicates(keys: readonly string[]): number {
  return keys.length - new Set(keys).size;
}

type Settled<T> = { ok: true; value: T; at: number } | { ok: false; error: Error; at: number };

/** Waits for a promise and records how it ended, and when (performance.now()). */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value, at: performance.now() }),
    (error: Error) => ({ ok: false as const, error, at: performance.now() }),
  );
}

function textOf(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

function report(what: string, figures: Record<string, unknown>): void {
  // Measured figures for docs/RELIABILITY.md, on the test's own output (not the bridge's).
  // deno-lint-ignore no-console
  console.log(`${what}: ${JSON.stringify(figures)}`);
}

Deno.test("a 12 s tool call with no output and no fault succeeds", async () => {
  // Both ways a 2025-era server answers: an event stream that stays silent for 12 s, and a JSON answer
  // whose headers come only when the tool is done. Default bridge settings: no timeout flag.
  const ms = 12_000;
  const modes = ["stateful", "json"] as const;
  const ran: Record<(typeof modes)[number], string[]> = { stateful: [], json: [] };
  const servers = await Promise.all(modes.map((mode) => serveCounted(ran[mode], { mode })));
  const hosts: Host[] = [];
  let started = performance.now();
  try {
    for (const server of servers) {
      hosts.push(await connectHost(server.url, { permissions: { net: [netFor(server.url)] } }));
    }
    started = performance.now();
    const outcomes = await Promise.all(
      hosts.map((host) => settle(host.client.callTool({ name: "slow", arguments: { ms } }))),
    );
    const key = callKey("slow", { ms });
    const took = outcomes.map((outcome) => outcome.at - started);
    const answered = hosts.map((host) => responsesTo(host, idOfCall(host, key)).length);
    modes.forEach((mode, i) => {
      const outcome = outcomes[i]!;
      report(`12 s silent call (${mode})`, {
        answered: answered[i],
        succeeded: outcome.ok ? 1 : 0,
        error: outcome.ok ? undefined : outcome.error.message,
        runs: ran[mode].length,
        duplicates: duplicates(ran[mode]),
        tookMs: Math.round(took[i]!),
      });
    });
    modes.forEach((mode, i) => {
      const outcome = outcomes[i]!;
      const stderr = hosts[i]!.stderr();
      assert.ok(outcome.ok, `${mode}: the call failed: ${!outcome.ok && outcome.error.message}\n${stderr}`);
      assert.equal(textOf(outcome.value), `waited ${ms}`, `${mode}: the tool's own result`);
      assert.ok(
        took[i]! >= ms - 50,
        `${mode}: answered after ${Math.round(took[i]!)} ms, before the tool was done`,
      );
      assert.deepEqual(ran[mode], [key], `${mode}: the server ran it exactly once`);
      assert.equal(answered[i], 1, `${mode}: one response at the host`);
    });
  } finally {
    // A JSON answer the bridge gave up on still holds its HTTP request on the server until the tool is done,
    // and the server cannot stop before: wait for it, so that a failure fails instead of hanging.
    await delay(Math.max(0, started + ms + 200 - performance.now()));
    for (const host of hosts) await host.close();
    for (const server of servers) await server.close();
  }
});

Deno.test("restart with a long call in flight: one response for it, nothing runs twice, the next calls succeed", async () => {
  const ran: string[] = [];
  let server = await serveCounted(ran);
  const port = Number(server.url.port);
  const host = await connectHost(server.url, { permissions: { net: [netFor(server.url)] } });
  try {
    assert.equal(
      textOf(await host.client.callTool({ name: "echo", arguments: { text: "before" } })),
      "before",
    );
    const inFlightKey = callKey("slow", { ms: 2000 });
    const inFlight = settle(host.client.callTool({ name: "slow", arguments: { ms: 2000 } }));
    await until("the server running the 2 s call", () => ran.includes(inFlightKey), 5000, host.stderr);
    await delay(300);
    // The server stops mid-call as a graceful shutdown does (its sessions, their event streams and the running
    // handler end) and comes back on the same port at once, as a supervisor or a rolling deploy brings it back.
    const ranBefore = ran.length;
    const stoppedAt = performance.now();
    await server.close();
    server = await serveCounted(ran, { port });
    const restartedAt = performance.now();
    // The next calls once the bridge has seen the restart (the call in flight failed). A call sent in the
    // moment before, on a kept-alive connection the old server had just closed, goes out and is lost with
    // that connection: its outcome cannot be known, so it fails once and is not sent again, like the call
    // in flight (at most once; the README, "Reconnection"). Sent before the bridge read the end of the
    // stream, that is a race the host cannot see; this test keeps to what must always hold.
    const first = await inFlight;
    const afterKeys = ["one", "two", "three"].map((text) => callKey("echo", { text }));
    const after = await Promise.all(
      ["one", "two", "three"].map((text) =>
        settle(host.client.callTool({ name: "echo", arguments: { text } }))
      ),
    );
    const recoveredAt = performance.now();
    const stderr = host.stderr();
    const answered = [inFlightKey, ...afterKeys].map((k) => responsesTo(host, idOfCall(host, k)).length);
    report("restart with a call in flight", {
      answered: answered.filter((n) => n === 1).length,
      succeeded: [first, ...after].filter((o) => o.ok).length,
      errored: [first, ...after].filter((o) => !o.ok).length,
      inFlightError: first.ok ? undefined : first.error.message,
      inFlightErrorAfterStopMs: Math.round(first.at - stoppedAt),
      afterRestartErrors: after.flatMap((o) => o.ok ? [] : [o.error.message]),
      duplicates: duplicates(ran),
      recoveryAfterRestartMs: Math.round(recoveredAt - restartedAt),
    });

    // Exactly one response for every call, the one in flight included.
    assert.deepEqual(answered, [1, 1, 1, 1], "responses per call: the one in flight, then the three after");
    // Nothing ran twice: the call in flight ran once, on the stopped server, and never on the new one.
    assert.deepEqual(ran.slice(0, ranBefore).filter((k) => k === inFlightKey), [inFlightKey]);
    assert.deepEqual(ran.slice(ranBefore).filter((k) => k === inFlightKey), [], "re-run after the restart");
    assert.equal(duplicates(ran), 0, `tool calls run more than once: ${ran.join(", ")}`);
    // The call in flight: its server stopped mid-call, so no result can come; the server may have run it,
    // so the error must say so (README, "Reconnection": at most once, "the host gets one error that says the
    // server may have run it"), never invite a blind retry.
    assert.ok(!first.ok, `the call in flight got a result, yet its server was stopped mid-call:\n${stderr}`);
    assert.match(
      first.error.message,
      /the server may have run it|outcome is unknown/,
      `the error does not say the outcome is unknown:\n${first.error.message}`,
    );
    // The calls made right after the restart, each on the new server.
    for (const [i, outcome] of after.entries()) {
      assert.ok(
        outcome.ok,
        `call ${afterKeys[i]} failed: ${!outcome.ok && outcome.error.message}\n${stderr}`,
      );
      assert.deepEqual(ran.slice(ranBefore).filter((k) => k === afterKeys[i]), [afterKeys[i]]);
    }
  } finally {
    await host.close();
    await server.close();
  }
});

/**
 * Starts three 5 s calls, waits until the server runs all three, ends the host with `stop`, and returns how
 * long the bridge took to exit, the calls' outcomes, and what the server and the host saw.
 */
async function endWithCallsInFlight(stop: (host: Host) => Promise<void>) {
  const ran: string[] = [];
  const server = await serveCounted(ran);
  try {
    const host = await connectHost(server.url, { permissions: { net: [netFor(server.url)] } });
    let exitedAt: number | undefined;
    host.client.onclose = () => void (exitedAt ??= performance.now());
    let stoppedAt: number;
    const keys = [5001, 5002, 5003].map((ms) => callKey("slow", { ms }));
    let calls: Promise<Settled<unknown>>[];
    try {
      calls = [5001, 5002, 5003].map((ms) =>
        settle(host.client.callTool({ name: "slow", arguments: { ms } }))
      );
      await until("the server running the 3 calls", () => ran.length === 3, 5000, host.stderr);
      assert.equal(server.sessions.size, 1);
      stoppedAt = performance.now();
      await stop(host);
      await until("the bridge's exit", () => exitedAt !== undefined, 10_000, host.stderr);
    } finally {
      await host.close();
    }
    const outcomes = await Promise.all(calls);
    const sessionId = server.seen.requests.find((r) => r.rpc === "tools/call")!.session;
    return {
      exitMs: exitedAt! - stoppedAt,
      outcomes,
      responses: keys.map((key) => responsesTo(host, idOfCall(host, key))),
      deletes: server.seen.requests.filter((r) => r.method === "DELETE"),
      sessionId,
      sessionsLeft: server.sessions.size,
      ran,
      stderr: host.stderr(),
    };
  } finally {
    await server.close();
  }
}

/** What the end of a bridge with calls in flight left behind. */
interface Ended {
  exitMs: number;
  responses: Record<string, unknown>[][];
  deletes: { session: string | null }[];
  sessionId: string | null;
  sessionsLeft: number;
  ran: string[];
  stderr: string;
}

function assertEndedCleanly(ended: Ended, why: RegExp): void {
  const { exitMs, responses, deletes, sessionId, sessionsLeft, ran, stderr } = ended;
  assert.ok(
    exitMs < EXIT_WITHIN_MS + EXIT_SLACK_MS,
    `the bridge exited ${Math.round(exitMs)} ms after the host went away (promised: within 1 s)\n${stderr}`,
  );
  // Each call in flight got exactly one answer: an error that says the bridge stopped.
  for (const [i, got] of responses.entries()) {
    assert.equal(got.length, 1, `call ${i + 1}: ${got.length} responses`);
    const error = got[0]!.error as { message?: string } | undefined;
    assert.match(error?.message ?? "", why, `call ${i + 1}: ${JSON.stringify(got[0])}`);
  }
  assert.equal(deletes.length, 1, `DELETE requests: ${deletes.length}\n${stderr}`);
  assert.equal(deletes[0]!.session, sessionId, "the DELETE named the session");
  assert.equal(sessionsLeft, 0, "the server still holds the session");
  assert.equal(duplicates(ran), 0);
}

Deno.test("host exit with calls in flight: stdin EOF, the bridge deletes the session and exits within 1 s", async () => {
  const ended = await endWithCallsInFlight((host) => host.close());
  report("stdin EOF with 3 calls in flight", {
    answered: ended.responses.filter((r) => r.length === 1).length,
    succeeded: ended.outcomes.filter((o) => o.ok).length,
    errored: ended.outcomes.filter((o) => !o.ok).length,
    deletes: ended.deletes.length,
    duplicates: duplicates(ended.ran),
    exitMs: Math.round(ended.exitMs),
  });
  assertEndedCleanly(ended, /No response from the server before mcp-bridge stopped: stdin closed/);
});

Deno.test("host exit with calls in flight: SIGTERM, the bridge deletes the session and exits within 1 s", async () => {
  // The host speaks JSON-RPC lines itself here: the SDK's stdio transport ends the bridge's stdin when it
  // sends a signal (under Deno), so it could not tell SIGTERM from EOF, and Deno.kill() on its child would
  // need --allow-run for every program.
  const ran: string[] = [];
  const server = await serveCounted(ran);
  try {
    const raw = spawnRaw([server.url.href], { net: [netFor(server.url)] });
    let exitMs: number;
    let status: Deno.CommandStatus;
    try {
      await raw.write(initializeLine(1));
      assert.equal(JSON.parse(await raw.readLine()).id, 1, raw.stderr());
      await raw.write(INITIALIZED_LINE);
      for (const ms of [5001, 5002, 5003]) {
        await raw.write(
          JSON.stringify({
            jsonrpc: "2.0",
            id: ms,
            method: "tools/call",
            params: { name: "slow", arguments: { ms } },
          }) +
            "\n",
        );
      }
      await until("the server running the 3 calls", () => ran.length === 3, 5000, raw.stderr);
      assert.equal(server.sessions.size, 1);
      const stoppedAt = performance.now();
      raw.kill("SIGTERM");
      status = await raw.status;
      exitMs = performance.now() - stoppedAt;
    } finally {
      await finishRaw(raw);
    }
    assert.equal(status.signal, null, `killed by ${status.signal} instead of exiting`);
    assert.equal(status.code, 0, raw.stderr());
    const messages = stdoutMessages(raw.stdout());
    const responses = [5001, 5002, 5003].map((id) =>
      messages.filter((m) => m.id === id) as Record<string, unknown>[]
    );
    const ended = {
      exitMs,
      responses,
      deletes: server.seen.requests.filter((r) => r.method === "DELETE"),
      sessionId: server.seen.requests.find((r) => r.rpc === "tools/call")!.session,
      sessionsLeft: server.sessions.size,
      ran,
      stderr: raw.stderr(),
    };
    report("SIGTERM with 3 calls in flight", {
      answered: responses.filter((r) => r.length === 1).length,
      succeeded: responses.filter((r) => r.length === 1 && "result" in r[0]!).length,
      errored: responses.filter((r) => r.length === 1 && "error" in r[0]!).length,
      deletes: ended.deletes.length,
      duplicates: duplicates(ran),
      exitMs: Math.round(exitMs),
    });
    assertEndedCleanly(ended, /No response from the server before mcp-bridge stopped: received SIGTERM/);
  } finally {
    await server.close();
  }
});

Deno.test("an HTML 502 page from a gateway for 2 s: a read-only request waits it out, a tool call gets one error", async () => {
  const ran: string[] = [];
  const server = await serveCounted(ran);
  const gateway = await startBadGateway(server.url);
  const host = await connectHost(gateway.url, { permissions: { net: [netFor(gateway.url)] } });
  try {
    assert.equal(
      textOf(await host.client.callTool({ name: "echo", arguments: { text: "before" } })),
      "before",
    );
    const listsBefore = gateway.forwarded.filter((r) => r.rpc === "tools/list").length;
    const windowMs = 2000;
    gateway.failFor(windowMs);
    const started = performance.now();
    const callKeyDuring = callKey("echo", { text: "during the 502 pages" });
    const [list, call] = await Promise.all([
      settle(host.client.listTools()),
      settle(host.client.callTool({ name: "echo", arguments: { text: "during the 502 pages" } })),
    ]);
    const stderr = host.stderr();
    const pagedLists = gateway.pages.filter((r) => r.rpc === "tools/list").length;
    const pagedCalls = gateway.pages.filter((r) => r.rpc === "tools/call").length;
    assert.ok(
      pagedLists >= 1,
      "the gateway never answered tools/list with its page: the test proved nothing",
    );
    assert.equal(
      pagedCalls,
      1,
      "the gateway answered the tool call with its page once, and it was not re-sent",
    );

    // tools/list only reads: it is sent again once the gateway recovers, and the host gets the result.
    assert.ok(list.ok, `tools/list failed: ${!list.ok && list.error.message}\n${stderr}`);
    assert.ok(list.value.tools.some((t) => t.name === "echo"));
    assert.ok(list.at - started >= windowMs - 50, "tools/list was answered while the gateway still failed");
    // Default backoff (full jitter from 0.5 s, doubling): the wait running when the pages stop is at most
    // 16 s unless six or more attempts fit in the 2 s window (each page comes back at once; jitter may
    // make the first waits short). Measured: 0.03–7.7 s after the pages stopped.
    assert.ok(
      list.at - started < windowMs + 16_000 + 2000,
      `tools/list came ${Math.round(list.at - started - windowMs)} ms after the pages stopped`,
    );
    assert.equal(
      gateway.forwarded.filter((r) => r.rpc === "tools/list").length - listsBefore,
      1,
      "tools/list reached the server once, after the pages stopped",
    );
    const listId = host.sent.filter((m) => m.method === "tools/list").at(-1)!.id;
    assert.equal(responsesTo(host, listId).length, 1);

    // tools/call: the server may have got it (a 502), so it is not sent again: one clear error, at once.
    assert.ok(!call.ok, "the tool call succeeded although the gateway answered it with a 502 page");
    assert.match(call.error.message, /answered HTTP 502 Bad Gateway/);
    assert.match(call.error.message, /HTML page/);
    assert.doesNotMatch(call.error.message, /<html|<center/, "the page itself is not quoted");
    assert.ok(call.at - started < windowMs, "the tool call waited for the gateway instead of failing");
    assert.equal(responsesTo(host, idOfCall(host, callKeyDuring)).length, 1);
    assert.deepEqual(ran.filter((k) => k === callKeyDuring), [], "the tool call reached the server");

    // Afterwards the bridge works as before.
    assert.ok(!gateway.failing());
    assert.equal(textOf(await host.client.callTool({ name: "echo", arguments: { text: "after" } })), "after");
    assert.equal(duplicates(ran), 0);
    report("HTML 502 pages for 2 s", {
      answered: [listId, idOfCall(host, callKeyDuring)].filter((id) => responsesTo(host, id).length === 1)
        .length,
      succeeded: [list, call].filter((o) => o.ok).length,
      errored: [list, call].filter((o) => !o.ok).length,
      toolCallError: call.ok ? undefined : call.error.message,
      toolCallErrorMs: Math.round(call.at - started),
      pagedListAttempts: pagedLists,
      duplicates: duplicates(ran),
      listRecoveredAfterPagesStopMs: Math.round(list.at - started - windowMs),
    });
  } finally {
    await host.close();
    await gateway.close();
    await server.close();
  }
});
