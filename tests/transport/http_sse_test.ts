import assert from "node:assert/strict";
import { connectHost, type Host, netFor, spawnRaw } from "../_fixtures/bridge_host.ts";
import { expectConnectFailure } from "../_fixtures/host_failure.ts";
import { type LegacySseServer, serveLegacySse } from "../_fixtures/legacy_sse_server.ts";

/** What the server saw, as `METHOD /path STATUS` lines. */
function seen(server: LegacySseServer): string[] {
  return server.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
}

/** The example server's tools, a call and progress, through the bridge. */
async function exercise(host: Host): Promise<void> {
  assert.equal(host.client.getServerVersion()?.name, "mcp-bridge-example");
  const tools = await host.client.listTools();
  assert.deepEqual(tools.tools.map((t) => t.name).sort(), ["add", "countdown", "echo"]);
  const echo = await host.client.callTool({ name: "echo", arguments: { text: "héllo ✓" } });
  assert.deepEqual(echo.content, [{ type: "text", text: "héllo ✓" }]);
  const sum = await host.client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
  assert.deepEqual(sum.content, [{ type: "text", text: "42" }]);
  const progress: { progress: number; total?: number; message?: string }[] = [];
  const lift = await host.client.callTool({ name: "countdown", arguments: { n: 5, delayMs: 20 } }, {
    onprogress: (p) => void progress.push({ progress: p.progress, total: p.total, message: p.message }),
  });
  assert.deepEqual(lift.content, [{ type: "text", text: "Lift-off!" }]);
  assert.deepEqual(progress, [
    { progress: 1, total: 5, message: "4 to go" },
    { progress: 2, total: 5, message: "3 to go" },
    { progress: 3, total: 5, message: "2 to go" },
    { progress: 4, total: 5, message: "1 to go" },
    { progress: 5, total: 5, message: "0 to go" },
  ]);
}

Deno.test("--transport sse-only speaks HTTP+SSE to a legacy server: tools, a call, progress", async () => {
  const server = await serveLegacySse();
  let host: Host | undefined;
  try {
    host = await connectHost(server.url, { args: ["--transport", "sse-only"] });
    await exercise(host);
    const lines = seen(server);
    // The first request is the GET of the event stream; Streamable HTTP is never tried.
    assert.equal(lines[0], "GET /sse 200");
    assert.ok(!lines.some((l) => l.startsWith("POST /sse")), lines.join("\n"));
    assert.ok(lines.slice(1).every((l) => l === "POST /messages 202"), lines.join("\n"));
    assert.equal(server.sessions.size, 1);
  } finally {
    await host?.close();
    await server.close();
  }
});

Deno.test("--transport sse-first uses HTTP+SSE first against a legacy server", async () => {
  const server = await serveLegacySse();
  let host: Host | undefined;
  try {
    host = await connectHost(server.url, { args: ["--transport", "sse-first"] });
    await exercise(host);
    const lines = seen(server);
    assert.equal(lines[0], "GET /sse 200");
    assert.ok(!lines.some((l) => l.startsWith("POST /sse")), lines.join("\n"));
  } finally {
    await host?.close();
    await server.close();
  }
});

Deno.test("a lost event stream is reopened and re-initialized on the next message", async () => {
  const server = await serveLegacySse();
  let host: Host | undefined;
  try {
    host = await connectHost(server.url, { args: ["--transport", "sse-only"] });
    await exercise(host);
    const [first] = [...server.sessions.values()];
    await first.close();
    // The bridge notices the end of the stream and says so.
    let timer: ReturnType<typeof setTimeout> | undefined;
    for (let i = 0; i < 100 && !/event stream .* closed/.test(host.stderr()); i++) {
      await new Promise<void>((resolve) => (timer = setTimeout(resolve, 20)));
      clearTimeout(timer);
    }
    assert.match(host.stderr(), /event stream from 127\.0\.0\.1:\d+ closed/);
    // The next request goes to a new stream and a new, re-initialized MCP session.
    await exercise(host);
    assert.equal(server.sessions.size, 1);
    assert.notEqual([...server.sessions.keys()][0], first.sessionId);
    assert.equal(seen(server).filter((l) => l === "GET /sse 200").length, 2, seen(server).join("\n"));
    assert.match(host.stderr(), /reconnected and re-initializing/);
  } finally {
    await host?.close();
    await server.close();
  }
});

