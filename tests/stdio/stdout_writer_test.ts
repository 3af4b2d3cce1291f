import assert from "node:assert/strict";
import { HIGH_WATER_BYTES, LineWriter, SLOW_WRITE_MS } from "../../src/stdio/stdout_writer.ts";

const decoder = new TextDecoder();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A writer over a stream that records every chunk handed to it. */
function recording(): { out: LineWriter; chunks: string[] } {
  const chunks: string[] = [];
  const out = new LineWriter(new WritableStream({ write: (c) => void chunks.push(decoder.decode(c)) }));
  return { out, chunks };
}

Deno.test("LineWriter writes one line per message, ending with a newline", async () => {
  const { out, chunks } = recording();
  await out.write('{"a":1}');
  await out.flush();
  await out.write('{"b":"é😀"}');
  await out.flush();
  assert.deepEqual(chunks, ['{"a":1}\n', '{"b":"é😀"}\n']);
});

Deno.test("LineWriter removes embedded CR and LF", async () => {
  const { out, chunks } = recording();
  await out.write('{\n  "a": 1,\r\n  "b": 2\r}\n');
  await out.flush();
  assert.deepEqual(chunks, ['{  "a": 1,  "b": 2}\n']);
});

Deno.test("LineWriter keeps escaped newlines inside JSON strings", async () => {
  const { out, chunks } = recording();
  await out.write(JSON.stringify({ text: "a\nb" }));
  await out.flush();
  assert.deepEqual(chunks, ['{"text":"a\\nb"}\n']);
});

