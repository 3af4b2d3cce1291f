import assert from "node:assert/strict";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { MAX_SCAN_DEPTH, scanResponse } from "../../src/jsonrpc/scan_response.ts";

const encoder = new TextEncoder();
const scanText = (text: string) => scanResponse(encoder.encode(text));

/**
 * What the text path makes of the bytes, when the scan may stand in for it: strict UTF-8 (the text path
 * would replace what is not), no line break (the writer would remove it), a result response.
 */
function textPathId(
  bytes: Uint8Array,
): { id: string | number; method: boolean; resultType: string | undefined } | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (text.includes("\n") || text.includes("\r")) return undefined;
  const envelope = parseMessage(text);
  if (envelope.kind !== "response" || envelope.id === null) return undefined;
  if ("error" in envelope.value || !("result" in envelope.value)) return undefined;
  const result = envelope.value.result as Record<string, unknown> | null;
  // A `resultType` that is not a string: an invalid 2026-07-28 result, which the scan leaves to the text path.
  const oddType = typeof result === "object" && result !== null && !Array.isArray(result) &&
    "resultType" in result && typeof result.resultType !== "string";
  const resultType = !oddType && typeof result === "object" && result !== null && !Array.isArray(result)
    ? result.resultType as string | undefined
    : undefined;
  return { id: envelope.id, method: "method" in envelope.value || oddType, resultType };
}

Deno.test("scanResponse() reads the id of result responses", () => {
  assert.deepEqual(scanText('{"jsonrpc":"2.0","id":7,"result":{}}'), { id: 7 });
  assert.deepEqual(
    scanText('{"result":{"content":[{"type":"text","text":"hi"}]},"jsonrpc":"2.0","id":"a"}'),
    {
      id: "a",
    },
  );
  assert.deepEqual(scanText(' { "id" : -1.5e2 , "jsonrpc" : "2.0" , "result" : null }\t'), { id: -150 });
  assert.deepEqual(scanText('{"jsonrpc":"2.0","id":"\\u00e9\\n","result":[1,true,false,null,"x"]}'), {
    id: "é\n",
  });
  assert.deepEqual(scanText('{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","content":[]}}'), {
    id: 1,
    resultType: "complete",
  });
});

Deno.test("scanResponse() leaves to the text path what is not a plain result response", () => {
  for (
    const text of [
      '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}',
      '{"jsonrpc":"2.0","id":1,"result":{},"error":{}}',
      '{"jsonrpc":"2.0","id":1,"method":"x","result":{}}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{}}',
      '{"jsonrpc":"1.0","id":1,"result":{}}',
      '{"jsonrpc":"2.\\u0030","id":1,"result":{}}',
      '{"id":1,"result":{}}',
      '{"jsonrpc":"2.0","result":{}}',
      '{"jsonrpc":"2.0","id":null,"result":{}}',
      '{"jsonrpc":"2.0","id":true,"result":{}}',
      '{"jsonrpc":"2.0","id":[1],"result":{}}',
      '{"jsonrpc":"2.0","id":1e400,"result":{}}',
      // A repeated or escaped member name: JSON.parse keeps the last one.
      '{"jsonrpc":"2.0","id":1,"id":2,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"i\\u0064":2,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":{"resultType":"a","resultType":"b"}}',
      '{"jsonrpc":"2.0","id":1,"result":{"resultType":7}}',
      // Line breaks: the host reads lines.
      '{"jsonrpc":"2.0","id":1,\n"result":{}}',
      '{"jsonrpc":"2.0","id":1,\r"result":{}}',
      // Not JSON.
      '{"jsonrpc":"2.0","id":1,"result":{}}x',
      '{"jsonrpc":"2.0","id":1,"result":{},}',
      '{"jsonrpc":"2.0","id":01,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":[1,]}',
      '{"jsonrpc":"2.0","id":1,"result":"\\x"}',
      '{"jsonrpc":"2.0","id":1,"result":"\\u12g4"}',
      '{"jsonrpc":"2.0","id":1,"result":"\t"}',
      '{"jsonrpc":"2.0","id":1,"result":tru}',
      '{"jsonrpc":"2.0","id":1,"result":{"a" 1}}',
      '[{"jsonrpc":"2.0","id":1,"result":{}}]',
      "",
      "{",
    ]
  ) {
    assert.equal(scanText(text), undefined, text);
  }
});

Deno.test("scanResponse() refuses bytes that are not UTF-8, and takes those that are", () => {
  const make = (...middle: number[]) =>
    Uint8Array.from([
      ...encoder.encode('{"jsonrpc":"2.0","id":1,"result":"'),
      ...middle,
      ...encoder.encode('"}'),
    ]);
  for (
    const bad of [[0x80], [0xc0, 0x80], [0xc3], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [
      0xf4,
      0x90,
      0x80,
      0x80,
    ], [0xff]]
  ) {
    assert.equal(scanResponse(make(...bad)), undefined, bad.join(","));
  }
  for (const good of ["é", "€", "𝄞", "\u2028"]) {
    assert.deepEqual(scanResponse(make(...encoder.encode(good))), { id: 1 }, good);
  }
});

