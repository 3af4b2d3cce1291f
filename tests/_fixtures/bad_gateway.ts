/**
 * A reverse proxy on 127.0.0.1 in front of a real MCP server, as nginx or a cloud load balancer would be,
 * that can be told to answer every request with its own HTML `502 Bad Gateway` page (the upstream is away)
 * for a while: those requests never reach the server. Otherwise it forwards each request and streams the
 * server's answer back unchanged (JSON bodies and event streams alike).
 *
 * @module
 */

import { rpcMethodOf } from "./test_server.ts";

/** The HTML page the gateway answers with while it fails (nginx's, byte for byte in spirit). */
export const BAD_GATEWAY_PAGE: string =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n" +
  "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/** One request as the gateway saw it. */
export interface GatewayRequest {
  /** The HTTP method. */
  method: string;
  /** The JSON-RPC method of a POST (undefined for a GET, a DELETE or a body that is not one message). */
  rpc: string | undefined;
  /** When it arrived (performance.now()). */
  at: number;
}

/** A running gateway. */
export interface BadGateway {
  /** The upstream URL with the gateway's host and port. */
  url: URL;
  /** Answers every request with the HTML 502 page for `ms` milliseconds from now. */
  failFor(ms: number): void;
  /** Whether it answers with the 502 page now. */
  failing(): boolean;
  /** The requests it answered with the 502 page, in order. */
  pages: GatewayRequest[];
  /** The requests it passed on to the server, in order. */
  forwarded: GatewayRequest[];
  /** Stops listening, ends every forwarded exchange still open, and waits for the last one. */
  close(): Promise<void>;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "host", "content-length"];

/**
 * Starts a gateway to the server of `upstream`.
 *
 * @param upstream The server's URL (its path is kept in {@linkcode BadGateway.url}).
 * @returns The running gateway.
 */
export function startBadGateway(upstream: URL): Promise<BadGateway> {
  const client = Deno.createHttpClient({});
  const ending = new AbortController();
  const pages: GatewayRequest[] = [];
  const forwarded: GatewayRequest[] = [];
  let failUntil = 0;
  const failing = () => performance.now() < failUntil;

  const handle = async (request: Request): Promise<Response> => {
    const body = request.method === "POST" ? await request.text() : undefined;
    const seen = {
      method: request.method,
      rpc: body === undefined ? undefined : rpcMethodOf(body),
      at: performance.now(),
    };
    if (failing()) {
      pages.push(seen);
      return new Response(BAD_GATEWAY_PAGE, {
        status: 502,
        statusText: "Bad Gateway",
        headers: { "content-type": "text/html" },
      });
    }
    forwarded.push(seen);
    const from = new URL(request.url);
    const target = new URL(from.pathname + from.search, upstream);
    const headers = new Headers(request.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    let answer: Response;
    try {
      answer = await fetch(target, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        client,
        redirect: "manual",
        signal: ending.signal,
      });
    } catch {
      return new Response(BAD_GATEWAY_PAGE, { status: 502, headers: { "content-type": "text/html" } });
    }
    const back = new Headers(answer.headers);
    for (const name of HOP_BY_HOP) back.delete(name);
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: back });
  };

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => {
        resolve({
          url: new URL(`${upstream.protocol}//127.0.0.1:${port}${upstream.pathname}`),
          failFor: (ms) => void (failUntil = performance.now() + ms),
          failing,
          pages,
          forwarded,
          close: async () => {
            ending.abort();
            await server.shutdown();
            client.close();
          },
        });
      },
    }, handle);
  });
}
