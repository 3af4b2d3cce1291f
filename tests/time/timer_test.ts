import assert from "node:assert/strict";
import { startTimer } from "../../src/time/timer.ts";

/** Resolves after `ms` on the runtime's own timer (the clock under test). */
const after = (ms: number) => new Promise<void>((resolve) => startTimer(ms, resolve));

Deno.test("startTimer: runs the callback once, not before its time", async () => {
  const started = performance.now();
  let runs = 0;
  await new Promise<void>((resolve) =>
    startTimer(30, () => {
      runs++;
      resolve();
    })
  );
  assert.ok(performance.now() - started >= 25, "fired early");
  await after(40);
  assert.equal(runs, 1);
});

Deno.test("startTimer: a cancelled timer never runs, and cancelling twice or after it ran is harmless", async () => {
  let cancelledRan = false;
  const cancelled = startTimer(10, () => (cancelledRan = true));
  cancelled.cancel();
  cancelled.cancel();
  let ran = 0;
  const done = startTimer(0, () => ran++);
  await after(40);
  done.cancel();
  assert.equal(cancelledRan, false);
  assert.equal(ran, 1);
});

Deno.test("startTimer: a negative, fractional or non-finite delay runs on a later turn, never synchronously", async () => {
  const order: string[] = [];
  for (const ms of [-5, 0.4, Number.NaN, Number.POSITIVE_INFINITY]) {
    startTimer(ms, () => order.push(String(ms)));
  }
  order.push("sync");
  await after(30);
  assert.deepEqual(order, ["sync", "-5", "0.4", "NaN", "Infinity"]);
});

/** Runs a script in a fresh process; returns what it printed and how long it lived. */
async function lifetime(code: string): Promise<{ out: string; ms: number }> {
  const started = performance.now();
  const out = await new Deno.Command("deno", {
    args: ["eval", "--quiet", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  return { out: new TextDecoder().decode(out.stdout), ms: performance.now() - started };
}

const TIMER_MODULE = JSON.stringify(new URL("../../src/time/timer.ts", import.meta.url).href);

Deno.test("startTimer: does not load Deno's global timers (the start-up cost it exists to avoid)", async () => {
  // A fresh process that touches only startTimer: the lazily loaded global setTimeout stays unloaded.
  const { out } = await lifetime(`
    const d = Object.getOwnPropertyDescriptor(globalThis, "setTimeout");
    let touched = false;
    Object.defineProperty(globalThis, "setTimeout", { ...d, get() { touched = true; return d.get.call(this); } });
    const { startTimer } = await import(${TIMER_MODULE});
    await new Promise((resolve) => startTimer(5, resolve));
    startTimer(1000, () => {}).cancel();
    Deno.stdout.writeSync(new TextEncoder().encode(touched ? "touched" : "untouched"));
  `);
  assert.equal(out, "untouched");
});

Deno.test("startTimer: a pending timer keeps the process alive until it fires, as setTimeout does", async () => {
  const { out } = await lifetime(
    `const { startTimer } = await import(${TIMER_MODULE}); startTimer(300, () => console.log("fired"));`,
  );
  assert.equal(out, "fired\n");
});

Deno.test("startTimer: a cancelled timer, or one with keepAlive false, lets the process end at once", async () => {
  for (
    const start of [
      "startTimer(20_000, () => console.log('fired')).cancel();",
      "startTimer(20_000, () => console.log('fired'), { keepAlive: false });",
    ]
  ) {
    const { out, ms } = await lifetime(`const { startTimer } = await import(${TIMER_MODULE}); ${start}`);
    assert.equal(out, "", start);
    assert.ok(ms < 10_000, `${start}: the process lived ${Math.round(ms)} ms`);
  }
});

Deno.test("startTimer: keepAlive false still fires while other work keeps the process alive", async () => {
  const { out } = await lifetime(`
    const { startTimer } = await import(${TIMER_MODULE});
    startTimer(100, () => console.log("fired"), { keepAlive: false });
    startTimer(400, () => console.log("done"));`);
  assert.equal(out, "fired\ndone\n");
});
