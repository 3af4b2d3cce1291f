/**
 * Fault injection: the real CLI, driven with raw JSON-RPC lines, against servers that fail in one
 * named way each. For every fault the host must get exactly one JSON-RPC response to its request,
 * saying what happened and where, and stdout must carry nothing but JSON-RPC lines.
 */

import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import {
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  netFor,
  spawnRaw,
  type StdoutMessage,
  stdoutMessages,
} from "../_fixtures/bridge_host.ts";
import {
  CUT_STREAM_NOTICE,
  FAULT_SESSION_ID,
  type FaultServer,
  MID_EVENT_RESULT,
  refusedUrl,
  serveCutMidEvent,
  serveCutStream,
  serveHtmlPage,
  serveNonJson,
  serveNoResponse202,
  serveStall,
  serveStatus,
} from "../_fixtures/faults.ts";

/** The JSON-RPC error code of a transport failure answered by the bridge. */
const TRANSPORT_ERROR = -32000;

interface FaultRun {
  /** Every stdout message, in order. */
  messages: StdoutMessage[];
  /** The response to the faulting request. */
  answer: StdoutMessage;
  /** The bridge's stderr. */
  stderr: string;
  /** The exit status. */
  status: Deno.CommandStatus;
  /** Milliseconds from writing the faulting request to its response. */
  elapsedMs: number;
}

interface FaultRunOptions {
  /** Extra CLI flags. */
  args?: string[];
  /** The `--allow-net` entries (default: exactly the server's host:port). */
  net?: string[];
  /** Do the handshake first and fault a later `tools/list` (default: fault the `initialize`). */
  afterHandshake?: boolean;
}

/**
 * Runs the bridge against a URL: sends `initialize` (or the handshake, then `tools/list`), reads
 * until the response to that request, closes stdin and waits for the exit.
 */
async function runFault(url: URL, id: string | number, options: FaultRunOptions = {}): Promise<FaultRun> {
  // These faults are those of the 2025-era transport; the 2026-07-28 era probe is covered separately.
  const raw = spawnRaw([url.href, "--protocol", "legacy", ...(options.args ?? [])], {
    net: options.net ?? [netFor(url)],
  });
  let status: Deno.CommandStatus | undefined;
  try {
    if (options.afterHandshake) {
      await raw.write(initializeLine(1));
      const init = JSON.parse(await raw.readLine());
      assert.equal(init.id, 1, `initialize was not answered: ${JSON.stringify(init)}`);
      assert.ok(init.result, `initialize failed: ${JSON.stringify(init)}`);
      await raw.write(INITIALIZED_LINE);
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" }) + "\n");
    } else {
      await raw.write(initializeLine(id));
    }
    const start = performance.now();
    let elapsedMs = -1;
    for (;;) {
      const line = JSON.parse(await raw.readLine(12_000));
      if ("id" in line && line.id === id) {
        elapsedMs = performance.now() - start;
        break;
      }
    }
    // Give a second (wrong) response the time to show up before stdin closes.
    await new Promise((resolve) => setTimeout(resolve, 150));
    status = await finishRaw(raw);
    const messages = stdoutMessages(raw.stdout());
    const answers = messages.filter((m) => "id" in m && m.id === id && !("method" in m));
    assert.equal(answers.length, 1, `expected one response to ${JSON.stringify(id)}:\n${raw.stdout()}`);
    return { messages, answer: answers[0]!, stderr: raw.stderr(), status, elapsedMs };
  } finally {
    if (status === undefined) {
      await raw.closeStdin();
      await raw.status;
      await raw.done;
    }
  }
}

/** Checks the bridge's own error answer: code, id, message, and that the bridge exited cleanly. */
function assertBridgeError(run: FaultRun, id: string | number, patterns: RegExp[]): string {
  assert.equal(run.status.code, 0, `exit code ${run.status.code}; stderr:\n${run.stderr}`);
  assert.deepEqual(Object.keys(run.answer).sort(), ["error", "id", "jsonrpc"]);
  assert.equal(run.answer.id, id);
  assert.equal(run.answer.error?.code, TRANSPORT_ERROR);
  const message = run.answer.error!.message;
  for (const pattern of patterns) assert.match(message, pattern);
  return message;
}

