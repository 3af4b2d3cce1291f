/**
 * A test server for the legacy HTTP+SSE protocol (MCP 2024-11-05), built on the SDK v2 server
 * package, which has no SSE server transport of its own.
 *
 * {@linkcode LegacySseTestTransport} is a minimal test transport for that legacy protocol: a
 * `GET /sse` opens an event stream whose first event, `endpoint`, names
 * `/messages?sessionId=…`; each message POSTed there is answered `202 Accepted` and handed to the
 * MCP server; every server message goes out as an `event: message` on the stream. It is meant for
 * tests only: no authentication, no limits, no resumption.
 *
 * {@linkcode serveLegacySse} serves it on 127.0.0.1 with `createExampleServer()` behind each
 * stream. Any other request (notably a Streamable HTTP `POST /sse`) gets 404 or 405, which is
 * what makes a `http-first` client fall back to HTTP+SSE.
 *
 * @module
 */

import type { JSONRPCMessage, McpServer, Transport } from "@modelcontextprotocol/server";
import { createExampleServer } from "../../src/demo/example_server.ts";

const encoder = new TextEncoder();

/** A test transport for the legacy HTTP+SSE protocol: one event stream, messages POSTed beside it. */
export class LegacySseTestTransport implements Transport {
  /** The session id (the `sessionId` query parameter of the endpoint). */
  readonly sessionId: string = crypto.randomUUID();
  /** The response body: the event stream. */
  readonly stream: ReadableStream<Uint8Array>;
  /** Set by the MCP server. */
  onclose?: () => void;
  /** Set by the MCP server. */
  onerror?: (error: Error) => void;
  /** Set by the MCP server. */
  onmessage?: Transport["onmessage"];
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;

