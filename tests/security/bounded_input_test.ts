/**
 * Rule 5: bounded input. One SSE event, one JSON body, one header block and one listing have
 * limits (`--max-message-size`, 64 MiB by default; Deno's HTTP client for the header block; 1000
 * pages or a repeated cursor for a listing). Past a limit the host gets one clear JSON-RPC error, the
 * stream is dropped, and memory stays bounded: a hostile 1 GiB event does not take the bridge's peak
 * RSS past ~150 MiB.
 *
 * The attackers are hand-written servers, each named for its attack: no real server sends a 1 GiB
 * event, a body without end, a megabyte of headers or a cursor that loops.
 */

import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import {
  connectHost,
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  MAIN,
  netFor,
  permissionFlags,
  spawnRaw,
  stdoutMessages,
} from "../_fixtures/bridge_host.ts";
import { serveLoopback } from "../_fixtures/loopback_server.ts";
import { serveModern } from "../_fixtures/modern_server.ts";
import { peakRssMiB } from "../_fixtures/peak_rss.ts";

const GIB = 1024 ** 3;
const CHUNK = new TextEncoder().encode("x".repeat(64 * 1024));
/** 64 KiB of short `data:` lines: one event made of many lines. */
const LINES = new TextEncoder().encode(`data: ${"y".repeat(1017)}\n`.repeat(64));

interface Hostile {
  url: URL;
  /** Bytes of the attack body sent before the bridge stopped reading. */
  sent(): number;
  close(): Promise<void>;
}

/** A body of `total` bytes of `x`, made on the fly (never held in memory), after `prefix`. */
function endlessBody(
  prefix: string,
  total: number,
  suffix: string,
  count: (n: number) => void,
  chunk: Uint8Array = CHUNK,
) {
  let sent = 0;
  const head = new TextEncoder().encode(prefix);
  let started = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(head);
        return;
      }
      if (sent >= total) {
        controller.enqueue(new TextEncoder().encode(suffix));
        controller.close();
        return;
      }
      sent += chunk.byteLength;
      count(chunk.byteLength);
      controller.enqueue(chunk);
    },
    cancel() {},
  });
}

function initializeResult(id: unknown) {
  return {
    jsonrpc: "2.0",
    id,
    result: {
      protocolVersion: "2025-11-25",
      capabilities: { tools: {} },
      serverInfo: { name: "hostile", version: "0" },
    },
  };
}

/**
 * The attack server: `initialize` (or, with `afterHandshake`, `tools/list`) is answered with a body
 * of 1 GiB: one SSE event, or one JSON body (optionally announcing its length).
 */
