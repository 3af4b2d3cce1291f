/**
 * The host side of the bridge, byte by byte: what it does with bad lines, big lines, stdin EOF and
 * signals, which headers it sends, and how it treats secrets. The real CLI runs against the real
 * SDK example server; `intercept` only watches the requests (and, in one test, injects a fault).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { serveExample } from "../../src/demo/example_server.ts";
import { SIGNALS_AFTER_MS } from "../../src/bridge/serve_stdio.ts";
import {
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  netFor,
  type Permissions,
  type RawBridge,
  spawnRaw,
  stdoutMessages,
} from "../_fixtures/bridge_host.ts";

interface Seen {
  method: string;
  headers: Record<string, string>;
  /** The POST body (`""` for other methods, or when bodies are not recorded). */
  body: string;
}

interface ExampleOptions {
  /** Record POST bodies (default true). */
  bodies?: boolean;
  /** The largest request body the server accepts. */
  maxRequestBodySize?: number;
  /** Answers a request instead of the MCP server (a fault injected into the real server). */
  answer?: (request: Request, body: string) => Response | undefined;
}

async function startExample(options: ExampleOptions = {}) {
  const seen: Seen[] = [];
  const server = await serveExample({
    ...(options.maxRequestBodySize ? { maxRequestBodySize: options.maxRequestBodySize } : {}),
    intercept: async (request) => {
      const body = options.bodies === false || request.method !== "POST" ? "" : await request.clone().text();
      seen.push({ method: request.method, headers: Object.fromEntries(request.headers), body });
      return options.answer?.(request, body);
    },
  });
  return { server, seen };
}

/** The JSON-RPC method of a recorded POST, `""` for anything else. */
function rpcMethod(s: Seen): string {
  if (s.method !== "POST" || s.body === "") return "";
  try {
    return String((JSON.parse(s.body) as { method?: unknown }).method ?? "");
  } catch {
    return "<not json>";
  }
}

/** Spawns the bridge for a server with exactly its net permission (plus `extra`). */
function bridgeFor(url: URL, args: string[] = [], extra: Permissions = {}, env: Record<string, string> = {}) {
  return spawnRaw([url.href, ...args], { net: [netFor(url)], ...extra }, env);
}

/** Runs `body` with the bridge, then always closes stdin and waits for exit and output. */
async function withBridge(
  raw: RawBridge,
  body: () => Promise<void>,
): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }> {
  let status: Deno.CommandStatus | undefined;
  try {
    await body();
  } finally {
    status = await finishRaw(raw);
  }
  return { status, stdout: raw.stdout(), stderr: raw.stderr() };
}

async function readJson(raw: RawBridge, timeoutMs?: number): Promise<Record<string, unknown>> {
  return JSON.parse(await raw.readLine(timeoutMs));
}

/** initialize + notifications/initialized; returns the initialize result. */
async function handshake(raw: RawBridge, version = "2025-11-25"): Promise<Record<string, unknown>> {
  await raw.write(initializeLine(1, version));
  const init = await readJson(raw);
  assert.equal(init.id, 1);
  assert.ok(init.result, `initialize failed: ${JSON.stringify(init)}; stderr:\n${raw.stderr()}`);
  await raw.write(INITIALIZED_LINE);
  return init.result as Record<string, unknown>;
}

