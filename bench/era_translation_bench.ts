/**
 * The bridge's own work per server answer, with no sockets and no host: the 2025-era Streamable HTTP
 * transport against the 2026-07-28 `ModernSession` (which translates for a 2025-era host), both fed
 * by a fake `fetch` that answers at once with bodies shaped like the end-to-end bench servers'
 * answers (the 2025-era server answers a call with SSE, the 2026-07-28 one with JSON carrying
 * `resultType` and `_meta`). The difference is what translation costs per call and per MiB; the
 * `*: parts` group splits the modern path into its steps.
 *
 * @module
 */

import { parseMessage } from "../src/jsonrpc/message.ts";
import { Logger } from "../src/log/logger.ts";
import { ModernSession } from "../src/era/modern_session.ts";
import { ServerExchange } from "../src/transport/exchange.ts";
import { ModernHttpClient } from "../src/transport/modern_http.ts";
import { StreamableHttpTransport } from "../src/transport/streamable_http.ts";
import type { RemoteTransport } from "../src/transport/transport.ts";
import { blobText } from "./modern_server.ts";

const url = new URL("http://127.0.0.1:1/mcp");
const log = new Logger({ level: "error", sink: { write: () => {} } });
const encoder = new TextEncoder();
/** As the stdout writer does: one encoded line per message. */
const sink = (text: string) => {
  encoder.encode(`${text}\n`);
  return Promise.resolve();
};

const SERVER_INFO = {
  "io.modelcontextprotocol/serverInfo": { name: "mcp-bridge-bench-modern", version: "1.0.0" },
};
const modernAnswer = (text: string) =>
  JSON.stringify({
    result: { content: [{ type: "text", text }], resultType: "complete", _meta: SERVER_INFO },
    jsonrpc: "2.0",
    id: 1,
  });
const legacyAnswer = (text: string) =>
  `event: message\ndata: ${
    JSON.stringify({ result: { content: [{ type: "text", text }] }, jsonrpc: "2.0", id: 1 })
  }\n\n`;

const ECHO_TEXT = "sequential 123";
const BLOB = blobText(1024 * 1024);
const answers = {
  modern: { echo: modernAnswer(ECHO_TEXT), blob: modernAnswer(BLOB) },
  legacy: { echo: legacyAnswer(ECHO_TEXT), blob: legacyAnswer(BLOB) },
};
type Tool = "echo" | "blob";
let tool: Tool = "echo";

const JSON_TYPE = { "content-type": "application/json" };
const SSE_TYPE = { "content-type": "text/event-stream" };

/** The request body as text (the exchange sends bodies as once-only streams). */
async function bodyText(init?: RequestInit): Promise<string> {
  return init?.body == null ? "" : await new Response(init.body).text();
}

async function modernFetch(_input: string | URL, init?: RequestInit): Promise<Response> {
  const body = await bodyText(init);
  if (body.includes('"server/discover"')) {
    const id = JSON.parse(body).id;
    return (new Response(
      JSON.stringify({
        jsonrpc: "2.0",
        id,
        result: {
          resultType: "complete",
          supportedVersions: ["2026-07-28"],
          capabilities: { tools: {} },
          serverInfo: { name: "s", version: "1" },
        },
      }),
      { headers: JSON_TYPE },
    ));
  }
  return new Response(answers.modern[tool], { headers: JSON_TYPE });
}

async function legacyFetch(_input: string | URL, init?: RequestInit): Promise<Response> {
  const body = await bodyText(init);
  if (body.includes('"initialize"')) {
    const result = {
      protocolVersion: "2025-11-25",
      capabilities: {},
      serverInfo: { name: "s", version: "1" },
    };
    return (new Response(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: 0, result })}\n\n`, {
      headers: { ...SSE_TYPE, "mcp-session-id": "bench" },
    }));
  }
  return new Response(answers.legacy[tool], { headers: SSE_TYPE });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "host", version: "1" } },
});
const CALLS: Record<Tool, string> = {
  echo: JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "echo", arguments: { text: ECHO_TEXT } },
  }),
  blob: JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "blob", arguments: { bytes: 1024 * 1024 } },
  }),
};

async function started(era: "legacy" | "modern"): Promise<RemoteTransport> {
  const transport = era === "legacy"
    ? new StreamableHttpTransport({
      exchange: new ServerExchange({ url, headers: [], fetch: legacyFetch, log }),
      sink,
      log,
      connectTimeoutMs: 5000,
    })
    : new ModernSession({
      client: new ModernHttpClient({
        exchange: new ServerExchange({ url, headers: [], fetch: modernFetch, log }),
        log,
      }),
      sink,
      log,
      clientInfo: { name: "mcp-bridge", version: "bench" },
    });
  await transport.send(INITIALIZE, parseMessage(INITIALIZE));
  return transport;
}

const transports = { legacy: await started("legacy"), modern: await started("modern") };

for (const t of ["echo", "blob"] as const) {
  for (const era of ["legacy", "modern"] as const) {
    Deno.bench({
      name: `${era === "legacy" ? "2025-era transport" : "2026-07-28 ModernSession"}: ${
        t === "echo" ? "echo call" : "1 MiB result"
      }`,
      group: `era ${t}`,
      baseline: era === "legacy",
      fn: async () => {
        tool = t;
        await transports[era].send(CALLS[t], parseMessage(CALLS[t]));
      },
    });
  }
}

// The steps of the modern path for a 1 MiB result.
const modernBlob = answers.modern.blob;
const httpClient = new ModernHttpClient({
  exchange: new ServerExchange({ url, headers: [], fetch: modernFetch, log }),
  log,
});
Deno.bench({
  name: "ModernHttpClient.request: fake fetch (its body encode + decode), text, one JSON.parse",
  group: "modern 1 MiB: parts",
  baseline: true,
  fn: async () => {
    tool = "blob";
    await httpClient.request(CALLS.blob, 1, [["mcp-protocol-version", "2026-07-28"]], undefined, sink);
  },
});
Deno.bench({
  name: "ModernSession tail: JSON.parse, drop resultType, JSON.stringify, JSON.parse",
  group: "modern 1 MiB: parts",
  fn: () => {
    const envelope = parseMessage(modernBlob);
    if (envelope.kind !== "response") throw new Error("not a response");
    const { resultType: _drop, ...rest } = envelope.value.result as Record<string, unknown>;
    parseMessage(JSON.stringify({ jsonrpc: "2.0", id: 1, result: rest }));
  },
});
Deno.bench({
  name: "sink: UTF-8 encoding of the line (both paths)",
  group: "modern 1 MiB: parts",
  fn: () => {
    encoder.encode(`${modernBlob}\n`);
  },
});
