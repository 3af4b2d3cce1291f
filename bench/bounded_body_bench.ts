/**
 * Benchmarks of reading a short answer of a declared length (a tool call's JSON body from a 2026-07-28
 * server) from a real `fetch`: `readBoundedText`, which reads such a body whole in one operation, against
 * the stream reader that reads it into a buffer of that length (what it did before). Each iteration is a
 * whole `fetch` to a local `Deno.serve`, so the difference is what reading the body costs.
 *
 * @module
 */

import { openByteReader } from "../src/net/byte_reader.ts";
import { readBoundedText } from "../src/net/bounded_body.ts";

const ANSWER = JSON.stringify({
  jsonrpc: "2.0",
  id: 1234,
  result: { content: [{ type: "text", text: "concurrent 1234" }], resultType: "complete" },
});

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  async (req) => {
    await req.arrayBuffer();
    return new Response(ANSWER, { headers: { "content-type": "application/json" } });
  },
);
const url = `http://127.0.0.1:${server.addr.port}/mcp`;
const post = () => fetch(url, { method: "POST", body: "{}" });

async function viaReader(): Promise<string> {
  const res = await post();
  const length = Number(res.headers.get("content-length"));
  const reader = openByteReader(res.body!, length, length);
  const decoder = new TextDecoder();
  let text = "";
  for (let bytes = await reader.read(); bytes !== undefined; bytes = await reader.read()) {
    text += decoder.decode(bytes, { stream: true });
  }
  return text + decoder.decode();
}

Deno.bench(
  "short answer: readBoundedText (whole body in one read)",
  { group: "short", baseline: true },
  async () => {
    if (
      (await readBoundedText(await post(), 1024 * 1024, "the answer")).length !== ANSWER.length
    ) throw new Error();
  },
);

Deno.bench("short answer: stream reader into a buffer of its length", { group: "short" }, async () => {
  if ((await viaReader()).length !== ANSWER.length) throw new Error();
});

globalThis.addEventListener("unload", () => void server.shutdown());
