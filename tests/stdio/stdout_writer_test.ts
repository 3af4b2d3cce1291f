import assert from "node:assert/strict";
import { LineWriter } from "../../src/stdio/stdout_writer.ts";

const decoder = new TextDecoder();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("LineWriter writes one line per message, ending with a newline", async () => {
  const chunks: string[] = [];
  const out = new LineWriter(new WritableStream({ write: (c) => void chunks.push(decoder.decode(c)) }));
  await out.write('{"a":1}');
  await out.write('{"b":"é😀"}');
  assert.deepEqual(chunks, ['{"a":1}\n', '{"b":"é😀"}\n']);
});

Deno.test("LineWriter removes embedded CR and LF", async () => {
  const chunks: string[] = [];
  const out = new LineWriter(new WritableStream({ write: (c) => void chunks.push(decoder.decode(c)) }));
  await out.write('{\n  "a": 1,\r\n  "b": 2\r}\n');
  assert.deepEqual(chunks, ['{  "a": 1,  "b": 2}\n']);
});

Deno.test("LineWriter keeps escaped newlines inside JSON strings", async () => {
  const chunks: string[] = [];
  const out = new LineWriter(new WritableStream({ write: (c) => void chunks.push(decoder.decode(c)) }));
  await out.write(JSON.stringify({ text: "a\nb" }));
  assert.deepEqual(chunks, ['{"text":"a\\nb"}\n']);
});

Deno.test("LineWriter preserves order for concurrent writes to a slow stream", async () => {
  const chunks: string[] = [];
  let active = 0;
  let maxActive = 0;
  const delays = [30, 1, 20, 0, 10, 5];
  let call = 0;
  const out = new LineWriter(
    new WritableStream({
      async write(chunk) {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(delays[call++ % delays.length]!);
        chunks.push(decoder.decode(chunk));
        active--;
      },
    }),
  );
  const messages = Array.from({ length: 12 }, (_, i) => `{"n":${i}}`);
  await Promise.all(messages.map((m) => out.write(m)));
  await out.flush();
  assert.deepEqual(chunks, messages.map((m) => `${m}\n`));
  assert.equal(maxActive, 1);
});

Deno.test("LineWriter.write() resolves only after the stream accepted the line (backpressure)", async () => {
  const pending: (() => void)[] = [];
  const accepted: string[] = [];
  const out = new LineWriter(
    new WritableStream({
      write(chunk) {
        return new Promise<void>((resolve) => {
          pending.push(() => {
            accepted.push(decoder.decode(chunk));
            resolve();
          });
        });
      },
    }),
  );
  const settled: string[] = [];
  const first = out.write("1").then(() => void settled.push("1"));
  const second = out.write("2").then(() => void settled.push("2"));
  await sleep(0);
  assert.equal(pending.length, 1, "only the first line reaches the stream");
  assert.deepEqual(settled, []);
  pending.shift()!();
  await first;
  assert.deepEqual(accepted, ["1\n"]);
  assert.deepEqual(settled, ["1"]);
  await sleep(0);
  assert.equal(pending.length, 1, "the second line follows once the first was accepted");
  assert.deepEqual(settled, ["1"]);
  pending.shift()!();
  await second;
  assert.deepEqual(accepted, ["1\n", "2\n"]);
  assert.deepEqual(settled, ["1", "2"]);
});

Deno.test("LineWriter.flush() waits for every queued line", async () => {
  const chunks: string[] = [];
  const out = new LineWriter(
    new WritableStream({
      async write(chunk) {
        await sleep(2);
        chunks.push(decoder.decode(chunk));
      },
    }),
  );
  void out.write("a");
  void out.write("b");
  void out.write("c");
  await out.flush();
  assert.deepEqual(chunks, ["a\n", "b\n", "c\n"]);
});

Deno.test("LineWriter never rejects when the stream fails, and stops writing", async () => {
  let writes = 0;
  const out = new LineWriter(
    new WritableStream({
      write() {
        writes++;
        throw new Error("host went away");
      },
    }),
  );
  await out.write("a");
  await out.write("b");
  await out.flush();
  assert.equal(writes, 1);
});

Deno.test("LineWriter ignores writes after the stream errored", async () => {
  const chunks: string[] = [];
  let controller!: WritableStreamDefaultController;
  const out = new LineWriter(
    new WritableStream({
      start(c) {
        controller = c;
      },
      write: (c) => void chunks.push(decoder.decode(c)),
    }),
  );
  await out.write("before");
  controller.error(new Error("closed"));
  await out.write("after");
  await out.flush();
  assert.deepEqual(chunks, ["before\n"]);
});

Deno.test("LineWriter writes to a direct writer, finishing partial writes", async () => {
  const received: number[] = [];
  // A writer that takes at most 3 bytes per call, as a pipe under pressure may.
  const writer = {
    write(bytes: Uint8Array): Promise<number> {
      const n = Math.min(3, bytes.length);
      received.push(...bytes.subarray(0, n));
      return Promise.resolve(n);
    },
  };
  const out = new LineWriter(writer);
  await Promise.all([out.write('{"a":"héllo"}'), out.write('{"b":2}')]);
  assert.equal(new TextDecoder().decode(new Uint8Array(received)), '{"a":"héllo"}\n{"b":2}\n');
});
