/**
 * Hand-written HTTP servers, each producing one fault that no real MCP server produces on purpose:
 * an HTML page, a bare status, a stall, a non-JSON body, a cut event stream, a 202 to a request.
 * Everything else in the tests runs against real servers; a fault server is named for its fault.
 *
 * Every server listens on 127.0.0.1 (any free port), serves its fault at `/mcp`, and records every
 * request it receives.
 *
 * @module
 */

/** One request a fault server received. */
export interface RecordedRequest {
  /** The HTTP method. */
  method: string;
  /** The headers, names lower-cased. */
  headers: Record<string, string>;
  /** The body text (`""` when there is none). */
  body: string;
}

/** A running fault server. */
export interface FaultServer {
  /** The MCP endpoint (`http://127.0.0.1:<port>/mcp`). */
  url: URL;
  /** Every request received so far, in arrival order. */
  requests: RecordedRequest[];
  /** How many requests the client gave up (closed their connection) before the fault answered them. */
  abandoned(): number;
  /** Stops the server (releasing any stalled request first). */
  close(): Promise<void>;
}

/** Options shared by the fault servers. */
export interface FaultOptions {
  /**
   * Answer `initialize` properly (JSON, with a session id), accept notifications and responses
   * with 202, and refuse the GET stream with 405, so that the fault hits the requests after the
   * handshake. Default: the fault hits every POST, `initialize` included.
   */
  handshake?: boolean;
}

/** The session id the handshake of a fault server assigns. */
export const FAULT_SESSION_ID = "fault-session-0001";

type Handler = (request: Request, body: string, closing: Promise<void>) => Response | Promise<Response>;

/** Reads the `id` of a JSON-RPC request body, `null` when there is none. */
export function requestId(body: string): string | number | null {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "string" || typeof id === "number" ? id : null;
  } catch {
    return null;
  }
}

function rpcMethod(body: string): string | undefined {
  try {
    const method = (JSON.parse(body) as { method?: unknown }).method;
    return typeof method === "string" ? method : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The part of the MCP transport a fault server needs to get a session going; `undefined` for the
 * requests the fault applies to.
 */
function handshake(request: Request, body: string): Response | undefined {
  if (request.method === "GET") {
    return new Response(null, { status: 405, headers: { allow: "POST, DELETE" } });
  }
  if (request.method === "DELETE") return new Response(null, { status: 200 });
  if (request.method !== "POST") return new Response(null, { status: 405 });
  const id = requestId(body);
  const method = rpcMethod(body);
  if (id === null) return new Response(null, { status: 202 }); // notification or response
  if (method === "initialize") {
    const params = (JSON.parse(body) as { params?: { protocolVersion?: string } }).params;
    return Response.json({
      jsonrpc: "2.0",
      id,
      result: {
        protocolVersion: params?.protocolVersion ?? "2025-11-25",
        capabilities: { tools: {} },
        serverInfo: { name: "fault-server", version: "0.0.0" },
      },
    }, { headers: { "mcp-session-id": FAULT_SESSION_ID } });
  }
  return undefined;
}

function serveFault(options: FaultOptions, fault: Handler): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  let abandoned = 0;
  let release!: () => void;
  const closing = new Promise<void>((resolve) => (release = resolve));
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => {
        resolve({
          url: new URL(`http://127.0.0.1:${port}/mcp`),
          requests,
          abandoned: () => abandoned,
          close: async () => {
            release();
            await server.shutdown();
          },
        });
      },
    }, async (request) => {
      const body = request.body ? await request.text().catch(() => "") : "";
      requests.push({ method: request.method, headers: Object.fromEntries(request.headers), body });
      if (options.handshake) {
        const answered = handshake(request, body);
        if (answered) return answered;
      }
      const response = await fault(request, body, closing);
      if (request.signal.aborted) abandoned++;
      return response;
    });
  });
}

const NGINX_PAGE = "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>" +
  "<body><h1>Welcome to our website!</h1><p>Sign in to continue.</p></body></html>\n";

/**
 * Answers every POST with `200 text/html` (a web page, as when the URL is a website, not an MCP
 * endpoint).
 *
 * @param options Whether to handshake first.
 * @returns The running server.
 */
export function serveHtmlPage(options: FaultOptions = {}): Promise<FaultServer> {
  return serveFault(options, () =>
    new Response(NGINX_PAGE, {
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8" },
    }));
}

