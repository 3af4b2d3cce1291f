import assert from "node:assert/strict";
import { Logger } from "../../src/log/logger.ts";
import { MAX_WAITING, Outage, type OutageOptions, planWait } from "../../src/transport/_outage.ts";
import { DEFAULT_RECONNECT, NO_RECONNECT } from "../../src/transport/reconnect.ts";
import { TransportError } from "../../src/transport/transport.ts";

const base = {
  since: 0,
  now: 0,
  attempt: 1,
  waiting: 0,
  settings: DEFAULT_RECONNECT,
  maxWaiting: MAX_WAITING,
  random: () => 1,
};

Deno.test("planWait() waits a jittered backoff that grows per attempt, capped at the longest wait", () => {
  assert.deepEqual([1, 2, 3, 4].map((attempt) => planWait({ ...base, attempt })), [
    { wait: 500 },
    { wait: 1000 },
    { wait: 2000 },
    { wait: 4000 },
  ]);
  assert.deepEqual(planWait({ ...base, attempt: 12 }), { wait: 30_000 });
  assert.deepEqual(planWait({ ...base, attempt: 4, random: () => 0.25 }), { wait: 1000 });
  assert.deepEqual(planWait({ ...base, attempt: 4, settings: { ...DEFAULT_RECONNECT, maxDelayMs: 700 } }), {
    wait: 700,
  });
});

Deno.test("planWait() gives up when the wait would end past the longest outage, counted from its start", () => {
  const settings = { ...DEFAULT_RECONNECT, maxDurationMs: 2000 };
  assert.deepEqual(planWait({ ...base, settings, since: 0, now: 1400 }), { wait: 500 });
  assert.deepEqual(planWait({ ...base, settings, since: 0, now: 1600 }), {
    giveUp: "mcp-bridge stopped trying after 2 s (--reconnect-max-duration)",
  });
  // The outage's start, not this request's: a request that came late still ends with the outage.
  assert.deepEqual(planWait({ ...base, settings, since: 200, now: 1600 }), { wait: 500 });
});

Deno.test("planWait() gives up at once when as many requests as allowed already wait", () => {
  assert.deepEqual(planWait({ ...base, waiting: 999 }), { wait: 500 });
  assert.deepEqual(planWait({ ...base, waiting: 1000 }), { giveUp: "1000 requests already wait for it" });
  assert.deepEqual(planWait({ ...base, waiting: 3, maxWaiting: 3 }), {
    giveUp: "3 requests already wait for it",
  });
});

function outage(options: Partial<OutageOptions> = {}) {
  const lines: string[] = [];
  let clock = Date.parse("2026-07-28T10:00:00Z");
  const value = new Outage({
    host: "mcp.example.com",
    settings: { ...DEFAULT_RECONNECT, maxDurationMs: 10_000 },
    log: new Logger({ level: "debug", sink: { write: (line) => lines.push(line) } }),
    now: () => clock,
    random: () => 0,
    ...options,
  });
  return { outage: value, lines, advance: (ms: number) => (clock += ms) };
}

const refused = new TransportError("Cannot reach mcp.example.com: Connection refused", { unreachable: true });

Deno.test("Outage: one warning when the outage starts, one line when the server is back, whatever the requests", async () => {
  const { outage: o, lines, advance } = outage();
  assert.equal(o.reachedOnce, false);
  o.reached();
  assert.equal(o.reachedOnce, true);
  assert.deepEqual(lines, [], "no outage, nothing to say");
  const signal = new AbortController().signal;
  await o.retry("tools/call").wait(refused, signal);
  await o.retry("tools/list").wait(refused, signal);
  assert.equal(lines.filter((l) => /cannot be reached \(/.test(l)).length, 1, lines.join(""));
  assert.match(
    lines.join(""),
    /mcp\.example\.com cannot be reached \(Cannot reach .*\): trying again for up to 10 s/,
  );
  assert.match(lines.join(""), /tools\/list: the server cannot be reached; trying again in 0 ms/);
  advance(4000);
  o.reached();
  o.reached();
  assert.equal(lines.filter((l) => /can be reached again \(after 4 s\)/.test(l)).length, 1, lines.join(""));
});

Deno.test("Outage: when the bounds are spent, one error that says since when, and the next failure starts a new outage", async () => {
  const { outage: o, lines, advance } = outage();
  o.reached();
  const signal = new AbortController().signal;
  const retry = o.retry("tools/call");
  await retry.wait(refused, signal);
  advance(10_000);
  const error = await retry.wait(refused, signal).then(() => undefined, (e) => e);
  assert.ok(error instanceof TransportError);
  assert.equal(
    error.message,
    "The server at mcp.example.com has been unreachable since 2026-07-28T10:00:00.000Z: mcp-bridge stopped " +
      "trying after 10 s (--reconnect-max-duration); last error: Cannot reach mcp.example.com: Connection refused",
  );
  assert.equal(error.cause, refused);
  await o.retry("tools/list").wait(refused, signal);
  assert.equal(lines.filter((l) => /cannot be reached \(/.test(l)).length, 2, "a new outage");
});

Deno.test("Outage: a request's own first failure bounds it too, when it is earlier than the outage's start", async () => {
  const { outage: o, advance } = outage();
  o.reached();
  const signal = new AbortController().signal;
  const early = o.retry("tools/call");
  await early.wait(refused, signal); // starts the outage at t=0
  advance(10_000);
  await assert.rejects(early.wait(refused, signal), /stopped trying after 10 s/); // ends it
  // A new outage starts now; the early request's limit still counts from its first failure.
  await o.retry("tools/list").wait(refused, signal);
  await assert.rejects(early.wait(refused, signal), /since 2026-07-28T10:00:00\.000Z/);
});

Deno.test("Outage: --no-reconnect gives the failure itself to the host, at once", async () => {
  const { outage: o, lines } = outage({ settings: NO_RECONNECT });
  o.reached();
  const error = await o.retry("tools/call").wait(refused, new AbortController().signal).then(
    () => undefined,
    (e) => e,
  );
  assert.equal(error, refused);
  assert.deepEqual(lines, []);
});

Deno.test("Outage: at most maxWaiting requests wait at once; a wait ends early when its signal aborts", async () => {
  const { outage: o } = outage({ random: () => 1, maxWaiting: 1 });
  o.reached();
  const controller = new AbortController();
  const first = o.retry("tools/call").wait(refused, controller.signal);
  assert.equal(o.waiting, 1);
  await assert.rejects(
    o.retry("tools/call").wait(refused, new AbortController().signal),
    /has been unreachable since .*: 1 requests already wait for it/,
  );
  const started = Date.now();
  controller.abort();
  await first;
  assert.ok(Date.now() - started < 200, "the wait ended with its signal");
  assert.equal(o.waiting, 0);
});
