import assert from "node:assert/strict";
import { withIdleTimeout } from "../../src/net/idle_timeout.ts";
import { connectHost, finishRaw, initializeLine, netFor, spawnRaw } from "../_fixtures/bridge_host.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";

Deno.test("withIdleTimeout() passes a body that keeps coming, and fails one that stalls", async () => {
  const chunks = ["a", "b", "c"];
  const steady = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  assert.equal(await withIdleTimeout(new Response(steady), 200, () => new Error("idle")).text(), "abc");
  let cancelled = false;
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("first"));
    },
    cancel() {
      cancelled = true;
    },
  });
  await assert.rejects(withIdleTimeout(new Response(stalled), 50, () => new Error("idle")).text(), /idle/);
  assert.ok(cancelled, "the stalled body was let go");
});

Deno.test("--headers-timeout: a JSON answer that takes too long is one error saying the call may still run", async () => {
  // The server holds the headers of a slow call for 2.5 s (a server that answers only when done).
  const server = await serveTestServer({
    mode: "stateful",
    intercept: async (request) => {
      if (request.method === "POST" && (await request.clone().text()).includes('"ms":2500')) {
        await new Promise((resolve) => setTimeout(resolve, 2500));
      }
      return undefined;
    },
  });
  const host = await connectHost(server.url, {
    args: ["--headers-timeout", "1s"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    const quick = await host.client.callTool({ name: "slow", arguments: { ms: 100 } });
    assert.deepEqual(quick.content, [{ type: "text", text: "waited 100" }]);
    await assert.rejects(
      host.client.callTool({ name: "slow", arguments: { ms: 2500 } }),
      /sent no response headers within 1 s \(--headers-timeout\): it may still run the request/,
    );
    const calls = server.seen.requests.filter((r) => r.rpc === "tools/call").length;
    assert.equal(calls, 2, "the timed-out call was not sent again");
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the held request ends before the server stops
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("--body-timeout: an event stream silent for too long is one error; a call that keeps talking is not cut", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  const host = await connectHost(server.url, {
    args: ["--body-timeout", "1s"],
    permissions: { net: [netFor(server.url)] },
  });
  try {
    // 2 s in all, but progress every 200 ms: never silent for 1 s.
    const talking = await host.client.callTool(
      { name: "countdown", arguments: { n: 10, delayMs: 200 } },
      { onprogress: () => {} },
    );
    assert.deepEqual(talking.content, [{ type: "text", text: "Lift-off!" }]);
    await assert.rejects(
      host.client.callTool({ name: "slow", arguments: { ms: 3000 } }),
      /sent nothing for 1 s in the middle of a response \(--body-timeout\)/,
    );
  } finally {
    await host.close();
    await server.close();
  }
});

Deno.test("--connect-timeout while initialize's event stream waits to be resumed: the host gets the timeout, not a missing answer", async () => {
  // A server named for the fault: initialize's stream gives an event id and a 10 s retry, then ends with no
  // answer; the bridge waits to resume it, and the connect deadline runs out meanwhile.
  let posts = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    await request.body?.cancel();
    if (request.method !== "POST") return new Response(null, { status: 405 });
    posts++;
    return new Response("retry: 10000\nid: e1\ndata: \n\n", {
      headers: { "content-type": "text/event-stream" },
    });
  });
  const url = `http://127.0.0.1:${server.addr.port}/mcp`;
  const raw = spawnRaw([url, "--protocol", "legacy", "--connect-timeout", "1s"], { net: [netFor(url)] });
  try {
    await raw.write(initializeLine(1));
    const answer = JSON.parse(await raw.readLine(8000));
    assert.equal(answer.id, 1);
    assert.match(
      answer.error?.message ?? "",
      /Timed out after 1 s waiting for 127\.0\.0\.1:\d+ to answer initialize/,
    );
    assert.equal(posts, 1);
  } finally {
    await finishRaw(raw);
    await server.shutdown();
  }
});
