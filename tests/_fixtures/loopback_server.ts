/**
 * A plain HTTP server on 127.0.0.1 (any free port) for a test's own hand-written servers: the attack
 * servers of `tests/security/` and the hostile fixtures. Real MCP and OAuth servers have their own
 * fixtures.
 *
 * @module
 */

/** A running server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` followed by the path given. */
  url: URL;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The port. */
  port: number;
  /** Stops it (open connections are closed). */
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1.
 *
 * @param handler Answers each request.
 * @param path The path of {@linkcode LoopbackServer.url}.
 * @returns The running server.
 */
export function serveLoopback(
  handler: (request: Request) => Response | Promise<Response>,
  path = "/mcp",
): Promise<LoopbackServer> {
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => {
        const origin = `http://127.0.0.1:${port}`;
        resolve({ url: new URL(path, origin), origin, port, close: () => server.shutdown() });
      },
    }, handler);
  });
}