  /**
   * Creates the stream and queues the `endpoint` event.
   *
   * @param endpointBase Where the endpoint points: a path (`/messages`, same origin) or an absolute
   *   URL (possibly on another origin).
   */
  constructor(endpointBase: string) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        // The client went away.
        void this.close();
      },
    });
    this.#event("endpoint", `${endpointBase}?sessionId=${this.sessionId}`);
  }

  /** Nothing to start: the stream exists from construction. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Sends one server message as an `event: message`.
   *
   * @param message The message.
   */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("The legacy SSE stream is closed"));
    this.#event("message", JSON.stringify(message));
    return Promise.resolve();
  }

  /**
   * Hands one POSTed message to the server.
   *
   * @param message The parsed body.
   */
  receive(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  /** Ends the stream. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the client.
    }
    this.onclose?.();
    return Promise.resolve();
  }

  /** Whether the stream has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  #event(event: string, data: string): void {
    this.#controller.enqueue(encoder.encode(`event: ${event}\ndata: ${data}\n\n`));
  }
}

/** Options for {@linkcode serveLegacySse}. */
export interface LegacySseOptions {
  /**
   * Sends the endpoint as an absolute URL on this origin (e.g. `http://localhost:1234`) instead of
   * a path on the server's own origin: a client must refuse it. A function receives the server's
   * own origin (`http://127.0.0.1:PORT`), once the port is known.
   */
  endpointOrigin?: string | ((ownOrigin: string) => string);
  /** The status for a non-GET request to `/sse` (default 405, with `Allow: GET`). */
  sseNonGetStatus?: 404 | 405;
  /** Builds the MCP server behind each stream (default `createExampleServer`). */
  create?: () => McpServer;
  /** The port (default 0: any free one); a server stopped with `close()` can be started again on it. */
  port?: number;
}

/** One request the server saw. */
export interface SeenRequest {
  /** The method. */
  method: string;
  /** The path (no query). */
  path: string;
  /** The status answered. */
  status: number;
}

/** One JSON-RPC message POSTed to a live session. */
export interface SeenMessage {
  /** The session it was posted to. */
  session: string;
  /** Its method (none for a response). */
  method?: string;
  /** Its id (none for a notification). */
  id?: string | number;
}

/** A running legacy HTTP+SSE server. */
export interface LegacySseServer {
  /** The SSE URL (`/sse`) to give a client. */
  url: URL;
  /** The origin the server listens on. */
  origin: string;
  /** Every request so far, in order. */
  requests: SeenRequest[];
  /** The live sessions. */
  sessions: Map<string, LegacySseTestTransport>;
  /** Every message POSTed to a live session (and so handed to its MCP server), in order. */
  messages: SeenMessage[];
  /** Ends every stream, closes every MCP server and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves the example MCP server over legacy HTTP+SSE on 127.0.0.1.
 *
 * @example Usage
 * ```ts ignore
 * import { serveLegacySse } from "./legacy_sse_server.ts";
 * const server = await serveLegacySse();
 * try {
 *   console.log(server.url.href); // http://127.0.0.1:PORT/sse
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @param options The endpoint origin and status choices.
 * @returns The running server.
 */
export function serveLegacySse(options: LegacySseOptions = {}): Promise<LegacySseServer> {
  const create = options.create ?? createExampleServer;
  const sessions = new Map<string, LegacySseTestTransport>();
  const servers: McpServer[] = [];
  const requests: SeenRequest[] = [];
  const messages: SeenMessage[] = [];
  // Set by close(): a request that still arrives on a kept-alive connection is refused as by a server
  // going down, never given a new session.
  let stopping = false;
  let ownOrigin = "";
  const foreignOrigin = () =>
    typeof options.endpointOrigin === "function" ? options.endpointOrigin(ownOrigin) : options.endpointOrigin;

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (stopping) {
      await request.body?.cancel();
      return new Response("Shutting down", { status: 503 });
    }
    if (url.pathname === "/sse") {
      if (request.method !== "GET") {
        await request.body?.cancel();
        const status = options.sseNonGetStatus ?? 405;
        return new Response(status === 405 ? "Method Not Allowed" : "Not Found", {
          status,
          headers: status === 405 ? { allow: "GET" } : {},
        });
      }
      const transport = new LegacySseTestTransport(
        options.endpointOrigin ? `${foreignOrigin()}/messages` : "/messages",
      );
      sessions.set(transport.sessionId, transport);
      const server = create();
      servers.push(server);
      await server.connect(transport);
      // Keep the MCP server's own close handler and forget the session as well.
      const serverOnClose = transport.onclose;
      transport.onclose = () => {
        sessions.delete(transport.sessionId);
        serverOnClose?.();
      };
      return new Response(transport.stream, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      });
    }
    if (url.pathname === "/messages") {
      if (request.method !== "POST") {
        await request.body?.cancel();
        return new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } });
      }
      const transport = sessions.get(url.searchParams.get("sessionId") ?? "");
      if (!transport) {
        await request.body?.cancel();
        return new Response("Unknown session", { status: 404 });
      }
      let message: JSONRPCMessage;
      try {
        message = await request.json() as JSONRPCMessage;
      } catch {
        return new Response("Invalid JSON", { status: 400 });
      }
      const { method, id } = message as { method?: string; id?: string | number };
      messages.push({
        session: transport.sessionId,
        ...(typeof method === "string" ? { method } : {}),
        ...(id !== undefined ? { id } : {}),
      });
      transport.receive(message);
      return new Response("Accepted", { status: 202 });
    }
    await request.body?.cancel();
    return new Response("Not Found", { status: 404 });
  };

  const handle = async (request: Request): Promise<Response> => {
    const response = await route(request);
    requests.push({ method: request.method, path: new URL(request.url).pathname, status: response.status });
    return response;
  };

  return new Promise((resolve) => {
    const httpServer = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: ({ port }) => {
        const origin = `http://127.0.0.1:${port}`;
        ownOrigin = origin;
        resolve({
          url: new URL(`${origin}/sse`),
          origin,
          requests,
          sessions,
          messages,
          close: async () => {
            // Stop listening first, so that a client reconnecting the moment its stream ends finds the
            // server gone rather than a new session on a server about to stop.
            stopping = true;
            const shutdown = httpServer.shutdown();
            for (const transport of [...sessions.values()]) await transport.close();
            for (const server of servers) await server.close().catch(() => {});
            sessions.clear();
            await shutdown;
          },
        });
      },
    }, handle);
  });
}
