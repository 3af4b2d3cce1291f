import assert from "node:assert/strict";
import {
  DEFAULT_LIVENESS,
  isClockJump,
  type LivenessSettings,
  type LivenessState,
  probeDue,
} from "../../src/transport/liveness.ts";
import { LivenessMonitor } from "../../src/transport/liveness_monitor.ts";
import { Logger } from "../../src/log/logger.ts";
import { TransportError } from "../../src/transport/transport.ts";
import { until } from "../_fixtures/waiting.ts";

const quiet: LivenessState = {
  silentSince: undefined,
  lastProbeOk: -Infinity,
  lastTraffic: 0,
  probing: false,
};

Deno.test("probeDue(): a ping after probeAfterMs of silence on an answer, counted from the last answered ping", () => {
  const s = DEFAULT_LIVENESS;
  assert.equal(probeDue({ ...quiet, silentSince: 0 }, 4_999, s), undefined);
  assert.equal(probeDue({ ...quiet, silentSince: 0 }, 5_000, s), "silence");
  // A long silent call that the server vouched for is pinged again only after another quiet period.
  assert.equal(probeDue({ ...quiet, silentSince: 0, lastProbeOk: 5_000 }, 9_000, s), undefined);
  assert.equal(probeDue({ ...quiet, silentSince: 0, lastProbeOk: 5_000 }, 10_000, s), "silence");
  assert.equal(
    probeDue({ ...quiet, silentSince: 0, probing: true }, 60_000, s),
    undefined,
    "one ping at a time",
  );
  assert.equal(
    probeDue({ ...quiet, silentSince: 0 }, 60_000, { ...s, probeAfterMs: 0 }),
    undefined,
    "0: off",
  );
  assert.equal(probeDue(quiet, 60_000, s), undefined, "nothing in flight, no keep-alive: no ping");
});

Deno.test("probeDue(): the keep-alive pings after pingIntervalMs without traffic", () => {
  const s: LivenessSettings = { ...DEFAULT_LIVENESS, pingIntervalMs: 30_000 };
  assert.equal(probeDue({ ...quiet, lastTraffic: 0 }, 29_999, s), undefined);
  assert.equal(probeDue({ ...quiet, lastTraffic: 0 }, 30_000, s), "keep-alive");
  assert.equal(probeDue({ ...quiet, lastTraffic: 20_000 }, 30_000, s), undefined, "traffic resets it");
  assert.equal(probeDue({ ...quiet, lastTraffic: 0, lastProbeOk: 10_000 }, 30_000, s), undefined);
});

Deno.test("isClockJump(): a tick clockJumpMs later than due is a suspend; a late timer is not", () => {
  const s = DEFAULT_LIVENESS;
  assert.equal(isClockJump(0, 1_000, s), false);
  assert.equal(isClockJump(0, 5_999, s), false);
  assert.equal(isClockJump(0, 6_000, s), true);
  assert.equal(isClockJump(0, 3_600_000, s), true);
});

function monitorWith(
  probe: (fresh: boolean) => Promise<boolean>,
  clock?: { now: number },
  startsAnswersAtOnce?: () => boolean,
  reach?: () => Promise<boolean | undefined>,
) {
  const suspects: string[] = [];
  const lines: string[] = [];
  const monitor = new LivenessMonitor({
    settings: { ...DEFAULT_LIVENESS, tickMs: 10, probeAfterMs: 50, probeTimeoutMs: 100 },
    host: "example.com",
    probe: (_timeout, fresh) => probe(fresh),
    onSuspect: (why) => suspects.push(why),
    log: new Logger({ level: "debug", sink: { write: (line) => void lines.push(line) } }),
    ...(clock ? { now: () => clock.now } : {}),
    ...(startsAnswersAtOnce ? { startsAnswersAtOnce } : {}),
    ...(reach ? { reach } : {}),
  });
  return { monitor, suspects, lines };
}

