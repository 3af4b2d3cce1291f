import assert from "node:assert/strict";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { Logger } from "../../src/log/logger.ts";
import { ServerExchange } from "../../src/transport/exchange.ts";
import { DEFAULT_LIVENESS } from "../../src/transport/liveness.ts";
import { StreamableHttpTransport } from "../../src/transport/streamable_http.ts";
import { serveStall } from "../_fixtures/faults.ts";

const log = new Logger({ level: "error" });

const message = (value: Record<string, unknown>) => {
  const text = JSON.stringify({ jsonrpc: "2.0", ...value });
  return [text, parseMessage(text)] as const;
};

for (const watched of [true, false]) {
  Deno.test(
    `StreamableHttpTransport.close() ends the requests in flight, with and without a host signal (liveness ${
      watched ? "on" : "off"
    })`,
    async () => {
      // A hung server (it answers the handshake, then nothing): a fault no real server makes on purpose.
      const server = await serveStall({ handshake: true });
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
        for (let i = 0; i < 50 && server.abandoned() < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(server.abandoned(), 2);
      } finally {
        await transport.close();
        await server.close();
      }
    },
  );
}

Deno.test("StreamableHttpTransport: a request that waits out an outage is no silent answer to the liveness monitor", async () => {
  const server = await serveStall({ handshake: true });
  const lines: string[] = [];
  const log = new Logger({ level: "debug", sink: { write: (line) => void lines.push(line) } });
  // A connection of its own for each request: the one of initialize must not be reused after the server went.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const transport = new StreamableHttpTransport({
    exchange: new ServerExchange({
      url: server.url,
      headers: [],
      fetch: (input, init) => fetch(input, { ...init, client }),
      log,
    }),
    sink: () => Promise.resolve(),
    log,
    connectTimeoutMs: 5000,
    // Waits of up to a second (jittered): most are longer than the silence that would be checked.
    reconnect: { enabled: true, initialDelayMs: 1000, maxDelayMs: 1000, maxDurationMs: 10_000 },
    // A silent answer would be checked after 150 ms.
    liveness: {
      probeAfterMs: 150,
      probeTimeoutMs: 150,
      pingIntervalMs: undefined,
      tickMs: 25,
      clockJumpMs: 60_000,
    },
  });
  try {
    await transport.send(
      ...message({
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } },
      }),
    );
    await server.close();
    const host = new AbortController();
    const call = transport.send(
      ...message({ id: 2, method: "tools/call", params: { name: "slow", arguments: {} } }),
      host.signal,
    ).then(() => "answered", (error: Error) => error.message);
    // Several probe periods of the outage.
    await new Promise((resolve) => setTimeout(resolve, 800));
    host.abort();
    assert.match(await call, /cancelled/);
    assert.ok(
      lines.some((line) => /cannot be reached|unreachable|waiting|trying again/i.test(line)),
      lines.join(""),
    );
    assert.deepEqual(lines.filter((line) => /stalled|ping/i.test(line)), []);
  } finally {
    await transport.close();
    client.close();
  }
});
