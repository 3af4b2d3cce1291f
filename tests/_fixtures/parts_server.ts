/**
 * A local HTTP server for the tests of body readers: its answer is the given parts, each written on its own
 * (a chunked body, no declared length) with a pause before each but the first, so that each is read on its
 * own; or, with `chunked: false`, all of them as one body of declared length.
 *
 * @module
 */

/** How {@linkcode withPartsServer} answers. */
export interface PartsServerOptions {
  /** Each part on its own (default `true`); `false`: one body with a Content-Length. */
  chunked?: boolean;
  /** The pause before each part but the first, in ms (default 3; 0: none, and no timer). */
  pauseMs?: number;
  /** The Content-Type (default `application/octet-stream`). */
  contentType?: string;
}

/**
 * Runs `run` with the URL of a server answering every request with `parts`, then stops the server.
 *
 * @param parts The body, in parts.
 * @param options How they are written.
 * @param run The test.
 */
export async function withPartsServer(
  parts: string[],
  options: PartsServerOptions,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const { chunked = true, pauseMs = 3, contentType = "application/octet-stream" } = options;
  const headers = { "content-type": contentType };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    if (!chunked) return new Response(parts.join(""), { headers });
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= parts.length) return controller.close();
        if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        controller.enqueue(new TextEncoder().encode(parts[i++]!));
      },
    });
    return new Response(body, { headers });
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}/`);
  } finally {
    await server.shutdown();
  }
}
