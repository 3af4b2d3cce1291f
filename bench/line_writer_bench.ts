/**
 * Benchmark of the stdout writer: a burst of 2000 notifications (1000 progress, 1000 log lines, as the
 * end-to-end notify phase sends) written to a direct writer that completes each write on the next
 * event-loop turn, as a pipe to the host does. Batching makes it a handful of writes, not 2000.
 *
 * @module
 */

import { LineWriter } from "../src/stdio/stdout_writer.ts";

const NOTIFICATIONS = 2000;
const lines = Array.from({ length: NOTIFICATIONS }, (_, i) =>
  JSON.stringify(
    i % 2 === 0
      ? {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: "t", progress: i / 2 + 1 },
      }
      : {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", logger: "bench", data: { seq: i } },
      },
  ));

Deno.bench({
  name: `LineWriter: ${NOTIFICATIONS} notifications to a pipe-like writer`,
  group: "stdout",
  fn: async () => {
    let writes = 0;
    let bytes = 0;
    const out = new LineWriter({
      write: (chunk: Uint8Array) =>
        new Promise<number>((resolve) =>
          setTimeout(() => {
            writes++;
            bytes += chunk.length;
            resolve(chunk.length);
          }, 0)
        ),
    });
    for (const line of lines) await out.write(line);
    await out.flush();
    if (writes > NOTIFICATIONS / 10) throw new Error(`${writes} writes for ${NOTIFICATIONS} lines`);
    if (bytes === 0) throw new Error("nothing written");
  },
});
