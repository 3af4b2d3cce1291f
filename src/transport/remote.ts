/**
 * The connection to a remote MCP server as the command line builds it, for code that embeds the
 * bridge: one {@linkcode ServerExchange} for every HTTP request, Streamable HTTP or HTTP+SSE chosen
 * (and fallen back) with the first message, and the 2026-07-28 era probed and translated.
 *
 * @module
 */

import { Logger } from "../log/logger.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../net/bounded_body.ts";
import { CookieJar } from "../net/cookie_jar.ts";
import { VERSION } from "../version.ts";
import { ConnectingTransport } from "./connect.ts";
import type { EraMemory } from "./era_memory.ts";
import { ServerExchange } from "./exchange.ts";
import type { TransportMode } from "./fallback.ts";
import { DEFAULT_LIVENESS, type LivenessSettings } from "./liveness.ts";
import { LazyModernTransport, LazyTransport } from "./lazy_transport.ts";
import { DEFAULT_RECONNECT, NO_RECONNECT, type ReconnectSettings } from "./reconnect.ts";
import { StreamableHttpTransport } from "./streamable_http.ts";
import {
  type AuthHook,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type FetchLike,
  HTTP_SSE_KIND,
  LEGACY_SESSION_KIND,
  type MessageSink,
  MODERN_KIND,
  type RemoteTransport,
  type ResponseBytesSink,
} from "./transport.ts";

/** Options for {@linkcode createRemoteTransport}. */
export interface RemoteTransportOptions {
  /** The MCP server URL; requests and redirects never leave its origin. */
  url: URL | string;
  /** Receives every message the server sends, in order (its promise is the backpressure). */
  sink: MessageSink;
  /**
   * Receives large result responses as the bytes they came in, instead of `sink`, where nothing needs to read
   * them on the way (a 2025-era server, or the complete results of a 2026-07-28 server to a 2025-era host;
   * default: none, every message goes to `sink` as text).
   */
  sinkBytes?: ResponseBytesSink;
  /** Headers sent with every request, e.g. `[["Authorization", "Bearer …"]]` (default: none). */
  headers?: readonly (readonly [string, string])[];
  /** The `fetch` every request goes through (default: the global `fetch`). */
  fetch?: FetchLike;
  /** Supplies credentials and answers 401/403 challenges (default: none, the headers are sent as they are). */
  auth?: AuthHook;
  /** Where warnings go; its redactor also cleans error messages (default: warnings to stderr). */
  log?: Logger;
  /** `--transport`: which wire protocol to try first, and whether to fall back (default `http-first`). */
  mode?: TransportMode;
  /** `--protocol`: `auto` probes the server's era, `legacy` and `modern` force one (default `auto`). */
  protocol?: "auto" | "legacy" | "modern";
  /** `--connect-timeout`: how long connecting and `initialize` may take (default 30 s). */
  connectTimeoutMs?: number;
  /** `--max-message-size`: the largest message accepted from the server (default 64 MiB). */
  maxMessageBytes?: number;
  /**
   * `--no-reconnect` when `false`: whether to wait for a server that went away (default `true`), or the
   * full reconnection settings.
   */
  reconnect?: boolean | ReconnectSettings;
  /** Stall and suspend detection (`--stall-probe`, `--keep-alive`; default {@linkcode DEFAULT_LIVENESS}). */
  liveness?: LivenessSettings;
  /** `--headers-timeout`: the longest wait for a response's headers (default: none). */
  headersTimeoutMs?: number;
  /** `--body-timeout`: the longest silence inside a response body (default: none). */
  bodyTimeoutMs?: number;
  /** A `fetch` on a new connection, for liveness checks (default: `fetch`). */
  freshFetch?: FetchLike;
  /** Drops the pooled connections (after a suspend or a dead path). */
  renewConnections?: () => void;
  /** Whether the server's host accepts a TCP connection within `ms` (`undefined`: cannot tell). */
  reach?: (url: URL, ms: number) => Promise<boolean | undefined>;
  /** `--disable-cookies` when `false`: whether to keep the server's cookies (default `true`). */
  cookies?: boolean;
  /**
   * Where the server's protocol era is remembered between runs, so that a 2025-era server is not probed
   * at every start (default: nowhere; the CLI uses a file in the config dir when it may).
   */
  eraMemory?: EraMemory;
}