function hostOf(server: { url: URL }): RegExp {
  return new RegExp(`127\\.0\\.0\\.1:${server.url.port}\\b`);
}

async function withServer<T extends { close(): Promise<void> }>(
  start: Promise<T>,
  body: (server: T) => Promise<void>,
): Promise<void> {
  const server = await start;
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

function posts(server: FaultServer): string[] {
  return server.requests.map((r) => `${r.method} ${r.method === "POST" ? JSON.parse(r.body).method : ""}`);
}

Deno.test("fault: 200 text/html to initialize → one error naming the host and the HTML page", async () => {
  await withServer(serveHtmlPage(), async (server) => {
    const run = await runFault(server.url, "init-html");
    assert.deepEqual(run.messages, [run.answer]);
    assertBridgeError(run, "init-html", [hostOf(server), /HTML page/, /\/mcp/]);
    // 200 is not a legacy-server status: no fallback to HTTP+SSE (no GET).
    assert.deepEqual(posts(server), ["POST initialize"]);
  });
});

Deno.test("fault: 200 text/html to a request after the handshake → one error", async () => {
  await withServer(serveHtmlPage({ handshake: true }), async (server) => {
    const run = await runFault(server.url, "list-html", { afterHandshake: true });
    assert.equal(run.messages.length, 2);
    assertBridgeError(run, "list-html", [hostOf(server), /HTML page/]);
    const list = server.requests.find((r) => r.method === "POST" && r.body.includes("tools/list"));
    assert.equal(list?.headers["mcp-session-id"], FAULT_SESSION_ID);
  });
});

Deno.test("fault: HTTP 500 with the server's own JSON-RPC error → forwarded as-is", async () => {
  let sent = "";
  const body = (id: string | number | null) => (sent = JSON.stringify({
    jsonrpc: "2.0",
    id,
    error: { code: -32603, message: "Database is on fire", data: { incident: "INC-42" } },
  }));
  await withServer(serveStatus(500, body), async (server) => {
    const run = await runFault(server.url, 500500);
    assert.equal(run.status.code, 0);
    assert.deepEqual(run.messages, [run.answer]);
    // The exact bytes the server sent, not a re-serialisation or a wrapper.
    assert.equal(run.answer.id, 500500);
    assert.equal(JSON.stringify(run.answer), sent);
    assert.equal(run.answer.error?.message, "Database is on fire");
    assert.equal(posts(server).length, 1);
  });
});

Deno.test("fault: HTTP 500 with a JSON-RPC error for another id → the bridge's own error", async () => {
  const body = () =>
    JSON.stringify({ jsonrpc: "2.0", id: 999, error: { code: -32603, message: "Wrong one" } });
  await withServer(serveStatus(500, body), async (server) => {
    const run = await runFault(server.url, 7);
    assert.deepEqual(run.messages, [run.answer]);
    const message = assertBridgeError(run, 7, [hostOf(server), /HTTP 500/, /Wrong one/]);
    assert.doesNotMatch(message, /"id":999/);
    assert.deepEqual(run.answer.error?.data, { status: 500 });
  });
});

Deno.test("fault: HTTP 502 with an HTML page → one error naming the host and the status", async () => {
  const page = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>";
  await withServer(serveStatus(502, page), async (server) => {
    const run = await runFault(server.url, "gw");
    assert.deepEqual(run.messages, [run.answer]);
    const message = assertBridgeError(run, "gw", [
      hostOf(server),
      /HTTP 502/,
      /HTML page/,
      /check before you retry/,
    ]);
    assert.doesNotMatch(message, /<html|<center/, "the page itself is not quoted");
    assert.deepEqual(run.answer.error?.data, { status: 502 });
    assert.deepEqual(posts(server), ["POST initialize"]);
  });
});

Deno.test("fault: HTTP 502 to a request after the handshake → one error", async () => {
  await withServer(serveStatus(502, "<html>Bad Gateway</html>", { handshake: true }), async (server) => {
    // With reconnection on, a read-only request waits out a 502 (tests/transport/lifecycle_faults_test.ts); here the
    // error itself is checked.
    const run = await runFault(server.url, 31, { afterHandshake: true, args: ["--no-reconnect"] });
    assert.equal(run.messages.length, 2);
    assertBridgeError(run, 31, [hostOf(server), /HTTP 502/]);
    assert.deepEqual(run.answer.error?.data, { status: 502 });
  });
});

Deno.test("fault: HTTP 401 → one error that mentions authorization, no fallback", async () => {
  const body = JSON.stringify({ error: "invalid_token", error_description: "The access token expired" });
  await withServer(
    serveStatus(401, body, { headers: { "www-authenticate": 'Bearer error="invalid_token"' } }),
    async (server) => {
      const run = await runFault(server.url, "auth-1");
      assert.deepEqual(run.messages, [run.answer]);
      // Signing in needs a callback listener, which this exact permission set does not allow.
      assertBridgeError(run, "auth-1", [
        hostOf(server),
        /HTTP 401/,
        /requires authorization/,
        /needs network permissions mcp-bridge lacks: add --allow-net=127\.0\.0\.1 /,
      ]);
      assert.deepEqual(run.answer.error?.data, { status: 401 });
      // An authorization failure must not be taken for a legacy server: one POST, and the GETs are
      // authorization discovery (JSON), never an SSE stream.
      assert.deepEqual(posts(server).filter((p) => p.startsWith("POST")), ["POST initialize"]);
      for (const request of server.requests.filter((r) => r.method === "GET")) {
        assert.equal(request.headers.accept, "application/json");
      }
    },
  );
});

Deno.test("fault: 200 application/json with a body that is not JSON → one error", async () => {
  await withServer(serveNonJson(), async (server) => {
    const run = await runFault(server.url, 404404);
    assert.deepEqual(run.messages, [run.answer]);
    assertBridgeError(run, 404404, [hostOf(server), /not a JSON-RPC message|malformed JSON|not JSON/i]);
  });
});

Deno.test("fault: non-JSON body to a request after the handshake → one error", async () => {
  await withServer(serveNonJson({ handshake: true }), async (server) => {
    const run = await runFault(server.url, "nj", { afterHandshake: true });
    assert.equal(run.messages.length, 2);
    assertBridgeError(run, "nj", [hostOf(server), /not a JSON-RPC message|malformed JSON|not JSON/i]);
  });
});

Deno.test("fault: connection refused → one error naming the host", async () => {
  const url = refusedUrl();
  const run = await runFault(url, "refused");
  assert.deepEqual(run.messages, [run.answer]);
  assertBridgeError(run, "refused", [
    new RegExp(`Cannot reach 127\\.0\\.0\\.1:${url.port}\\b`),
    /--allow-net/,
  ]);
  assert.equal(run.answer.error?.data, undefined);
});

Deno.test({
  name: "fault: connection refused → the error says the connection was refused",
  fn: async () => {
    const url = refusedUrl();
    const run = await runFault(url, "refused");
    assert.deepEqual(run.messages, [run.answer]);
    const message = assertBridgeError(run, "refused", [/Connection refused/i]);
    assert.doesNotMatch(message, /fetch failed/);
  },
});

Deno.test("fault: a stalled server and --connect-timeout 1s → one timeout error within seconds", async () => {
  await withServer(serveStall(), async (server) => {
    const run = await runFault(server.url, "slow", { args: ["--connect-timeout", "1s"] });
    assert.deepEqual(run.messages, [run.answer]);
    assertBridgeError(run, "slow", [hostOf(server), /Timed out after 1 s/, /--connect-timeout/]);
    assert.ok(run.elapsedMs >= 900, `answered after ${run.elapsedMs} ms, before the timeout`);
    assert.ok(run.elapsedMs < 4000, `answered after ${run.elapsedMs} ms`);
    assert.deepEqual(posts(server), ["POST initialize"]);
  });
});

Deno.test("fault: a request's event stream ends without an event id → a read is sent again twice, then one error", async () => {
  await withServer(serveCutStream(), async (server) => {
    const run = await runFault(server.url, "cut", { afterHandshake: true });
    // initialize result, the notification each of the 3 streams carried, then the one error: tools/list
    // only reads, so it is sent again (at most twice) rather than waited on: the server keeps cutting.
    assert.equal(run.messages.length, 5, JSON.stringify(run.messages));
    assert.deepEqual(run.messages.slice(1, 4), [CUT_STREAM_NOTICE, CUT_STREAM_NOTICE, CUT_STREAM_NOTICE]);
    assert.deepEqual(posts(server).filter((p) => p === "POST tools/list").length, 3);
    assertBridgeError(run, "cut", [
      hostOf(server),
      /closed the event stream/,
      /no event id to resume from: the server may have run it/,
    ]);
    // There was nothing to resume from: no GET with Last-Event-ID.
    assert.equal(server.requests.filter((r) => "last-event-id" in r.headers).length, 0);
  });
});

Deno.test({
  name: "fault: a request's event stream cut mid-event → resumed from the last whole event",
  fn: () =>
    withServer(serveCutMidEvent(), async (server) => {
      const run = await runFault(server.url, "mid", { afterHandshake: true });
      assert.equal(run.status.code, 0);
      assert.equal(run.messages.length, 3, JSON.stringify(run.messages));
      assert.deepEqual(run.messages[1], CUT_STREAM_NOTICE);
      assert.deepEqual(run.answer, { jsonrpc: "2.0", id: "mid", result: MID_EVENT_RESULT });
      const resumes = server.requests.filter((r) => r.method === "GET" && "last-event-id" in r.headers);
      assert.deepEqual(resumes.map((r) => r.headers["last-event-id"]), ["ev-1"]);
    }),
});

Deno.test("fault: 202 to a request → one error saying the server sent no response", async () => {
  await withServer(serveNoResponse202(), async (server) => {
    const run = await runFault(server.url, 202, { afterHandshake: true });
    assert.equal(run.messages.length, 2);
    assertBridgeError(run, 202, [hostOf(server), /HTTP 202/, /no response/]);
  });
});

Deno.test("fault: 202 to initialize → one error", async () => {
  await withServer(serveNoResponse202({}), async (server) => {
    const run = await runFault(server.url, "i202");
    assert.deepEqual(run.messages, [run.answer]);
    assertBridgeError(run, "i202", [hostOf(server), /HTTP 202/, /no response/]);
  });
});

Deno.test("fault: --allow-net for another port → one error naming the flag to add", async () => {
  const seen: string[] = [];
  await withServer(
    serveExample({ intercept: (request) => void seen.push(request.method) }),
    async (server) => {
      const other = refusedUrl();
      const run = await runFault(server.url, "perm", { net: [netFor(other)] });
      assert.deepEqual(run.messages, [run.answer]);
      const flag = `--allow-net=127.0.0.1:${server.url.port}`;
      const message = assertBridgeError(run, "perm", [hostOf(server), /permission/]);
      assert.ok(message.includes(flag), `"${message}" does not name ${flag}`);
      assert.deepEqual(seen, [], "no request reached the server");
    },
  );
});

Deno.test({
  name: "fault: a request still stalled at stdin EOF → one error before the bridge exits",
  fn: () =>
    withServer(serveStall({ handshake: true }), async (server) => {
      const raw = spawnRaw([server.url.href, "--protocol", "legacy"], { net: [netFor(server.url)] });
      let status: Deno.CommandStatus | undefined;
      try {
        await raw.write(initializeLine(1));
        assert.equal(JSON.parse(await raw.readLine()).id, 1);
        await raw.write(INITIALIZED_LINE);
        await raw.write(JSON.stringify({ jsonrpc: "2.0", id: "pending", method: "tools/list" }) + "\n");
        await new Promise((resolve) => setTimeout(resolve, 300));
        status = await finishRaw(raw);
      } finally {
        if (status === undefined) await finishRaw(raw);
      }
      assert.equal(status.code, 0);
      const answers = stdoutMessages(raw.stdout()).filter((m) => m.id === "pending");
      assert.equal(answers.length, 1, `no response to "pending":\n${raw.stdout()}`);
      assert.equal(answers[0]!.error?.code, TRANSPORT_ERROR);
    }),
});
