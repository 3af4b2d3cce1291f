/**
 * Benchmarks of the stdout writer:
 *
 * - a burst of 2000 notifications (1000 progress, 1000 log lines, as the end-to-end notify phase sends)
 *   written to a direct writer that completes each write on the next event-loop turn, as a pipe to the
 *   host does. Batching makes it a handful of writes, not 2000;
 * - lines written one at a time (as answers come back, one a turn) to a file (`/dev/null`, the same
 *   runtime resource as stdout): the asynchronous `write` (a hand-off to the runtime's blocking thread
 *   pool for each) against `writeSync`, which the writer uses when the sink has it.
 *
 * ```sh
 * deno bench --allow-write=/dev/null bench/line_writer_bench.ts
 * ```
 *
 * @module
 */

import { type ByteWriter, LineWriter } from "../src/stdio/stdout_writer.ts";

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

const LINES = 2000;
const answer = '{"result":{"content":[{"type":"text","text":"x"}]},"jsonrpc":"2.0","id":1234}';
const devNull = Deno.openSync("/dev/null", { write: true });

async function writeOneATurn(sink: ByteWriter): Promise<void> {
  const out = new LineWriter(sink);
  for (let i = 0; i < LINES; i++) {
    await out.write(answer);
    await out.flush();
  }
}

Deno.bench({
  name: `LineWriter: ${LINES} lines, one a turn, to a file: asynchronous write`,
  group: "one a turn",
  baseline: true,
  async fn() {
    await writeOneATurn({ write: (bytes) => devNull.write(bytes) });
  },
});

Deno.bench({
  name: `LineWriter: ${LINES} lines, one a turn, to a file: writeSync`,
  group: "one a turn",
  async fn() {
    await writeOneATurn({
      write: (bytes) => devNull.write(bytes),
      writeSync: (bytes) => devNull.writeSync(bytes),
    });
  },
});