function serveGigabyte(
  kind: "sse" | "sse-lines" | "json" | "json-declared",
  options: { afterHandshake?: boolean; getStream?: boolean } = {},
): Promise<Hostile> {
  let sent = 0;
  const count = (n: number) => (sent += n);
  return serveLoopback(async (request) => {
    if (request.method === "DELETE") return new Response(null, { status: 200 });
    if (request.method === "GET") {
      if (!options.getStream) return new Response(null, { status: 405 });
      return new Response(
        endlessBody('event: message\ndata: {"jsonrpc":"2.0","method":"x","params":"', GIB, '"}\n\n', count),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    const message = JSON.parse(await request.text());
    if (message.id === undefined) return new Response(null, { status: 202 });
    const attacked = options.afterHandshake
      ? message.method === "tools/list"
      : message.method === "initialize";
    if (!attacked) {
      if (message.method === "initialize") {
        return Response.json(initializeResult(message.id), { headers: { "mcp-session-id": "s1" } });
      }
      if (message.method === "tools/list") {
        return Response.json({ jsonrpc: "2.0", id: message.id, result: { tools: [] } });
      }
      return Response.json({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "no" } });
    }
    const id = JSON.stringify(message.id);
    if (kind === "sse-lines") {
      return new Response(
        endlessBody(`event: message\ndata: {"jsonrpc":"2.0","id":${id}}\n`, GIB, "\n", count, LINES),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    if (kind === "sse") {
      return new Response(
        endlessBody(
          `event: message\ndata: {"jsonrpc":"2.0","id":${id},"result":{"pad":"`,
          GIB,
          '"}}\n\n',
          count,
        ),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (kind === "json-declared") headers["content-length"] = String(2 * GIB);
    return new Response(
      endlessBody(`{"jsonrpc":"2.0","id":${id},"result":{"pad":"`, GIB, '"}}', count),
      { headers },
    );
  }).then((server) => ({ url: server.url, sent: () => sent, close: server.close }));
}

/** Runs the bridge, sends the attacked request, returns its answer, stderr and the bridge's peak RSS. */
async function attack(server: Hostile, args: string[], afterHandshake = false) {
  const raw = spawnRaw([server.url.href, "--protocol", "legacy", ...args], { net: [netFor(server.url)] });
  let rss: number | undefined;
  try {
    await raw.write(initializeLine(1));
    if (afterHandshake) {
      assert.ok(JSON.parse(await raw.readLine(20_000)).result);
      await raw.write(INITIALIZED_LINE);
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n");
    }
    const answer = JSON.parse(await raw.readLine(60_000));
    rss = await peakRssMiB(raw.pid);
    // A second request is still answered: the bridge is alive and not stuck on the dropped body.
    await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 9, method: "ping" }) + "\n");
    const after = JSON.parse(await raw.readLine(20_000));
    return { answer, after, rss, stderr: raw.stderr(), raw };
  } finally {
    await finishRaw(raw);
  }
}

Deno.test("attack: a 1 GiB SSE event to initialize → one error, the stream dropped, peak RSS bounded", async () => {
  const server = await serveGigabyte("sse");
  try {
    const { answer, after, rss } = await attack(server, []);
    assert.equal(answer.id, 1);
    assert.match(
      answer.error.message,
      /An event in the event stream of 127\.0\.0\.1:\d+ is larger than 64 MiB/,
    );
    assert.match(answer.error.message, /--max-message-size/);
    assert.equal(after.id, 9);
    // The bridge stopped reading soon after the limit (the server may have a few MiB in flight).
    assert.ok(server.sent() < 200 * 1024 * 1024, `the server sent ${server.sent()} bytes`);
    if (rss !== undefined) assert.ok(rss < 150, `peak RSS ${rss.toFixed(1)} MiB`);
  } finally {
    await server.close();
  }
});

Deno.test("attack: a 1 GiB SSE event of short data lines → one error, peak RSS bounded", async () => {
  const server = await serveGigabyte("sse-lines");
  try {
    const { answer, rss } = await attack(server, []);
    assert.equal(answer.id, 1);
    assert.match(answer.error.message, /is larger than 64 MiB: the stream was dropped/);
    assert.ok(server.sent() < 200 * 1024 * 1024, `the server sent ${server.sent()} bytes`);
    if (rss !== undefined) assert.ok(rss < 150, `peak RSS ${rss.toFixed(1)} MiB`);
  } finally {
    await server.close();
  }
});

Deno.test("attack: a 1 GiB JSON body without a length → one error, peak RSS bounded", async () => {
  const server = await serveGigabyte("json");
  try {
    const { answer, rss } = await attack(server, []);
    assert.equal(answer.id, 1);
    assert.match(
      answer.error.message,
      /The response from 127\.0\.0\.1:\d+ is larger than 64 MiB: it was dropped/,
    );
    assert.ok(server.sent() < 200 * 1024 * 1024, `the server sent ${server.sent()} bytes`);
    if (rss !== undefined) assert.ok(rss < 150, `peak RSS ${rss.toFixed(1)} MiB`);
  } finally {
    await server.close();
  }
});

Deno.test("attack: a JSON body announcing 2 GiB is refused before it is read", async () => {
  const server = await serveGigabyte("json-declared");
  try {
    const { answer } = await attack(server, []);
    assert.match(answer.error.message, /larger than 64 MiB/);
    assert.ok(server.sent() < 16 * 1024 * 1024, `the server sent ${server.sent()} bytes`);
  } finally {
    await server.close();
  }
});

Deno.test("attack: --max-message-size 1MiB bounds the response to a request after the handshake", async () => {
  const server = await serveGigabyte("sse", { afterHandshake: true });
  try {
    const { answer, after } = await attack(server, ["--max-message-size", "1MiB"], true);
    assert.equal(answer.id, 2);
    assert.match(answer.error.message, /larger than 1 MiB/);
    assert.equal(after.id, 9);
    assert.ok(server.sent() < 64 * 1024 * 1024, `the server sent ${server.sent()} bytes`);
  } finally {
    await server.close();
  }
});

Deno.test("attack: a 1 GiB event on the GET stream → dropped with a warning, requests still answered", async () => {
  const server = await serveGigabyte("sse", { afterHandshake: true, getStream: true });
  try {
    const raw = spawnRaw([server.url.href, "--protocol", "legacy", "--max-message-size", "2MiB"], {
      net: [netFor(server.url)],
    });
    try {
      await raw.write(initializeLine(1));
      assert.ok(JSON.parse(await raw.readLine()).result);
      await raw.write(INITIALIZED_LINE);
      // Wait for the GET stream to be dropped, then check the bridge still answers.
      const deadline = Date.now() + 20_000;
      while (!raw.stderr().includes("larger than 2 MiB") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(raw.stderr(), /An event in the event stream of 127\.0\.0\.1:\d+ is larger than 2 MiB/);
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "ping" }) + "\n");
      assert.equal(JSON.parse(await raw.readLine()).id, 5);
    } finally {
      await finishRaw(raw);
    }
    // Reconnection is bounded too: the stream was not re-opened without end.
    assert.ok(server.sent() < 64 * 1024 * 1024, `the server sent ${server.sent()} bytes`);
  } finally {
    await server.close();
  }
});