Deno.test("scanResponse() follows nesting up to its depth limit, without recursion", () => {
  const nested = (depth: number) =>
    `{"jsonrpc":"2.0","id":1,"result":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
  assert.deepEqual(scanText(nested(MAX_SCAN_DEPTH)), { id: 1 });
  assert.equal(scanText(nested(MAX_SCAN_DEPTH + 2)), undefined);
  assert.equal(scanText(`{"jsonrpc":"2.0","id":1,"result":${"[".repeat(100_000)}}`), undefined);
});

/** A small deterministic random source (the test must not depend on luck). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 4 : 7));
  const strings = ["", "a", 'quote"back\\slash', "é€𝄞", "\u0000\u001f", "line\nbreak", "\u2028"];
  switch (pick) {
    case 0:
      return strings[Math.floor(next() * strings.length)];
    case 1:
      return [0, -0, 1.5, -2e-7, 123456789012, 1e21][Math.floor(next() * 6)];
    case 2:
      return [true, false, null][Math.floor(next() * 3)];
    case 3:
      return {};
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      const keys = ["a", "resultType", "content", "id", "é", ""];
      for (let k = Math.floor(next() * 4); k > 0; k--) {
        out[keys[Math.floor(next() * keys.length)]!] = randomValue(next, depth + 1);
      }
      return out;
    }
  }
}

Deno.test("scanResponse() agrees with the text path on 20,000 generated and mutated messages", () => {
  const next = random(11);
  let taken = 0;
  for (let n = 0; n < 20_000; n++) {
    const message: Record<string, unknown> = { jsonrpc: "2.0" };
    const odds: Record<string, number> = { id: 0.9, result: 0.9, error: 0.15, method: 0.15, extra: 0.5 };
    const members = Object.keys(odds).filter((member) => next() < odds[member]!);
    for (const member of members) {
      message[member] = member === "id"
        ? [1, "x", 2.5, null, "é"][Math.floor(next() * 5)]
        : randomValue(next, 0);
    }
    let bytes = encoder.encode(JSON.stringify(message, null, next() < 0.2 ? 1 : undefined));
    if (next() < 0.5) {
      // Mutations: a byte changed, dropped or added, or the end cut off.
      const copy = Array.from(bytes);
      const at = Math.floor(next() * copy.length);
      const byte = [0x22, 0x5c, 0x2c, 0x7d, 0x5d, 0x30, 0x0a, 0x80, 0xc3, 0x20][Math.floor(next() * 10)]!;
      const how = Math.floor(next() * 4);
      if (how === 0) copy[at] = byte;
      else if (how === 1) copy.splice(at, 1);
      else if (how === 2) copy.splice(at, 0, byte);
      else copy.length = at;
      bytes = Uint8Array.from(copy);
    }
    const scanned = scanResponse(bytes);
    const expected = textPathId(bytes);
    if (scanned !== undefined) {
      taken++;
      // Whatever the scan takes, the text path reads the same way.
      assert.ok(expected !== undefined, new TextDecoder().decode(bytes));
      assert.equal(Object.is(scanned.id, expected.id) || scanned.id === expected.id, true);
      assert.equal(scanned.resultType, expected.resultType);
    } else if (expected !== undefined && !expected.method && !bytes.includes(0x5c)) {
      // What the scan leaves is only what it is not sure of: a `method` member that is not a string (the
      // text path reads a response), a `resultType` that is not a string, escaped member names (a mutation may make one: any backslash is let
      // go here), repeated names and `"2.0"` spelled otherwise (none generated).
      assert.fail(`the scan left a plain result response: ${new TextDecoder().decode(bytes)}`);
    }
  }
  assert.ok(taken > 2000, `only ${taken} messages were plain result responses`);
});

Deno.test("scanResponse() checks a long string four bytes at a time as strictly as byte by byte", () => {
  const head = encoder.encode('{"jsonrpc":"2.0","id":1,"result":{"text":"');
  const tail = encoder.encode('"}}');
  // Past the length from which the scan reads whole words.
  const plain = encoder.encode("The quick brown fox jumps over the lazy dog 0123456789. ".repeat(40));
  const odd = [
    [0x22],
    [0x5c],
    [0x5c, 0x22],
    [0x5c, 0x6e],
    [0x5c, 0x75, 0x30, 0x30, 0x65, 0x39],
    [0x00],
    [0x1f],
    [0x0a],
    [0x7f],
    [0x80],
    [0xc3, 0xa9],
    [0xc3],
    [0xff],
    [0xe2, 0x9c, 0x93],
  ];
  let taken = 0;
  for (const inserted of odd) {
    // Every position of the odd bytes in a word, and every alignment of the message in its buffer.
    for (let at = 0; at < 8; at++) {
      for (let offset = 0; offset < 4; offset++) {
        const message = [
          ...head,
          ...plain.subarray(0, 600 + at),
          ...inserted,
          ...plain.subarray(600 + at),
          ...tail,
        ];
        const buffer = new Uint8Array(message.length + offset);
        buffer.set(message, offset);
        const bytes = buffer.subarray(offset);
        const expected = textPathId(bytes);
        const scanned = scanResponse(bytes);
        assert.equal(scanned?.id, expected?.id, `${JSON.stringify(inserted)} at ${at}, offset ${offset}`);
        if (scanned !== undefined) taken++;
      }
    }
  }
  // The escapes, DEL and the well-formed UTF-8 are taken; the rest is not.
  assert.equal(taken, 6 * 8 * 4);
});