Deno.test("LineWriter batches: lines written while a write is in flight go out together, in order", async () => {
  const chunks: string[] = [];
  let active = 0;
  let maxActive = 0;
  const out = new LineWriter(
    new WritableStream({
      async write(chunk) {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(10);
        chunks.push(decoder.decode(chunk));
        active--;
      },
    }),
  );
  const messages = Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`);
  for (const m of messages.slice(0, 500)) await out.write(m);
  await sleep(1);
  for (const m of messages.slice(500)) await out.write(m);
  await out.flush();
  assert.equal(chunks.join(""), messages.map((m) => `${m}\n`).join(""));
  assert.equal(maxActive, 1, "one write at a time");
  // 1000 lines, far fewer writes: the first turn's lines in one, the rest in the next.
  assert.ok(chunks.length <= 3, `${chunks.length} writes`);
  for (const chunk of chunks) assert.ok(chunk.endsWith("\n"), "a write holds whole lines");
});

Deno.test("LineWriter.write() waits once more than the high-water mark is queued (backpressure)", async () => {
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
  const small = "x".repeat(1000);
  // Under the mark: resolved at once, though nothing was written yet.
  await out.write(small);
  await sleep(0);
  assert.equal(pending.length, 1, "the first line is in flight");
  let count = 0;
  while ((count + 1) * 1001 <= HIGH_WATER_BYTES) {
    await out.write(small);
    count++;
  }
  // Over the mark: this one waits for the stream.
  let settled = false;
  const over = out.write("y".repeat(2000)).then(() => void (settled = true));
  await sleep(5);
  assert.equal(settled, false, "a writer over the mark waits");
  pending.shift()!(); // the first write completes; the queued batch goes next
  await sleep(0);
  assert.equal(pending.length, 1, "the queued lines went out as one write");
  assert.equal(settled, false, "still waiting: its batch is not written yet");
  pending.shift()!();
  await over;
  assert.equal(accepted.join("").length, (count + 1) * 1001 + 2001);
  await out.flush();
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
  assert.equal(chunks.join(""), "a\nb\nc\n");
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
  await out.flush();
  await out.write("b");
  await out.flush();
  assert.equal(writes, 1);
});

Deno.test("LineWriter lets every waiting writer go when the stream fails", async () => {
  let fail!: () => void;
  const out = new LineWriter(
    new WritableStream({
      write: () => new Promise<void>((_, reject) => (fail = () => reject(new Error("gone")))),
    }),
  );
  const big = "z".repeat(HIGH_WATER_BYTES);
  void out.write("first");
  await sleep(0);
  const waiting = [out.write(big), out.write(big)];
  fail();
  await Promise.all(waiting);
  await out.flush();
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
  await out.flush();
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
  await out.flush();
  assert.equal(new TextDecoder().decode(new Uint8Array(received)), '{"a":"héllo"}\n{"b":2}\n');
});

/** A direct writer with both ways of writing, taking at most `max` bytes a call; `failSync` decides each writeSync's fate. */
function twoWayWriter(max: number, failSync: (call: number) => Error | undefined = () => undefined) {
  const received: number[] = [];
  const calls = { sync: 0, async: 0 };
  const take = (bytes: Uint8Array) => {
    const n = Math.min(max, bytes.length);
    received.push(...bytes.subarray(0, n));
    return n;
  };
  const writer = {
    write(bytes: Uint8Array): Promise<number> {
      calls.async++;
      return Promise.resolve(take(bytes));
    },
    writeSync(bytes: Uint8Array): number {
      const error = failSync(++calls.sync);
      if (error) throw error;
      return take(bytes);
    },
  };
  return { writer, calls, text: () => new TextDecoder().decode(new Uint8Array(received)) };
}

Deno.test("LineWriter writes with writeSync when the writer has it, finishing partial writes", async () => {
  const { writer, calls, text } = twoWayWriter(4);
  const out = new LineWriter(writer);
  await Promise.all([out.write('{"a":"héllo"}'), out.write('{"b":2}')]);
  await out.flush();
  await out.write('{"c":3}');
  await out.flush();
  assert.equal(text(), '{"a":"héllo"}\n{"b":2}\n{"c":3}\n');
  assert.equal(calls.async, 0, "never the asynchronous write");
  assert.ok(calls.sync >= 7, `partial writes finished synchronously: ${calls.sync}`);
});

Deno.test("LineWriter goes asynchronous for good once a synchronous write waited SLOW_WRITE_MS", async () => {
  let clock = 0;
  // The second synchronous write waits for the host (the clock moves on while it blocks).
  const { writer, calls, text } = twoWayWriter(64, (call) => {
    if (call === 2) clock += SLOW_WRITE_MS;
    return undefined;
  });
  const out = new LineWriter(writer, { now: () => clock });
  for (const line of ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']) {
    await out.write(line);
    await out.flush();
  }
  assert.equal(text(), '{"a":1}\n{"b":2}\n{"c":3}\n{"d":4}\n', "nothing lost or repeated at the switch");
  assert.equal(calls.sync, 2, "the slow write finished synchronously, the next ones did not");
  assert.equal(calls.async, 2);
});

Deno.test("LineWriter stays synchronous while writes are quick", async () => {
  let clock = 0;
  const { writer, calls } = twoWayWriter(64, () => {
    clock += SLOW_WRITE_MS - 1;
    return undefined;
  });
  const out = new LineWriter(writer, { now: () => clock });
  for (let i = 0; i < 5; i++) {
    await out.write(`{"n":${i}}`);
    await out.flush();
  }
  assert.equal(calls.sync, 5);
  assert.equal(calls.async, 0);
});

for (
  const [what, error] of [
    // A full non-blocking pipe: how much it took is unknown, so nothing is sent again either way.
    ["would block", () => new Deno.errors.WouldBlock("Resource temporarily unavailable")],
    ["fails (the host went away)", () => new Deno.errors.BrokenPipe("Broken pipe (os error 32)")],
  ] as const
) {
  Deno.test(`LineWriter closes, without rejecting or writing again, when a synchronous write ${what}`, async () => {
    const { writer, calls, text } = twoWayWriter(64, error);
    const out = new LineWriter(writer);
    await out.write('{"a":1}');
    await out.flush();
    await out.write('{"b":2}');
    await out.flush();
    assert.equal(text(), "");
    assert.deepEqual(calls, { sync: 1, async: 0 }, "not tried again, either way");
  });
}

const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("LineWriter.writeBytes() writes the bytes and a newline at once when nothing waits, without keeping them", async () => {
  const { writer, calls, text } = twoWayWriter(4);
  const out = new LineWriter(writer);
  const line = utf8('{"jsonrpc":"2.0","id":1,"result":{"t":"é"}}');
  const done = out.writeBytes(line);
  // Written before the call returned: the caller may reuse its buffer at once.
  line.fill(0x20);
  await done;
  assert.equal(text(), '{"jsonrpc":"2.0","id":1,"result":{"t":"é"}}\n');
  assert.equal(calls.async, 0);
});

Deno.test("LineWriter.writeBytes() keeps the order: behind queued lines it goes as a copy, in turn", async () => {
  const { writer, text } = twoWayWriter(64);
  const out = new LineWriter(writer);
  const first = out.write('{"a":1}');
  const line = utf8('{"b":2}');
  const second = out.writeBytes(line);
  line.fill(0x20);
  const third = out.write('{"c":3}');
  await Promise.all([first, second, third]);
  await out.flush();
  assert.equal(text(), '{"a":1}\n{"b":2}\n{"c":3}\n');
});

Deno.test("LineWriter.writeBytes() going asynchronous in the middle of a line finishes it before the next", async () => {
  let clock = 0;
  // The first synchronous write (part of the line) waits for the host: the rest goes asynchronously.
  const { writer, calls, text } = twoWayWriter(5, (call) => {
    if (call === 1) clock += SLOW_WRITE_MS;
    return undefined;
  });
  const out = new LineWriter(writer, { now: () => clock });
  const line = utf8('{"jsonrpc":"2.0","id":1,"result":{}}');
  const done = out.writeBytes(line);
  line.fill(0x20);
  await out.write('{"after":1}');
  await done;
  await out.flush();
  assert.equal(text(), '{"jsonrpc":"2.0","id":1,"result":{}}\n{"after":1}\n');
  assert.equal(calls.sync, 1);
  assert.ok(calls.async > 1);
});

Deno.test("LineWriter.writeBytes() on a stream, or after the writer closed", async () => {
  const { out, chunks } = recording();
  await out.writeBytes(utf8('{"x":1}'));
  await out.flush();
  assert.deepEqual(chunks, ['{"x":1}\n']);
  const { writer, calls, text } = twoWayWriter(64, () => new Deno.errors.BrokenPipe("Broken pipe"));
  const closed = new LineWriter(writer);
  await closed.writeBytes(utf8('{"y":1}'));
  await closed.writeBytes(utf8('{"z":1}'));
  await closed.write('{"w":1}');
  await closed.flush();
  assert.equal(text(), "");
  assert.deepEqual(calls, { sync: 1, async: 0 });
});