Deno.test("attack: a megabyte of response headers → one error, from the runtime's header limit", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        await conn.read(new Uint8Array(64 * 1024)).catch(() => null);
        const encoder = new TextEncoder();
        const line = encoder.encode(`x-pad: ${"a".repeat(8000)}\r\n`);
        try {
          await conn.write(encoder.encode("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"));
          for (let i = 0; i < 128; i++) await conn.write(line);
          await conn.write(encoder.encode("\r\n{}"));
        } catch {
          // The bridge hung up: that is the point.
        }
        conn.close();
      })();
    }
  })();
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  try {
    const raw = spawnRaw([url.href, "--protocol", "legacy"], { net: [netFor(url)] });
    await raw.write(initializeLine(1));
    const answer = JSON.parse(await raw.readLine());
    await finishRaw(raw);
    assert.equal(answer.id, 1);
    assert.match(answer.error.message, /message head is too large/);
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
});

/** The attack server for listings: `tools/list` always has another page, with the same cursor or a new one. */
function serveEndlessCursor(fresh: boolean) {
  let pages = 0;
  return serveExample({
    intercept: async (request) => {
      if (request.method !== "POST") return undefined;
      const message = JSON.parse(await request.clone().text());
      if (message.method !== "tools/list") return undefined;
      pages++;
      const nextCursor = fresh ? `page-${pages}` : "again";
      return Response.json({ jsonrpc: "2.0", id: message.id, result: { tools: [], nextCursor } });
    },
  }).then((server) => ({ server, pages: () => pages }));
}

for (const fresh of [false, true]) {
  Deno.test(`attack: tools/list with ${fresh ? "a new cursor on every page" : "a repeated cursor"} → mcp-bridge client ends`, async () => {
    const { server, pages } = await serveEndlessCursor(fresh);
    try {
      const output = await new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--frozen",
          ...permissionFlags({ net: [netFor(server.url)] }),
          MAIN,
          "client",
          server.url.href,
          "--protocol",
          "legacy",
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 1, stderr);
      assert.match(
        stderr,
        fresh ? /tools\/list .* goes on past 1000 pages/ : /tools\/list .* repeated a cursor/,
      );
      assert.equal(pages(), fresh ? 1000 : 2);
      assert.deepEqual(stdoutMessages(""), []);
    } finally {
      await server.close();
    }
  });
}

Deno.test("attack: a 2 MiB protected resource metadata document is ignored past 1 MiB; initialize is answered", async () => {
  let served = 0;
  let port = 0;
  const server = await serveLoopback(async (request) => {
    await request.body?.cancel();
    const path = new URL(request.url).pathname;
    if (path === "/mcp" && request.method === "POST") {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": `Bearer resource_metadata="http://127.0.0.1:${port}/prm"` },
      });
    }
    if (path === "/prm") {
      return new Response(
        endlessBody('{"resource":"x","pad":"', 2 * 1024 * 1024, '"}', (n) => (served += n)),
        { headers: { "content-type": "application/json" } },
      );
    }
    return new Response(null, { status: 404 });
  });
  port = server.port;
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  try {
    const raw = spawnRaw([url.href, "--protocol", "legacy"], { net: ["127.0.0.1"] });
    await raw.write(initializeLine(1));
    const answer = JSON.parse(await raw.readLine(20_000));
    await finishRaw(raw);
    assert.equal(answer.id, 1);
    assert.ok(answer.error, JSON.stringify(answer));
    assert.match(
      raw.stderr(),
      /The metadata at http:\/\/127\.0\.0\.1:\d+\/prm is larger than 1 MiB: it is ignored/,
    );
    assert.ok(served <= 2 * 1024 * 1024);
  } finally {
    await server.close();
  }
});

Deno.test("attack: subscriptions/listen answered at once with an error → the bridge backs off, never spins", async () => {
  let listens = 0;
  const server = await serveModern({
    intercept: async (request) => {
      if (request.method !== "POST") return undefined;
      const message = JSON.parse(await request.clone().text());
      if (message.method !== "subscriptions/listen") return undefined;
      listens++;
      return Response.json({ jsonrpc: "2.0", id: message.id, error: { code: -32603, message: "not today" } });
    },
  });
  const host = await connectHost(server.url);
  try {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Pauses of 0.5, 1 and 2 s between attempts: at most 4 in 3 s (a spinning loop made over 1000).
    assert.ok(listens >= 1 && listens <= 4, `${listens} listen requests in 3 s`);
    assert.ok((await host.client.listTools()).tools.length > 0);
  } finally {
    await host.close();
    await server.close();
  }
});
