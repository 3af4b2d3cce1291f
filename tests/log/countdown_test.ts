import assert from "node:assert/strict";
import { countdownText, SPINNER_FRAMES, startCountdown } from "../../src/log/countdown.ts";
import { Logger } from "../../src/log/logger.ts";

function terminalLog(level: "info" | "error", terminal: boolean): { log: Logger; out: string[] } {
  const out: string[] = [];
  return { log: new Logger({ level, terminal, sink: { write: (l) => out.push(l) } }), out };
}

Deno.test("countdownText: m:ss left, rounded up, never negative, a frame per tick", () => {
  assert.equal(countdownText("Waiting", 300_000, 0), "⠋ Waiting: 5:00 left");
  assert.equal(countdownText("Waiting", 59_001, 0), "⠋ Waiting: 1:00 left");
  assert.equal(countdownText("Waiting", 1, 0), "⠋ Waiting: 0:01 left");
  assert.equal(countdownText("Waiting", -1000, 0), "⠋ Waiting: 0:00 left");
  const frames = new Set(Array.from({ length: 20 }, (_, i) => countdownText("W", 1000, i).slice(0, 1)));
  assert.deepEqual([...frames].sort(), [...SPINNER_FRAMES].sort());
});

Deno.test("startCountdown on a terminal redraws in place with the time falling, and erases itself", async () => {
  const { log, out } = terminalLog("info", true);
  let now = 0;
  const stop = startCountdown(log, { text: "Waiting", deadline: 3000, now: () => now, intervalMs: 10 });
  now = 1500;
  await new Promise((resolve) => setTimeout(resolve, 35));
  stop();
  assert.equal(out[0], "\r\x1b[2K[mcp-bridge] ⠋ Waiting: 0:03 left");
  assert.ok(out.length >= 3, `redrawn: ${JSON.stringify(out)}`);
  assert.ok(out.at(-2)!.startsWith("\r\x1b[2K[mcp-bridge] "), out.at(-2));
  assert.ok(out.at(-2)!.endsWith(" Waiting: 0:02 left"), out.at(-2));
  assert.equal(out.at(-1), "\r\x1b[2K");
  // Every redraw starts by erasing the line: nothing accumulates, and no line break is written.
  for (const chunk of out) assert.ok(chunk.startsWith("\r\x1b[2K") && !chunk.includes("\n"));
});

Deno.test("startCountdown draws nothing when stderr is not a terminal, or with --silent", () => {
  for (const [level, terminal] of [["info", false], ["error", true]] as const) {
    const { log, out } = terminalLog(level, terminal);
    const stop = startCountdown(log, { text: "Waiting", deadline: 3000 });
    stop();
    assert.deepEqual(out, []);
  }
});

Deno.test("Logger.status: a normal line erases the status first; secrets and escapes are cleaned", () => {
  const { log, out } = terminalLog("info", true);
  log.addSecret("s3cr3t-token");
  log.status("Waiting for s3cr3t-token \x1b]0;pwned\x07");
  log.warn("something");
  log.info("plain");
  assert.deepEqual(out, [
    "\r\x1b[2K[mcp-bridge] Waiting for [redacted] \\x1b]0;pwned\\x07",
    "\r\x1b[2K",
    "[mcp-bridge] warning: something\n",
    "[mcp-bridge] plain\n",
  ]);
});
