import assert from "node:assert/strict";
import { parseDuration } from "../../src/cli/duration.ts";

Deno.test("parseDuration() reads plain numbers as seconds", () => {
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("1.5"), 1500);
});

Deno.test("parseDuration() reads every unit", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
});

Deno.test("parseDuration() reads fractions and rounds to whole milliseconds", () => {
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("0.25m"), 15_000);
  assert.equal(parseDuration("1.5ms"), 2);
  assert.equal(parseDuration("0.4ms"), 0);
  assert.equal(parseDuration("0.0015s"), 2);
});

Deno.test("parseDuration() allows whitespace around the number and the unit", () => {
  assert.equal(parseDuration("  30 s  "), 30_000);
  assert.equal(parseDuration("\t5ms\n"), 5);
});

Deno.test("parseDuration() refuses text that is not a non-negative duration, quoting it", () => {
  for (
    const text of [
      "",
      " ",
      "-1",
      "+1",
      "1d",
      "1 sec",
      "s",
      ".5s",
      "5.s",
      "1e3",
      "1,5s",
      "5S",
      "5MS",
      "five",
      "1h30m",
      "Infinity",
    ]
  ) {
    assert.throws(() => parseDuration(text), (error: unknown) => {
      assert.ok(error instanceof RangeError, text);
      assert.equal(
        error.message,
        `Cannot parse duration "${text}": expected seconds or a number with a unit (ms, s, m, h)`,
      );
      return true;
    });
  }
});
