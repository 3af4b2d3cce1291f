/**
 * A large answer goes to the host as the bytes it came in only when the text path would have written those
 * very bytes: one JSON-RPC result response to the request, valid JSON and UTF-8 with no line break. Anything
 * else a server sends in a large event (bytes that are not UTF-8, an error, an answer to another id, broken
 * JSON, a second data line) goes through the text path as before, and stdout stays JSON-RPC lines in UTF-8.
 *
 * The attacker is a hand-written server named for it: no real server sends such events.
 */

import assert from "node:assert/strict";
import {
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  netFor,
  spawnRaw,
  stdoutMessages,
} from "../_fixtures/bridge_host.ts";
import { serveLoopback } from "../_fixtures/loopback_server.ts";

const encoder = new TextEncoder();
/** Past the size from which the bridge gathers an event's bytes (64 KiB), in several reads. */
const PAD = "p".repeat(300 * 1024);

/** The SSE body answering a `tools/call` with id `id`: the attack's parts, sent one by one. */
type Attack = (id: string) => Uint8Array[];

const bytesOf = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((part) => typeof part === "string" ? [...encoder.encode(part)] : part));

const ATTACKS: Record<string, Attack> = {
  "bytes that are not UTF-8 in the result": (id) => [
    bytesOf(`event: message\ndata: {"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"`),
    bytesOf(PAD, [0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80], PAD),
    bytesOf('"}]}}\n\n'),
  ],
  "a large error": (id) => [
    bytesOf(`data: {"jsonrpc":"2.0","id":${id},"error":{"code":-32000,"message":"boom","data":"`),
    bytesOf(PAD),
    bytesOf('"}}\n\n'),
  ],
  "a large answer to another id, then the answer": (id) => [
    bytesOf('data: {"jsonrpc":"2.0","id":"someone-else","result":{"pad":"'),
    bytesOf(PAD),
    bytesOf('"}}\n\n'),
    bytesOf(`data: {"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"mine"}]}}\n\n`),
  ],
  "a large answer that is not JSON": (id) => [
    bytesOf(`data: {"jsonrpc":"2.0","id":${id},"result":{"pad":"`),
    bytesOf(PAD),
    bytesOf('"}\n\n'),
  ],
  "a large answer in two data lines": (id) => [
    bytesOf(`data: {"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"`),
    bytesOf(PAD),
    bytesOf('"}]\ndata: }}\n\n'),
  ],
  "a large answer whose data starts with a byte order mark": (id) => [
    bytesOf(
      "data: ",
      [0xef, 0xbb, 0xbf],
      `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"`,
    ),
    bytesOf(PAD),
    bytesOf('"}]}}\n\n'),
  ],
  "a large answer with a duplicated id": (id) => [
    bytesOf(`data: {"jsonrpc":"2.0","id":"decoy","id":${id},"result":{"content":[{"type":"text","text":"`),
    bytesOf(PAD),
    bytesOf('"}]}}\n\n'),
  ],
};

/** The attack server: a 2025-era server whose `tools/call` answers are the attack's parts, 5 ms apart. */
function serveAttack(attack: Attack) {
  return serveLoopback(async (request) => {
    if (request.method !== "POST") return new Response(null, { status: 405 });
    const message = JSON.parse(await request.text());
    if (message.id === undefined) return new Response(null, { status: 202 });
    if (message.method === "initialize") {
      return Response.json({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: "2025-11-25",
          capabilities: { tools: {} },
          serverInfo: { name: "hostile-bytes", version: "0" },
        },
      }, { headers: { "mcp-session-id": "s1" } });
    }
    if (message.method !== "tools/call") {
      return Response.json({ jsonrpc: "2.0", id: message.id, result: {} });
    }
    const parts = attack(JSON.stringify(message.id));
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= parts.length) return controller.close();
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 5));
        controller.enqueue(parts[i++]!);
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
}

/** Runs the bridge against the attack and makes one tool call; returns the answer, all of stdout and stderr. */
async function callUnder(attack: Attack) {
  const server = await serveAttack(attack);
  const raw = spawnRaw([server.url.href, "--protocol", "legacy", "--debug"], { net: [netFor(server.url)] });
  try {
    await raw.write(initializeLine(1));
    assert.ok(JSON.parse(await raw.readLine(20_000)).result);
    await raw.write(INITIALIZED_LINE);
    await raw.write(
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "x" } }) + "\n",
    );
    const answer = JSON.parse(await raw.readLine(20_000));
    // The bridge goes on: a ping after the attack is answered.
    await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }) + "\n");
    assert.equal(JSON.parse(await raw.readLine(20_000)).id, 3);
    return { answer, raw };
  } finally {
    await finishRaw(raw);
    await server.close();
  }
}

Deno.test("control: a plain large result response from the attack server goes to the host as it came", async () => {
  const { answer, raw } = await callUnder((id) => [
    bytesOf(
      `event: message\nid: e1\ndata: {"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"`,
    ),
    bytesOf(PAD, [0xc3, 0xa9]),
    bytesOf('"}]}}\n\n'),
  ]);
  assert.equal(answer.result.content[0].text, `${PAD}é`);
  assert.match(raw.stderr(), /The answer to 2 \(300\.1 KiB\) goes to the host as it came/);
});

Deno.test("attack: large events that are not plain result responses go the text path, as before", async (t) => {
  for (const [name, attack] of Object.entries(ATTACKS)) {
    await t.step(name, async () => {
      const { answer, raw } = await callUnder(attack);
      const stdout = raw.stdout();
      // Every stdout line is one JSON-RPC message, and the bytes never went out as they came.
      const lines = stdoutMessages(stdout);
      assert.deepEqual(lines.map((m) => m.id), [1, 2, 3]);
      assert.doesNotMatch(raw.stderr(), /goes to the host as it came/);
      assert.equal(answer.id, 2);
      switch (name) {
        case "bytes that are not UTF-8 in the result": {
          // As the text path decodes them: each bad sequence replaced by U+FFFD.
          const text = answer.result.content[0].text as string;
          assert.equal(text, `${PAD}\uFFFD(\uFFFD\uFFFD\uFFFD\uFFFD${PAD}`);
          break;
        }
        case "a large error":
          assert.equal(answer.error.code, -32000);
          assert.match(answer.error.message, /boom/);
          break;
        case "a large answer to another id, then the answer":
          assert.deepEqual(answer.result.content, [{ type: "text", text: "mine" }]);
          assert.doesNotMatch(stdout, /someone-else/);
          break;
        case "a large answer in two data lines":
          // The lines joined with a line break, which is JSON whitespace: the text path reads the answer.
          assert.equal(answer.result.content[0].text, PAD);
          break;
        case "a large answer whose data starts with a byte order mark":
        case "a large answer that is not JSON":
          // Not a JSON-RPC message: ignored with a warning, and the host gets one error for its call.
          assert.ok(answer.error, JSON.stringify(answer).slice(0, 200));
          assert.match(raw.stderr(), /not JSON-RPC/);
          break;
        case "a large answer with a duplicated id":
          // JSON.parse keeps the last id: the text path answers the call.
          assert.equal(answer.result.content[0].text, PAD);
          break;
      }
    });
  }
});
