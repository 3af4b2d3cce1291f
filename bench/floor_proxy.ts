/**
 * The floor of the end-to-end benchmark: the least a Deno program can do to carry a 2025-era stdio host
 * to a Streamable HTTP server, and nothing else. Each stdin line is POSTed as it is (no parsing
 * beyond finding the session), each answer is copied to stdout (a JSON body as one line, an SSE body as
 * the `data` of each event, in order), with the session header taken from the first answer that
 * has one. No authorization, no validation, no limits, no era detection, no reconnection, no logging:
 * it is not a bridge anyone should run, only what `bench/e2e.ts` measures to show what Deno itself
 * costs for this workload (start-up, memory, CPU). It runs with the same permission and V8 flags as
 * the bridge.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/floor_proxy.ts http://127.0.0.1:3000/mcp
 * ```
 *
 * @module
 */

const url = Deno.args[0];
if (!url) throw new Error("Cannot start the floor proxy: no server URL");

const encoder = new TextEncoder();
const headers: Record<string, string> = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

/**
 * Writes one message line, synchronously as Node writes to a pipe on Linux (so whole lines never
 * interleave): Deno's asynchronous write of stdio costs a thread hand-off each (the bridge writes the same
 * way: src/stdio/stdout_writer.ts).
 */
function emit(line: string): void {
  const bytes = encodeLine(line);
  for (let written = 0; written < bytes.length;) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/**
 * The line and its newline as UTF-8. A large one goes through `encodeInto` a buffer of its size: under the
 * recommended V8 flags `encode` of a large text costs several times the encoding (the bridge does the
 * same: src/text/encode_utf8.ts), and a floor that paid it would not be the least a Deno program can do.
 */
function encodeLine(line: string): Uint8Array {
  if (line.length < 16 * 1024) return encoder.encode(line + "\n");
  let out = new Uint8Array(line.length + 1);
  let { read, written } = encoder.encodeInto(line, out.subarray(0, line.length));
  if (read < line.length) {
    const wide = new Uint8Array(written + (line.length - read) * 3 + 1);
    wide.set(out.subarray(0, written));
    written += encoder.encodeInto(line.slice(read), wide.subarray(written, wide.length - 1)).written;
    out = wide;
  }
  out[written] = 0x0a;
  return out.subarray(0, written + 1);
}

/**
 * Copies the `data` of each SSE event of `body` to stdout as it arrives, reading into one reused buffer (a
 * reader that brings none is given a new 64 KiB one for every read), 8 KiB at first and up to 64 KiB
 * once a read fills it (most answers are small).
 */
async function copyEvents(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader({ mode: "byob" });
  const decoder = new TextDecoder();
  let space = new ArrayBuffer(8 * 1024);
  // The text of an unfinished event, in the pieces it came in: joined once its end is there (joining and
  // searching the whole of it at every read would copy a large event over and over).
  let parts: string[] = [];
  let last = "";
  while (true) {
    const { done, value } = await reader.read(new Uint8Array(space));
    if (value) {
      space = value.buffer as ArrayBuffer;
      if (value.byteLength === space.byteLength && space.byteLength < 64 * 1024) {
        space = new ArrayBuffer(64 * 1024);
      }
    }
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    if (text === "") continue;
    const ends = text.includes("\n\n") || (last === "\n" && text.startsWith("\n"));
    last = text.at(-1)!;
    if (!ends) {
      parts.push(text);
      continue;
    }
    parts.push(text);
    let buffer = parts.join("");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
      if (data.length > 0) emit(data.join("\n"));
      const version = !headers["mcp-protocol-version"] && /"protocolVersion":"([^"]+)"/.exec(event);
      if (version) headers["mcp-protocol-version"] = version[1];
    }
    parts = buffer === "" ? [] : [buffer];
  }
}

async function send(line: string): Promise<void> {
  const response = await fetch(url, { method: "POST", headers, body: line });
  const session = response.headers.get("mcp-session-id");
  if (session) headers["mcp-session-id"] = session;
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream") && response.body) return await copyEvents(response.body);
  const text = await response.text();
  if (text.trim()) emit(text.trim());
  const version = /"protocolVersion":"([^"]+)"/.exec(text);
  if (version) headers["mcp-protocol-version"] = version[1];
}

let pending = "";
// Read into one buffer (the stream of stdin would give each read a new 64 KiB one).
const input = new Uint8Array(64 * 1024);
const inputDecoder = new TextDecoder();
for (let n = await Deno.stdin.read(input); n !== null; n = await Deno.stdin.read(input)) {
  const text = inputDecoder.decode(input.subarray(0, n), { stream: true });
  pending += text;
  let end: number;
  while ((end = pending.indexOf("\n")) !== -1) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    if (line.trim()) {
      send(line).catch((error) => {
        Deno.stderr.writeSync(encoder.encode(`floor proxy: ${error}\n`));
      });
    }
  }
}
if (headers["mcp-session-id"]) await fetch(url, { method: "DELETE", headers }).then((r) => r.body?.cancel());