/**
 * Creates a connection to a remote MCP server, the one the command line uses: nothing is sent until
 * the first message, which chooses the wire protocol. Send the host's messages with
 * {@linkcode RemoteTransport.send} (each with its envelope, from `parseMessage`); the server's come to
 * the sink. Close it to end the session.
 *
 * @example Usage
 * ```ts
 * import { createRemoteTransport, parseMessage } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * // An in-process stand-in for a 2025-era server that answers with JSON.
 * const fetch = async (_url: string | URL, init?: RequestInit) => {
 *   const message = init?.method === "POST" ? await new Response(init.body).json() : undefined;
 *   if (message?.method === "initialize") {
 *     const result = { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "s", version: "1" } };
 *     return Response.json({ jsonrpc: "2.0", id: message.id, result });
 *   }
 *   if (message?.method === "ping") return Response.json({ jsonrpc: "2.0", id: message.id, result: {} });
 *   if (message !== undefined && message.id === undefined) return new Response(null, { status: 202 });
 *   return new Response("Not supported", { status: 405 });
 * };
 *
 * const received: string[] = [];
 * const transport = createRemoteTransport({
 *   url: "https://mcp.example.com/mcp",
 *   fetch,
 *   sink: async (text) => void received.push(text),
 * });
 * const send = (text: string) => transport.send(text, parseMessage(text));
 * await send(JSON.stringify({
 *   jsonrpc: "2.0",
 *   id: 1,
 *   method: "initialize",
 *   params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "me", version: "1" } },
 * }));
 * await send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
 * await send('{"jsonrpc":"2.0","id":2,"method":"ping"}');
 * await transport.close();
 *
 * assert.equal(transport.kind, "streamable-http");
 * assert.deepEqual(received.map((text) => JSON.parse(text).id), [1, 2]);
 * ```
 *
 * @param options The server, the sink, and the command line's settings.
 * @returns The transport (unconnected until the first message).
 */
export function createRemoteTransport(options: RemoteTransportOptions): RemoteTransport {
  const log = options.log ?? new Logger({ level: "warn" });
  const sink = options.sink;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const reconnect = typeof options.reconnect === "object"
    ? options.reconnect
    : options.reconnect === false
    ? NO_RECONNECT
    : DEFAULT_RECONNECT;
  const exchange = new ServerExchange({
    url: new URL(options.url),
    headers: options.headers ?? [],
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    log,
    ...(options.freshFetch ? { freshFetch: options.freshFetch } : {}),
    ...(options.renewConnections ? { renewConnections: options.renewConnections } : {}),
    ...(options.reach ? { reach: options.reach } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.headersTimeoutMs !== undefined ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.bodyTimeoutMs } : {}),
    ...(options.cookies === false ? {} : { cookies: new CookieJar() }),
  });
  const clientInfo = { name: "mcp-bridge", version: VERSION };
  const common = {
    exchange,
    sink,
    log,
    connectTimeoutMs,
    maxMessageBytes,
    reconnect,
    liveness: options.liveness ?? DEFAULT_LIVENESS,
  };
  return new ConnectingTransport({
    mode: options.mode ?? "http-first",
    protocol: options.protocol ?? "auto",
    ...(options.eraMemory ? { eraMemory: options.eraMemory } : {}),
    // The 2026-07-28 transport loads on its probe: a server remembered as a 2025-era one never needs it.
    createModern: () =>
      new LazyModernTransport(
        MODERN_KIND,
        () =>
          Promise.all([import("../era/modern_session.ts"), import("./modern_http.ts")]).then((
            [{ ModernSession }, { ModernHttpClient }],
          ) =>
            new ModernSession({
              client: new ModernHttpClient({ exchange, log, maxMessageBytes }),
              sink,
              ...(options.sinkBytes ? { sinkBytes: options.sinkBytes } : {}),
              log,
              clientInfo,
              connectTimeoutMs,
              reconnect,
            })
          ),
      ),
    log,
    create: (kind, receiver) => {
      const settings = receiver
        ? { ...common, sink: receiver.sink, onSessionRenewed: receiver.onSessionRenewed }
        : common;
      // HTTP+SSE and the session a 2026-07-28 host gets on a 2025-era server are loaded when first used:
      // their modules are not on the start-up path of the runs that never need them.
      // Bytes go straight to the host only when nothing translates between (a translator reads every message).
      const sinkBytes = receiver ? undefined : options.sinkBytes;
      return kind === "streamable-http"
        ? new StreamableHttpTransport(sinkBytes ? { ...settings, sinkBytes } : settings)
        : new LazyTransport(
          HTTP_SSE_KIND,
          () => import("./http_sse.ts").then(({ HttpSseTransport }) => new HttpSseTransport(settings)),
        );
    },
    adaptModernHost: (makeLegacy) =>
      new LazyTransport(
        LEGACY_SESSION_KIND,
        () =>
          import("../era/legacy_server_session.ts").then(({ LegacyServerSession }) =>
            new LegacyServerSession({ makeLegacy, sink, log, clientInfo })
          ),
      ),
  });
}
