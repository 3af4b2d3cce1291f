import assert from "node:assert/strict";
import { atOrAbove, isLogLevel, levelToSet, LOG_LEVELS } from "../../src/era/log_level.ts";

Deno.test("LOG_LEVELS lists the eight RFC 5424 levels from least to most severe", () => {
  assert.deepEqual(LOG_LEVELS, [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
  ]);
});

Deno.test("LOG_LEVELS cannot be changed", () => {
  assert.equal(Object.isFrozen(LOG_LEVELS), true);
  assert.throws(() => (LOG_LEVELS as string[]).push("trace"), TypeError);
  assert.throws(() => {
    (LOG_LEVELS as string[])[0] = "trace";
  }, TypeError);
  assert.equal(LOG_LEVELS.length, 8);
  assert.equal(LOG_LEVELS[0], "debug");
});

Deno.test("isLogLevel() accepts every MCP log level", () => {
  for (const level of LOG_LEVELS) assert.equal(isLogLevel(level), true, level);
});

Deno.test("isLogLevel() refuses values that are not strings", () => {
  for (
    const value of [
      undefined,
      null,
      0,
      1,
      3,
      true,
      false,
      {},
      [],
      ["debug"],
      { level: "debug" },
      new String("debug"),
    ]
  ) {
    assert.equal(isLogLevel(value), false, String(value));
  }
});

Deno.test("isLogLevel() refuses unknown level names", () => {
  for (const value of ["", "warn", "err", "fatal", "trace", "verbose", "crit", "emerg", " debug", "debug "]) {
    assert.equal(isLogLevel(value), false, JSON.stringify(value));
  }
});

Deno.test("isLogLevel() is case-sensitive", () => {
  for (const value of ["Debug", "INFO", "Warning", "ERROR", "Emergency"]) {
    assert.equal(isLogLevel(value), false, value);
  }
});

Deno.test("atOrAbove() passes a message exactly when its level ranks at or above the minimum", () => {
  for (let i = 0; i < LOG_LEVELS.length; i++) {
    for (let j = 0; j < LOG_LEVELS.length; j++) {
      assert.equal(
        atOrAbove(LOG_LEVELS[i], LOG_LEVELS[j]),
        i >= j,
        `${LOG_LEVELS[i]} against minimum ${LOG_LEVELS[j]}`,
      );
    }
  }
});

Deno.test("atOrAbove() handles the ends of the scale", () => {
  assert.equal(atOrAbove("debug", "debug"), true);
  assert.equal(atOrAbove("debug", "info"), false);
  assert.equal(atOrAbove("emergency", "emergency"), true);
  assert.equal(atOrAbove("alert", "emergency"), false);
  assert.equal(atOrAbove("emergency", "debug"), true);
  assert.equal(atOrAbove("warning", "error"), false);
  assert.equal(atOrAbove("error", "warning"), true);
});

Deno.test("atOrAbove() passes messages of unknown levels, whatever the minimum", () => {
  for (const minimum of LOG_LEVELS) {
    for (const level of ["trace", "", "WARNING", "fatal"]) {
      assert.equal(atOrAbove(level, minimum), true, `${level} against ${minimum}`);
    }
  }
});

Deno.test("levelToSet() sets the wanted level when none was set yet", () => {
  for (const level of LOG_LEVELS) assert.equal(levelToSet(level, undefined), level);
});

Deno.test("levelToSet() only ever lowers the level", () => {
  for (let i = 0; i < LOG_LEVELS.length; i++) {
    for (let j = 0; j < LOG_LEVELS.length; j++) {
      assert.equal(
        levelToSet(LOG_LEVELS[i], LOG_LEVELS[j]),
        i < j ? LOG_LEVELS[i] : undefined,
        `wanted ${LOG_LEVELS[i]} with ${LOG_LEVELS[j]} set`,
      );
    }
  }
});

Deno.test("levelToSet() changes nothing when the wanted level is the one set", () => {
  for (const level of LOG_LEVELS) assert.equal(levelToSet(level, level), undefined, level);
});

Deno.test("levelToSet() lowers to debug from any other level and never raises to emergency", () => {
  assert.equal(levelToSet("debug", "emergency"), "debug");
  assert.equal(levelToSet("debug", "info"), "debug");
  assert.equal(levelToSet("emergency", "debug"), undefined);
  assert.equal(levelToSet("error", "info"), undefined);
  assert.equal(levelToSet("notice", "warning"), "notice");
});