Deno.test("LivenessMonitor: no connection can be opened: every answer in flight fails, saying the outcome is unknown", async () => {
  let pings = 0;
  const { monitor, suspects } = monitorWith(
    () => {
      pings++;
      return Promise.resolve(false);
    },
    undefined,
    undefined,
    () => Promise.resolve(false),
  );
  monitor.start();
  try {
    const silent = monitor.watch();
    const other = monitor.watch();
    await until("the stall is found", () => silent.signal.aborted, 2_000);
    assert.equal(pings, 2, "one ping on a new connection, one on a pooled one");
    assert.ok(other.signal.aborted);
    const reason = silent.signal.reason as TransportError;
    assert.ok(reason instanceof TransportError);
    assert.equal(reason.outcomeUnknown, true);
    assert.match(
      reason.message,
      /The connection to example\.com stalled .*no connection to the server could be opened.*may have run/,
    );
    assert.deepEqual(suspects, ["a ping went unanswered"]);
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: the host accepts connections but the ping gets no answer: a busy server, waited for", async () => {
  let checks = 0;
  const { monitor, suspects, lines } = monitorWith(() => Promise.resolve(false), undefined, undefined, () => {
    checks++;
    return Promise.resolve(true);
  });
  monitor.start();
  try {
    const call = monitor.watch();
    await until("two checks", () => checks >= 2, 2_000);
    assert.equal(call.signal.aborted, false, "a blocking tool on a busy server is not failed");
    assert.deepEqual(suspects, []);
    assert.ok(lines.some((line) => line.includes("seems busy; waiting for it")));
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: no answer and no way to tell (a proxy): only reads and resumable answers are redone", async () => {
  const { monitor, suspects } = monitorWith(() => Promise.resolve(false));
  monitor.start();
  try {
    const call = monitor.watch();
    const read = monitor.watch();
    read.resendable = true;
    const stream = monitor.watch();
    stream.resumable = true;
    await until("the read is dropped", () => read.signal.aborted, 2_000);
    assert.ok(stream.signal.aborted);
    assert.equal(call.signal.aborted, false, "a tools/call is never failed on an unanswered ping alone");
    assert.deepEqual(suspects, ["a ping went unanswered"]);
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: an answered ping lets a silent answer wait on; progress keeps it from pinging", async () => {
  let pings = 0;
  const { monitor, suspects } = monitorWith(() => {
    pings++;
    return Promise.resolve(true);
  });
  monitor.start();
  try {
    const silent = monitor.watch();
    await until("two checks", () => pings >= 4, 2_000);
    assert.equal(silent.signal.aborted, false);
    assert.deepEqual(suspects, []);
    silent.done();
    const busy = monitor.watch();
    const before = pings;
    const started = Date.now();
    while (Date.now() - started < 200) {
      busy.progress();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(pings, before, "an answer that keeps sending is never pinged for");
    busy.done();
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: a clock jump renews the connections, restarts resumable answers and pings, even before the next tick", () => {
  const clock = { now: 1_000 };
  let pings = 0;
  const { monitor, suspects, lines } = monitorWith(() => {
    pings++;
    return new Promise<boolean>(() => {});
  }, clock);
  monitor.start();
  try {
    const resumable = monitor.watch();
    resumable.resumable = true;
    const plain = monitor.watch();
    clock.now += 30_000; // the process was stopped for 30 s
    const fresh = monitor.watch(); // the first request after waking finds the jump itself
    assert.equal(suspects.length, 1);
    assert.match(suspects[0]!, /clock jumped 30 s/);
    assert.equal(resumable.signal.aborted, true);
    assert.equal(plain.signal.aborted, false, "an answer that cannot be resumed waits for the ping");
    assert.equal(fresh.signal.aborted, false);
    assert.equal(pings, 2);
    assert.ok(lines.some((line) => line.includes("Checking the connection to example.com")));
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: the server answers on a new connection but not on a pooled one: the answers waiting since before are dead", async () => {
  let release!: (alive: boolean) => void;
  const pooled = new Promise<boolean>((resolve) => (release = resolve));
  const kinds: boolean[] = [];
  const { monitor, suspects } = monitorWith((fresh) => {
    kinds.push(fresh);
    return fresh ? Promise.resolve(true) : pooled;
  });
  monitor.start();
  try {
    const old = monitor.watch();
    await until("the check", () => kinds.length === 2, 2_000);
    assert.deepEqual(kinds.sort(), [false, true]);
    const made = monitor.watch(); // made while the pings are out: it goes on a new connection
    release(false);
    await until("the old answer is dropped", () => old.signal.aborted, 2_000);
    assert.match(
      (old.signal.reason as Error).message,
      /stalled \(nothing arrived for \d+ s, and the server answers a ping on a new connection but not on an open one/,
    );
    assert.equal(made.signal.aborted, false);
    assert.deepEqual(suspects, ["a ping went unanswered"]);
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: a server that starts every answer at once answers the pings, yet an answer has not started: its connection died", async () => {
  let streamsAtOnce = false;
  let pings = 0;
  const { monitor, suspects } = monitorWith(
    () => {
      pings++;
      return Promise.resolve(true);
    },
    undefined,
    () => streamsAtOnce,
  );
  monitor.start();
  try {
    const started = monitor.watch();
    started.progress(); // its headers came: a long call, silent since
    const notStarted = monitor.watch();
    notStarted.resendable = true;
    const call = monitor.watch(); // a tools/call is never failed on this rule
    await until("a check", () => pings >= 2, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(notStarted.signal.aborted, false, "a JSON server starts its answers late: nothing to say");
    streamsAtOnce = true;
    await until("the lost answer is dropped", () => notStarted.signal.aborted, 2_000);
    assert.match(
      (notStarted.signal.reason as Error).message,
      /the server answers a ping at once, but has not even started this answer: its connection died\): the server may have run/,
    );
    assert.equal(started.signal.aborted, false, "a started answer is a long call: it goes on");
    assert.equal(call.signal.aborted, false);
    assert.deepEqual(suspects, ["a ping went unanswered"]);
  } finally {
    monitor.stop();
  }
});

Deno.test("LivenessMonitor: its clock never keeps the process alive (an embedder that never stops it still exits)", async () => {
  const monitor = JSON.stringify(new URL("../../src/transport/liveness_monitor.ts", import.meta.url).href);
  const settings = JSON.stringify(new URL("../../src/transport/liveness.ts", import.meta.url).href);
  const logger = JSON.stringify(new URL("../../src/log/logger.ts", import.meta.url).href);
  const code = `
    const { LivenessMonitor } = await import(${monitor});
    const { DEFAULT_LIVENESS } = await import(${settings});
    const { Logger } = await import(${logger});
    new LivenessMonitor({ settings: DEFAULT_LIVENESS, host: "example.com", probe: () => Promise.resolve(true),
      onSuspect: () => {}, log: new Logger({ level: "error" }) }).start();
    console.log("started");`;
  const started = performance.now();
  const child = new Deno.Command("deno", {
    args: ["eval", "--quiet", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The tick is 1 s and re-armed forever: a held process lives until killed, here after 10 s.
  const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const out = await child.output();
  clearTimeout(kill);
  const ms = performance.now() - started;
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(new TextDecoder().decode(out.stdout), "started\n");
  assert.ok(out.success && ms < 5_000, `the process lived ${Math.round(ms)} ms (killed: ${!out.success})`);
});

Deno.test("LivenessMonitor.watch(parent): the watch's signal ends with the parent, for its reason, until done()", () => {
  const { monitor } = monitorWith(() => Promise.resolve(true));
  const parent = new AbortController();
  const watch = monitor.watch(parent.signal);
  assert.equal(watch.signal.aborted, false);
  const reason = new TransportError("The host cancelled the request");
  parent.abort(reason);
  assert.equal(watch.signal.aborted, true);
  assert.equal(watch.signal.reason, reason);

  // Made after the parent ended: ended at once.
  assert.equal(monitor.watch(parent.signal).signal.reason, reason);

  // Once done, the watch lets go of the parent: a later abort does not reach it.
  const later = new AbortController();
  const finished = monitor.watch(later.signal);
  finished.done();
  later.abort(new TransportError("too late"));
  assert.equal(finished.signal.aborted, false);
});

Deno.test("LivenessMonitor.abortAll(): every watch still open ends with the reason, a finished one does not", () => {
  const { monitor } = monitorWith(() => Promise.resolve(true));
  const host = new AbortController();
  const open = [monitor.watch(host.signal), monitor.watch()];
  const finished = monitor.watch();
  finished.done();
  const reason = new TransportError("The bridge is shutting down");
  monitor.abortAll(reason);
  for (const watch of open) assert.equal(watch.signal.reason, reason);
  assert.equal(finished.signal.aborted, false);
  // Forgotten once ended: a second close finds nothing to end.
  monitor.abortAll(new TransportError("again"));
  assert.equal(open[0]!.signal.reason, reason);
});