function request(id: string | number, method: string, params?: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }) + "\n";
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("host I/O: a malformed JSON line → parse error with id null; the bridge goes on", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await raw.write("{not json at all\n");
      const error = await readJson(raw);
      assert.equal(error.id, null);
      assert.equal((error.error as { code: number }).code, -32700);
      assert.match((error.error as { message: string }).message, /Cannot parse the message as JSON/);
      const init = await handshake(raw);
      assert.equal((init.serverInfo as { name: string }).name, "mcp-bridge-example");
      // A request cut short in the middle of a session.
      await raw.write('{"jsonrpc":"2.0","id":5,"method":"tools/li\n');
      const again = await readJson(raw);
      assert.deepEqual([again.id, (again.error as { code: number }).code], [null, -32700]);
      await raw.write(request(6, "tools/list"));
      const list = await readJson(raw);
      assert.equal(list.id, 6);
      assert.deepEqual(
        (list.result as { tools: { name: string }[] }).tools.map((t) => t.name).sort(),
        ["add", "countdown", "echo"],
      );
    });
    assert.equal(run.status.code, 0);
    assert.deepEqual(stdoutMessages(run.stdout).map((m) => m.id), [null, 1, null, 6]);
    assert.ok(seen.every((s) => rpcMethod(s) !== "<not json>"), "a malformed line reached the server");
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: a line of invalid UTF-8 → parse error with id null; the bridge goes on", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await handshake(raw);
      const bad = new Uint8Array([
        ...new TextEncoder().encode('{"jsonrpc":"2.0","id":9,"method":"ping","params":{"x":"'),
        0xff,
        0xfe,
        0xc3, // a lone lead byte
        ...new TextEncoder().encode('"}}\n'),
      ]);
      await raw.write(bad);
      const error = await readJson(raw);
      assert.equal(error.id, null);
      assert.equal((error.error as { code: number }).code, -32700);
      assert.match((error.error as { message: string }).message, /UTF-8/);
      await raw.write(request(10, "ping"));
      assert.deepEqual(await readJson(raw), { jsonrpc: "2.0", id: 10, result: {} });
    });
    assert.equal(run.status.code, 0);
    assert.deepEqual(stdoutMessages(run.stdout).map((m) => m.id), [1, null, 10]);
    assert.equal(seen.filter((s) => s.body.includes('"id":9')).length, 0, "the bad line reached the server");
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: blank lines are ignored, CRLF is accepted, a character split across writes is kept", async () => {
  const { server } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await raw.write("\n\n   \n\r\n\t\n");
      await handshake(raw);
      await raw.write("\n\n");
      await raw.write(request("p", "ping").replace("\n", "\r\n"));
      assert.deepEqual(await readJson(raw), { jsonrpc: "2.0", id: "p", result: {} });
      // "é" is 0xC3 0xA9: send the two bytes in separate writes.
      const bytes = new TextEncoder().encode(
        request("e", "tools/call", { name: "echo", arguments: { text: "café ✓" } }),
      );
      const split = bytes.indexOf(0xc3) + 1;
      await raw.write(bytes.subarray(0, split));
      await delay(50);
      await raw.write(bytes.subarray(split));
      const echo = await readJson(raw);
      assert.equal(echo.id, "e");
      assert.deepEqual((echo.result as { content: unknown }).content, [{ type: "text", text: "café ✓" }]);
    });
    assert.equal(run.status.code, 0);
    // Nothing was answered for the blank lines.
    assert.deepEqual(stdoutMessages(run.stdout).map((m) => m.id), [1, "p", "e"]);
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: a JSON array (batch) → one invalid-request error with id null; nothing is sent", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await handshake(raw);
      const before = seen.length;
      await raw.write(
        JSON.stringify([
          { jsonrpc: "2.0", id: 21, method: "ping" },
          { jsonrpc: "2.0", id: 22, method: "tools/list" },
        ]) + "\n",
      );
      const error = await readJson(raw);
      assert.deepEqual(error, {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: "Invalid JSON-RPC message: batches are not supported" },
      });
      await raw.write(request(23, "ping"));
      assert.deepEqual(await readJson(raw), { jsonrpc: "2.0", id: 23, result: {} });
      assert.equal(seen.slice(before).filter((s) => s.body.trimStart().startsWith("[")).length, 0);
    });
    assert.equal(run.status.code, 0);
    // One answer for the whole batch, none per element.
    assert.deepEqual(stdoutMessages(run.stdout).map((m) => m.id), [1, null, 23]);
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: a request reusing the id of one in flight → invalid-request error; the first is answered once", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await handshake(raw);
      await raw.write(request(7, "tools/call", { name: "countdown", arguments: { n: 3, delayMs: 100 } }));
      await delay(50);
      await raw.write(request(7, "tools/call", { name: "echo", arguments: { text: "second" } }));
      const error = await readJson(raw);
      assert.deepEqual(error, {
        jsonrpc: "2.0",
        id: 7,
        error: { code: -32600, message: "Invalid request: id 7 is already used by a request in flight" },
      });
      const first = await readJson(raw, 5000);
      assert.equal(first.id, 7);
      assert.deepEqual((first.result as { content: unknown }).content, [{ type: "text", text: "Lift-off!" }]);
    });
    assert.equal(run.status.code, 0);
    assert.equal(
      seen.filter((s) => rpcMethod(s) === "tools/call").length,
      1,
      "the second never reached the server",
    );
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: a 10 MiB message passes intact both ways", async () => {
  const { server } = await startExample({ bodies: false, maxRequestBodySize: 64 * 1024 * 1024 });
  try {
    const unit = 'héllo wörld ✓ 0123456789 \u{1F680} "quoted" \\ ';
    const bytesPerUnit = new TextEncoder().encode(unit).length;
    const text = unit.repeat(Math.ceil((10 * 1024 * 1024) / bytesPerUnit));
    assert.ok(new TextEncoder().encode(text).length >= 10 * 1024 * 1024);
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await handshake(raw);
      await raw.write(request("big", "tools/call", { name: "echo", arguments: { text } }));
      const echo = await readJson(raw, 14_000);
      assert.equal(echo.id, "big", JSON.stringify(echo).slice(0, 300));
      const content = (echo.result as { content: { type: string; text: string }[] }).content;
      assert.equal(content.length, 1);
      assert.equal(content[0]!.text.length, text.length);
      assert.ok(content[0]!.text === text, "the echoed text differs from what was sent");
    });
    assert.equal(run.status.code, 0);
    assert.deepEqual(stdoutMessages(run.stdout).map((m) => m.id), [1, "big"]);
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: large answers go to the host as the bytes they came in, intact, in order with the rest", async () => {
  const { server } = await startExample({ bodies: false, maxRequestBodySize: 64 * 1024 * 1024 });
  try {
    const unit = 'héllo wörld ✓ 0123456789 \u{1F680} "quoted" \\ \u2028 ';
    const bytesPerUnit = new TextEncoder().encode(unit).length;
    const sizes = [100 * 1024, 1024 * 1024, 3 * 1024 * 1024];
    const texts = sizes.map((size) => unit.repeat(Math.ceil(size / bytesPerUnit)));
    const raw = bridgeFor(server.url, ["--debug"]);
    const run = await withBridge(raw, async () => {
      await handshake(raw);
      // Sent together: the answers and the small ones between them come back whole, one line each.
      for (const [k, text] of texts.entries()) {
        await raw.write(request(`big${k}`, "tools/call", { name: "echo", arguments: { text } }));
        await raw.write(request(`small${k}`, "tools/call", { name: "add", arguments: { a: k, b: 1 } }));
      }
      const answers = new Map<unknown, Record<string, unknown>>();
      for (let n = 0; n < 2 * texts.length; n++) {
        const answer = await readJson(raw, 14_000);
        answers.set(answer.id, answer);
      }
      for (const [k, text] of texts.entries()) {
        const content = (answers.get(`big${k}`)?.result as { content: { text: string }[] }).content;
        assert.ok(content[0]!.text === text, `answer ${k} differs from what was sent`);
        assert.deepEqual((answers.get(`small${k}`)?.result as { content: unknown }).content, [{
          type: "text",
          text: String(k + 1),
        }]);
      }
    });
    assert.equal(run.status.code, 0);
    // Each large answer took the bytes path (a debug line each); the small ones did not.
    for (const k of texts.keys()) {
      assert.match(
        run.stderr,
        new RegExp(`The answer to "big${k}" \\([\\d.]+ [KM]iB\\) goes to the host as it came`),
      );
    }
    assert.doesNotMatch(run.stderr, /"small\d" .* goes to the host as it came/);
  } finally {
    await server.close();
  }
});

