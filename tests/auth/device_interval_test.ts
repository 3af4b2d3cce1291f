import assert from "node:assert/strict";
import {
  MIN_POLL_INTERVAL_SECONDS,
  nextPollInterval,
  pollIntervalSeconds,
  SLOW_DOWN_SECONDS,
} from "../../src/auth/device_interval.ts";

Deno.test("pollIntervalSeconds: at least 5 s; 5 s when absent or invalid", () => {
  assert.equal(MIN_POLL_INTERVAL_SECONDS, 5);
  const cases: [unknown, number][] = [
    [undefined, 5],
    [null, 5],
    [0, 5],
    [4.9, 5],
    [5, 5],
    [7, 7],
    ["9", 9],
    ["", 5],
    [" ", 5],
    ["soon", 5],
    [-10, 5],
    [Number.NaN, 5],
    [Infinity, 5],
    [true, 5],
  ];
  for (const [input, expected] of cases) assert.equal(pollIntervalSeconds(input), expected, String(input));
});

Deno.test("nextPollInterval: slow_down adds 5 s, anything else keeps it, never below 5 s", () => {
  assert.equal(SLOW_DOWN_SECONDS, 5);
  assert.equal(nextPollInterval(5, "authorization_pending"), 5);
  assert.equal(nextPollInterval(5, undefined), 5);
  assert.equal(nextPollInterval(5, "slow_down"), 10);
  assert.equal(nextPollInterval(10, "slow_down"), 15);
  assert.equal(nextPollInterval(0, "slow_down"), 10);
  assert.equal(nextPollInterval(0, "authorization_pending"), 5);
  assert.equal(nextPollInterval(Number.NaN, undefined), 5);
  // Repeated slow_down keeps growing.
  let interval = 5;
  for (let i = 0; i < 3; i++) interval = nextPollInterval(interval, "slow_down");
  assert.equal(interval, 20);
});