for (const status of [405, 404] as const) {
  Deno.test(`the default http-first falls back to HTTP+SSE when POST /sse gets ${status}`, async () => {
    const server = await serveLegacySse({ sseNonGetStatus: status });
    let host: Host | undefined;
    try {
      host = await connectHost(server.url);
      await exercise(host);
      const lines = seen(server);
      // The 2026-07-28 era probe and one Streamable HTTP attempt (the initialize), then the legacy
      // stream, then its endpoint only.
      assert.equal(lines[0], `POST /sse ${status}`);
      assert.equal(lines[1], `POST /sse ${status}`);
      assert.equal(lines[2], "GET /sse 200");
      assert.equal(lines.filter((l) => l.startsWith("POST /sse")).length, 2, lines.join("\n"));
      assert.ok(lines.slice(3).every((l) => l === "POST /messages 202"), lines.join("\n"));
      assert.match(host.stderr(), /trying HTTP\+SSE/);
    } finally {
      await host?.close();
      await server.close();
    }
  });
}

for (const transport of ["sse-only", "http-first"] as const) {
  Deno.test(`an endpoint on another origin is refused with an error to the initialize (${transport})`, async () => {
    // The same port under another host name is another origin: `localhost` is not `127.0.0.1`.
    const server = await serveLegacySse({
      endpointOrigin: (own) => own.replace("127.0.0.1", "localhost"),
    });
    try {
      const foreign = `http://localhost:${server.url.port}`;
      const { error, stderr } = await expectConnectFailure(server.url, { args: ["--transport", transport] });
      assert.match(error.message, /same origin/, stderr);
      assert.ok(error.message.includes(`Refusing the endpoint "${foreign}"`), error.message);
      // Nothing was POSTed anywhere: the endpoint was refused before any message was sent to it.
      assert.ok(!seen(server).some((l) => l.startsWith("POST /messages")), seen(server).join("\n"));
      assert.ok(seen(server).includes("GET /sse 200"), seen(server).join("\n"));
    } finally {
      await server.close();
    }
  });
}

Deno.test("the refused endpoint comes back as a JSON-RPC error response with the initialize's id", async () => {
  const server = await serveLegacySse({ endpointOrigin: "http://127.0.0.2:9" });
  const bridge = spawnRaw([server.url.href, "--transport", "sse-only"], { net: [netFor(server.url)] });
  try {
    await bridge.write(
      JSON.stringify({
        jsonrpc: "2.0",
        id: "init-1",
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "raw", version: "1" },
        },
      }) + "\n",
    );
    const response = JSON.parse(await bridge.readLine(10_000));
    assert.equal(response.jsonrpc, "2.0");
    assert.equal(response.id, "init-1");
    assert.equal(response.result, undefined);
    assert.equal(response.error.code, -32000);
    assert.match(response.error.message, /Refusing the endpoint "http:\/\/127\.0\.0\.2:9"/);
    assert.match(response.error.message, /same origin/);
  } finally {
    await bridge.closeStdin();
    await bridge.status;
    await bridge.done;
    await server.close();
  }
});

Deno.test("--transport http-only does not fall back: the 405 of POST /sse is the error", async () => {
  const server = await serveLegacySse();
  try {
    const { error, stderr } = await expectConnectFailure(server.url, { args: ["--transport", "http-only"] });
    assert.match(error.message, /HTTP 405/, stderr);
    assert.doesNotMatch(stderr, /trying HTTP\+SSE/);
    // Only the era probe and the Streamable HTTP attempt: the event stream was never opened.
    assert.deepEqual(seen(server), ["POST /sse 405", "POST /sse 405"]);
  } finally {
    await server.close();
  }
});
