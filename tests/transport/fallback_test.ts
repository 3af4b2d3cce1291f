import assert from "node:assert/strict";
import {
  firstTransport,
  shouldFallBack,
  TRANSPORT_MODES,
  type TransportKind,
  type TransportMode,
} from "../../src/transport/fallback.ts";

Deno.test("TRANSPORT_MODES lists the four --transport values", () => {
  assert.deepEqual([...TRANSPORT_MODES], ["http-first", "sse-first", "http-only", "sse-only"]);
});

Deno.test("firstTransport() starts with Streamable HTTP for http-first and http-only", () => {
  assert.equal(firstTransport("http-first"), "streamable-http");
  assert.equal(firstTransport("http-only"), "streamable-http");
});

Deno.test("firstTransport() starts with HTTP+SSE for sse-first and sse-only", () => {
  assert.equal(firstTransport("sse-first"), "http+sse");
  assert.equal(firstTransport("sse-only"), "http+sse");
});

const STATUSES = [400, 401, 403, 404, 405, 500, undefined] as const;
type Status = typeof STATUSES[number];

function expected(mode: TransportMode, status: Status, notAStream: boolean): TransportKind | undefined {
  const legacy = status === 400 || status === 404 || status === 405;
  switch (mode) {
    case "http-only":
    case "sse-only":
      return undefined;
    case "http-first":
      return legacy ? "http+sse" : undefined;
    case "sse-first":
      return legacy || notAStream ? "streamable-http" : undefined;
  }
}

// The decision table written out, so that the rule above is checked against explicit rows too.
const TABLE: [TransportMode, Status, boolean, TransportKind | undefined][] = [
  ["http-first", 400, false, "http+sse"],
  ["http-first", 404, false, "http+sse"],
  ["http-first", 405, false, "http+sse"],
  ["http-first", 401, false, undefined],
  ["http-first", 403, false, undefined],
  ["http-first", 500, false, undefined],
  ["http-first", undefined, false, undefined],
  ["http-first", undefined, true, undefined],
  ["sse-first", 400, false, "streamable-http"],
  ["sse-first", 404, false, "streamable-http"],
  ["sse-first", 405, false, "streamable-http"],
  ["sse-first", 401, false, undefined],
  ["sse-first", 403, false, undefined],
  ["sse-first", 500, false, undefined],
  ["sse-first", undefined, false, undefined],
  ["sse-first", undefined, true, "streamable-http"],
  ["sse-first", 500, true, "streamable-http"],
  ["http-only", 404, false, undefined],
  ["http-only", 405, true, undefined],
  ["sse-only", 404, false, undefined],
  ["sse-only", undefined, true, undefined],
];

for (const [mode, status, notAStream, result] of TABLE) {
  Deno.test(`shouldFallBack() ${mode} status ${status} notAStream ${notAStream} gives ${result}`, () => {
    assert.equal(expected(mode, status, notAStream), result, "the table and the rule agree");
    assert.equal(shouldFallBack(mode, status, notAStream), result);
  });
}

Deno.test("shouldFallBack() follows the decision table for every mode, status and notAStream", () => {
  let rows = 0;
  for (const mode of TRANSPORT_MODES) {
    for (const status of STATUSES) {
      for (const notAStream of [false, true]) {
        assert.equal(
          shouldFallBack(mode, status, notAStream),
          expected(mode, status, notAStream),
          `${mode} ${status} ${notAStream}`,
        );
        rows++;
      }
    }
  }
  assert.equal(rows, 4 * 7 * 2);
});

Deno.test("shouldFallBack() defaults notAStream to false", () => {
  assert.equal(shouldFallBack("sse-first", undefined), undefined);
  assert.equal(shouldFallBack("sse-first", 200), undefined);
});

Deno.test("shouldFallBack() always switches to the other transport than the first", () => {
  for (const mode of ["http-first", "sse-first"] as const) {
    const other = shouldFallBack(mode, 404);
    assert.notEqual(other, undefined);
    assert.notEqual(other, firstTransport(mode));
  }
});