/** Starts a session with a tool call, then ends the bridge with `stop`; returns what happened. */
async function endSession(stop: (raw: RawBridge) => Promise<void> | void) {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    let elapsed = -1;
    let sessionId = "";
    let status: Deno.CommandStatus | undefined;
    try {
      await handshake(raw);
      await raw.write(request(2, "tools/call", { name: "add", arguments: { a: 2, b: 3 } }));
      const sum = await readJson(raw);
      assert.deepEqual((sum.result as { content: unknown }).content, [{ type: "text", text: "5" }]);
      assert.equal(server.sessions.size, 1);
      sessionId = [...server.sessions.keys()][0]!;
      const start = performance.now();
      await stop(raw);
      status = await raw.status;
      elapsed = performance.now() - start;
    } finally {
      await raw.closeStdin();
      status = await raw.status;
      await raw.done;
    }
    return { status, elapsed, sessionId, seen, sessionsLeft: server.sessions.size, raw };
  } finally {
    await server.close();
  }
}

function assertSessionDeleted(ended: Awaited<ReturnType<typeof endSession>>): void {
  const { status, elapsed, sessionId, seen, sessionsLeft, raw } = ended;
  assert.equal(status.code, 0, `exit code ${status.code}; stderr:\n${raw.stderr()}`);
  assert.ok(elapsed < 1000, `exited ${Math.round(elapsed)} ms after the host went away`);
  const deletes = seen.filter((s) => s.method === "DELETE");
  assert.equal(deletes.length, 1, `DELETE requests: ${deletes.length}`);
  assert.equal(deletes[0]!.headers["mcp-session-id"], sessionId);
  assert.equal(sessionsLeft, 0, "the server still holds the session");
  assert.deepEqual(stdoutMessages(raw.stdout()).map((m) => m.id), [1, 2]);
}

