import assert from "node:assert/strict";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { Logger } from "../../src/log/logger.ts";
import { ServerExchange } from "../../src/transport/exchange.ts";
import { DEFAULT_LIVENESS } from "../../src/transport/liveness.ts";
import { StreamableHttpTransport } from "../../src/transport/streamable_http.ts";
import { serveLoopback } from "../_fixtures/loopback_server.ts";

const log = new Logger({ level: "error" });

const message = (value: Record<string, unknown>) => {
  const text = JSON.stringify({ jsonrpc: "2.0", ...value });
  return [text, parseMessage(text)] as const;
};

/**
 * A fault no real server makes on purpose: it answers `initialize`, then holds every other request open
 * without a byte of answer, and counts the ones whose connection the client closed.
 */
async function serveSilentAfterInitialize() {
  let cut = 0;
  const waiting: (() => void)[] = [];
  const server = await serveLoopback(async (request) => {
    // The DELETE that ends the session.
    if (request.method !== "POST") return new Response(null, { status: 200 });
    const body = await request.json() as { id?: number; method?: string };
    if (body.method === "initialize") {
      return Response.json({
        jsonrpc: "2.0",
        id: body.id,
        result: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          serverInfo: { name: "silent", version: "1" },
        },
      }, { headers: { "mcp-session-id": "s1" } });
    }
    if (body.id === undefined) return new Response(null, { status: 202 });
    const released = await new Promise<boolean>((resolve) => {
      request.signal.addEventListener("abort", () => resolve(false));
      waiting.push(() => resolve(true));
    });
    if (!released) cut++;
    return new Response(null, { status: 499 });
  });
  // A request the client never let go of is let go of here, so that a failed test does not hang on it.
  const close = () => {
    for (const release of waiting) release();
    return server.close();
  };
  return { url: server.url, cut: () => cut, close };
}

for (const watched of [true, false]) {
  Deno.test(
    `StreamableHttpTransport.close() ends the requests in flight, with and without a host signal (liveness ${
      watched ? "on" : "off"
    })`,
    async () => {
      const server = await serveSilentAfterInitialize();
      const transport = new StreamableHttpTransport({
        exchange: new ServerExchange({ url: server.url, headers: [], fetch, log }),
        sink: () => Promise.resolve(),
        log,
        connectTimeoutMs: 5000,
        ...(watched ? { liveness: DEFAULT_LIVENESS } : {}),
      });
      try {
        await transport.send(
          ...message({
            id: 1,
            method: "initialize",
            params: {
              protocolVersion: "2025-11-25",
              capabilities: {},
              clientInfo: { name: "t", version: "0" },
            },
          }),
        );
        const host = new AbortController();
        const hostCall = transport.send(
          ...message({ id: 2, method: "tools/call", params: { name: "slow", arguments: {} } }),
          host.signal,
        ).then(() => "answered", (error: Error) => error.message);
        const ownCall = transport.request("tools/list", {}).then(
          () => "answered",
          (error: Error) => error.message,
        );
        // Both requests reach the server before the close.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await transport.close();
        // Ended at once (the server never answers): a request left waiting shows as such, not as a hang.
        const within = async (outcome: Promise<string>) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<string>((
            resolve,
          ) => (timer = setTimeout(() => resolve("still waiting"), 2000)));
          try {
            return await Promise.race([outcome, late]);
          } finally {
            clearTimeout(timer);
          }
        };
        assert.match(await within(hostCall), /shutting down/);
        assert.match(await within(ownCall), /shutting down/);
        assert.equal(host.signal.aborted, false, "the host's own signal is untouched");
        // The server saw both connections go.
        for (let i = 0; i < 50 && server.cut() < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(server.cut(), 2);
      } finally {
        await transport.close();
        await server.close();
      }
    },
  );
}