/** Options for {@linkcode serveStatus}. */
export interface StatusOptions extends FaultOptions {
  /** The `Content-Type` (default: sniffed from the body: HTML, JSON or plain text). */
  contentType?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/**
 * Answers every POST with one HTTP status and body (a proxy's 502 page, a crashed server's 500, a
 * gateway's 401).
 *
 * @param status The status.
 * @param body The body, or a function of the request's JSON-RPC id that builds it.
 * @param options The content type, extra headers, and whether to handshake first.
 * @returns The running server.
 */
export function serveStatus(
  status: number,
  body: string | ((id: string | number | null) => string),
  options: StatusOptions = {},
): Promise<FaultServer> {
  return serveFault(options, (_request, requestBody) => {
    const text = typeof body === "string" ? body : body(requestId(requestBody));
    const trimmed = text.trimStart();
    const contentType = options.contentType ??
      (trimmed.startsWith("<")
        ? "text/html; charset=utf-8"
        : trimmed.startsWith("{")
        ? "application/json"
        : "text/plain; charset=utf-8");
    return new Response(text, { status, headers: { "content-type": contentType, ...options.headers } });
  });
}

/**
 * Accepts every request and never answers it (a hung server or a black-holing proxy). Stalled
 * requests are released (with a 503 nobody reads) when the server closes, or when the client gives up on
 * them (counted in {@linkcode FaultServer.abandoned}).
 *
 * @param options Whether to handshake first.
 * @returns The running server.
 */
export function serveStall(options: FaultOptions = {}): Promise<FaultServer> {
  return serveFault(options, async (request, _body, closing) => {
    // Until the server closes, or the client gives up on the request.
    await Promise.race([
      closing,
      new Promise<void>((resolve) =>
        request.signal.addEventListener("abort", () => resolve(), { once: true })
      ),
    ]);
    return new Response(null, { status: 503 });
  });
}

/**
 * Answers every POST with `200 application/json` whose body is not JSON.
 *
 * @param options Whether to handshake first.
 * @returns The running server.
 */
export function serveNonJson(options: FaultOptions = {}): Promise<FaultServer> {
  return serveFault(options, () =>
    new Response("<<not json at all>> {", {
      status: 200,
      headers: { "content-type": "application/json" },
    }));
}

/** The log notification a cut stream sends before it breaks. */
export const CUT_STREAM_NOTICE = {
  jsonrpc: "2.0",
  method: "notifications/message",
  params: { level: "info", logger: "fault", data: "working on it" },
};

function sse(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

/**
 * Handshakes over JSON; then answers each request with an event stream that sends one event
 * WITHOUT an id (a log notification) and ends before the response, leaving nothing to resume
 * from. A GET (the resumption the client must not attempt) is answered 405.
 *
 * @returns The running server.
 */
export function serveCutStream(): Promise<FaultServer> {
  return serveFault({ handshake: true }, () => sse([`data: ${JSON.stringify(CUT_STREAM_NOTICE)}\n\n`]));
}

/** The result the {@linkcode serveCutMidEvent} server's response carries. */
export const MID_EVENT_RESULT = { content: [{ type: "text", text: "replayed after the cut" }] };

/**
 * A resumable server whose request stream breaks in the middle of the response event, after its
 * `id:` line and before the blank line that ends it. Event `ev-1` (a log notification) arrives
 * whole; event `ev-2` (the response) is cut. A GET with `Last-Event-ID: ev-1` replays `ev-2`; a GET
 * resuming from any other id gets an empty stream that ends at once (there is nothing after it).
 *
 * @returns The running server.
 */
export function serveCutMidEvent(): Promise<FaultServer> {
  let pendingId: string | number | null = null;
  return serveFault({}, (request, body) => {
    const answered = request.method === "GET" ? undefined : handshake(request, body);
    if (answered) return answered;
    const response = () => JSON.stringify({ jsonrpc: "2.0", id: pendingId, result: MID_EVENT_RESULT });
    if (request.method === "GET") {
      const last = request.headers.get("last-event-id");
      if (last === null) return new Response(null, { status: 405 });
      return sse(last === "ev-1" ? [`id: ev-2\ndata: ${response()}\n\n`] : []);
    }
    pendingId = requestId(body);
    const whole = response();
    return sse([
      "retry: 50\n\n",
      `id: ev-1\ndata: ${JSON.stringify(CUT_STREAM_NOTICE)}\n\n`,
      `id: ev-2\ndata: ${whole.slice(0, whole.length >> 1)}`,
    ]);
  });
}

/**
 * Answers requests with `202 Accepted` and no body (a server that treats requests as
 * notifications).
 *
 * @param options Whether to handshake first (default: yes, the fault hits the requests after it).
 * @returns The running server.
 */
export function serveNoResponse202(options: FaultOptions = { handshake: true }): Promise<FaultServer> {
  return serveFault(options, () => new Response(null, { status: 202 }));
}

/**
 * A port on 127.0.0.1 with nothing listening (it was bound, then released).
 *
 * @returns The URL of an MCP endpoint there.
 */
export function refusedUrl(): URL {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return new URL(`http://127.0.0.1:${port}/mcp`);
}