Deno.test("host I/O: stdin EOF → DELETE of the session, exit 0 within 1 s", async () => {
  assertSessionDeleted(await endSession((raw) => raw.closeStdin()));
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`host I/O: ${signal} → DELETE of the session, exit 0 within 1 s`, async () => {
    const ended = await endSession((raw) => raw.kill(signal));
    assert.equal(ended.status.signal, null, `killed by ${ended.status.signal} instead of exiting`);
    assertSessionDeleted(ended);
  });
}

Deno.test("host I/O: SIGTERM before the host's first message, once the bridge is up: it shuts down and exits 0", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    // Listening starts at the latest SIGNALS_AFTER_MS after serving starts (sooner once a message is answered).
    await delay(SIGNALS_AFTER_MS + 600);
    raw.kill("SIGTERM");
    const status = await raw.status;
    await raw.closeStdin();
    await raw.done;
    assert.equal(status.signal, null, `killed by ${status.signal} instead of exiting`);
    assert.equal(status.code, 0, raw.stderr());
    assert.deepEqual(seen, [], "no request: the host sent nothing");
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: no HTTP request before the host's first message", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    const run = await withBridge(raw, async () => {
      await delay(300);
      assert.deepEqual(seen.map((s) => s.method), [], "the bridge spoke to the server on its own");
      await handshake(raw);
    });
    assert.equal(run.status.code, 0);
    assert.ok(seen.length > 1);
    // The first request is the era probe (it creates no session), then the host's own initialize.
    assert.deepEqual([seen[0]!.method, rpcMethod(seen[0]!)], ["POST", "server/discover"]);
    assert.deepEqual([seen[1]!.method, rpcMethod(seen[1]!)], ["POST", "initialize"]);
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: after initialize every request carries the session id and the negotiated version", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url);
    let sessionId = "";
    const run = await withBridge(raw, async () => {
      // Not the newest version: the header must carry what was negotiated, not a constant.
      const init = await handshake(raw, "2025-06-18");
      assert.equal(init.protocolVersion, "2025-06-18");
      await raw.write(request(2, "tools/list"));
      await raw.write(request(3, "tools/call", { name: "echo", arguments: { text: "x" } }));
      await raw.write(request(4, "resources/read", { uri: "demo://readme" }));
      await raw.write(request(5, "ping"));
      const ids = new Set<unknown>();
      while (ids.size < 4) ids.add((await readJson(raw)).id);
      sessionId = [...server.sessions.keys()][0]!;
    });
    assert.equal(run.status.code, 0);
    assert.ok(sessionId);
    const [probe, first, ...rest] = seen;
    assert.equal(rpcMethod(probe!), "server/discover");
    assert.equal(probe!.headers["mcp-session-id"], undefined);
    assert.equal(rpcMethod(first!), "initialize");
    assert.equal(first!.headers["mcp-session-id"], undefined);
    const kinds = rest.map((s) => `${s.method} ${rpcMethod(s)}`.trim());
    for (const kind of ["POST notifications/initialized", "POST tools/list", "POST ping", "GET", "DELETE"]) {
      assert.ok(kinds.includes(kind), `no ${kind} among ${kinds.join(", ")}`);
    }
    for (const s of rest) {
      const what = `${s.method} ${rpcMethod(s)}`;
      assert.equal(s.headers["mcp-session-id"], sessionId, `${what}: Mcp-Session-Id`);
      assert.equal(s.headers["mcp-protocol-version"], "2025-06-18", `${what}: MCP-Protocol-Version`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("host I/O: a --header with ${TEST_TOKEN} reaches the server; the value never reaches stderr or the debug log", async () => {
  const token = `tok-${crypto.randomUUID()}`;
  const { server, seen } = await startExample({
    // The server quotes the token back in an error, so that the bridge has it in hand when it logs.
    answer: (_request, body) =>
      body.includes('"leak"')
        ? Response.json({ error: `token ${token} is not allowed for this tool` }, { status: 500 })
        : undefined,
  });
  await Deno.mkdir(".tmp", { recursive: true });
  const configDir = await Deno.makeTempDir({ dir: ".tmp", prefix: "host_io_debug_" });
  try {
    const raw = bridgeFor(
      server.url,
      ["--header", "X-Test: ${TEST_TOKEN}", "--debug", "--config-dir", configDir],
      { env: ["TEST_TOKEN"], read: [configDir], write: [configDir] },
      { TEST_TOKEN: token },
    );
    const run = await withBridge(raw, async () => {
      await handshake(raw);
      await raw.write(request(2, "tools/call", { name: "echo", arguments: { text: "hi" } }));
      assert.equal((await readJson(raw)).id, 2);
      await raw.write(request(3, "tools/call", { name: "leak", arguments: {} }));
      const failed = await readJson(raw);
      assert.equal(failed.id, 3);
      assert.equal((failed.error as { data?: { status: number } }).data?.status, 500);
    });
    assert.equal(run.status.code, 0);
    // The header reached the server on every request.
    assert.ok(seen.length >= 4);
    for (const s of seen) assert.equal(s.headers["x-test"], token, `${s.method} ${rpcMethod(s)}: X-Test`);
    // Debug output is there, and the secret is not.
    assert.match(run.stderr, /X-Test/);
    assert.match(run.stderr, /\[redacted\]/, "the failure quoting the token was not logged");
    assert.ok(!run.stderr.includes(token), "the token appears on stderr");
    const logPath = join(configDir, "logs", "debug.log");
    const log = await Deno.readTextFile(logPath);
    assert.match(log, /debug log/);
    assert.match(log, /\[redacted\]/);
    assert.ok(!log.includes(token), "the token appears in the debug log");
    assert.equal((await Deno.stat(logPath)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(configDir, "logs"))).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(configDir, { recursive: true });
    await server.close();
  }
});

async function unsetVariableRun(header: string, name: string) {
  assert.ok(header.includes(`\${${name}}`));
  assert.equal(Deno.env.get(name), undefined);
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url, ["--header", header], { env: [name] });
    const run = await withBridge(raw, async () => {});
    assert.equal(run.status.code, 2, `stderr:\n${run.stderr}`);
    assert.equal(run.stdout, "");
    assert.deepEqual(seen, []);
    return run.stderr;
  } finally {
    await server.close();
  }
}

