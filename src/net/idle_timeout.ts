/**
 * A response whose body fails when the server sends nothing for a while (`--body-timeout`): a stalled
 * connection, packets silently dropped while the socket stays open, is found without waiting for TCP's own
 * timeouts. Only the wait between two chunks counts, so a long stream that keeps sending is never cut.
 *
 * @module
 */

/**
 * Wraps a response so that reading its body fails with `onIdle()` after `ms` without a chunk.
 *
 * @example Usage
 * ```ts
 * import { withIdleTimeout } from "./idle_timeout.ts";
 * import assert from "node:assert/strict";
 *
 * const stalled = new Response(new ReadableStream({ start() {} }));
 * const res = withIdleTimeout(stalled, 10, () => new Error("idle"));
 * await assert.rejects(res.text(), /idle/);
 * ```
 *
 * @param res The response.
 * @param ms The longest wait for the next chunk.
 * @param onIdle The error to fail with.
 * @returns A response with the same status and headers.
 */
export function withIdleTimeout(res: Response, ms: number, onIdle: () => Error): Response {
  if (res.body === null) return res;
  const reader = res.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onIdle()), ms);
      });
      try {
        const chunk = await Promise.race([reader.read(), idle]);
        if (chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      } catch (error) {
        controller.error(error);
        reader.cancel(error).catch(() => {});
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