Deno.test("host I/O: an unset ${VAR} in a header → exit 2 naming the variable, no request", async () => {
  const name = "MCP_BRIDGE_TEST_SURELY_UNSET_VAR";
  const stderr = await unsetVariableRun(`X-Api-Key: \${${name}}`, name);
  assert.match(stderr, new RegExp(`"X-Api-Key": environment variable ${name} is not set`));
});

Deno.test({
  name: "host I/O: an unset ${VAR} in an Authorization header → the message still says it is not set",
  fn: async () => {
    const name = "MCP_BRIDGE_TEST_SURELY_UNSET_VAR";
    const stderr = await unsetVariableRun(`Authorization: Bearer \${${name}}`, name);
    assert.match(stderr, new RegExp(`environment variable ${name} is not set`));
  },
});

Deno.test("host I/O: a ${VAR} without --allow-env → exit 2 naming the flag", async () => {
  const { server, seen } = await startExample();
  try {
    const raw = bridgeFor(server.url, ["--header", "X-Test: ${TEST_TOKEN}"], {}, { TEST_TOKEN: "secret-1" });
    const run = await withBridge(raw, async () => {});
    assert.equal(run.status.code, 2, `stderr:\n${run.stderr}`);
    // Whole and readable: the redactor must not take "TEST_TOKEN: run" for a secret.
    assert.match(
      run.stderr,
      /Cannot read the environment variable "TEST_TOKEN": run again with --allow-env=TEST_TOKEN/,
    );
    assert.ok(!run.stderr.includes("secret-1"));
    assert.equal(run.stdout, "");
    assert.deepEqual(seen, []);
  } finally {
    await server.close();
  }
});

for (const header of ["Mcp-Session-Id: stolen-session", "mcp-protocol-version: 1999-01-01"]) {
  Deno.test(`host I/O: --header "${header}" is refused with exit 2`, async () => {
    const { server, seen } = await startExample();
    try {
      const raw = bridgeFor(server.url, ["--header", header]);
      const run = await withBridge(raw, async () => {});
      assert.equal(run.status.code, 2, `stderr:\n${run.stderr}`);
      const name = header.slice(0, header.indexOf(":"));
      assert.match(run.stderr, new RegExp(`"${name}".*sets it itself`));
      assert.equal(run.stdout, "");
      assert.deepEqual(seen, []);
    } finally {
      await server.close();
    }
  });
}
