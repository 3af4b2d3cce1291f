import assert from "node:assert/strict";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { Logger } from "../../src/log/logger.ts";
import { ConnectingTransport, type ModernTransport, REMEMBER_GRACE_MS } from "../../src/transport/connect.ts";
import type { EraMemory, ServerEra } from "../../src/transport/era_memory.ts";
import { type RemoteTransport, TransportError } from "../../src/transport/transport.ts";

// The strategy alone, without sockets: the transports are stand-ins that record what reaches them.

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "h", version: "1" } },
});

/** An era memory that records its calls; `remember` settles when `settle` says. */
function recordingMemory(
  recalled: ServerEra | undefined,
  settle: () => Promise<void> = () => Promise.resolve(),
) {
  const calls: string[] = [];
  const memory: EraMemory = {
    recall: () => (calls.push("recall"), Promise.resolve(recalled)),
    remember: (era) => (calls.push(`remember ${era}`), settle()),
  };
  return { memory, calls };
}

/** A 2025-era connection whose first send settles when the test says. */
function legacyTransport(calls: string[], first: Promise<void>): RemoteTransport {
  return {
    kind: "streamable-http",
    send: () => (calls.push("legacy send"), first),
    close: () => Promise.resolve(),
  };
}

function modernProbing(calls: string[], era: "modern" | "legacy"): ModernTransport {
  return {
    kind: "modern",
    probe: () => (calls.push("probe"), Promise.resolve(era)),
    send: () => (calls.push("modern send"), Promise.resolve()),
    close: () => Promise.resolve(),
  };
}

function strategy(memory: EraMemory, calls: string[], first: Promise<void>) {
  return new ConnectingTransport({
    mode: "http-first",
    protocol: "auto",
    eraMemory: memory,
    createModern: () => modernProbing(calls, "legacy"),
    create: () => legacyTransport(calls, first),
    log: new Logger({ level: "silent" }),
  });
}

Deno.test("ConnectingTransport: the probed era is remembered once the first message is answered, not before", async () => {
  const { memory, calls } = recordingMemory(undefined);
  let answer!: () => void;
  const transport = strategy(memory, calls, new Promise((resolve) => (answer = resolve)));
  const sending = transport.send(INITIALIZE, parseMessage(INITIALIZE));
  await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
  for (let i = 0; i < 10 && !calls.includes("legacy send"); i++) await Promise.resolve();
  assert.deepEqual(
    calls,
    ["recall", "probe", "legacy send"],
    "nothing remembered while the answer is awaited",
  );
  answer();
  await sending;
  assert.deepEqual(calls, ["recall", "probe", "legacy send", "remember legacy"]);
  await transport.close();
});

Deno.test("ConnectingTransport: a message sent while the first exchange is in flight waits for it, then goes on the chosen transport", async () => {
  const { memory, calls } = recordingMemory(undefined);
  let answer!: () => void;
  const transport = strategy(memory, calls, new Promise((resolve) => (answer = resolve)));
  const first = transport.send(INITIALIZE, parseMessage(INITIALIZE));
  const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
  const second = transport.send(initialized, parseMessage(initialized));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.deepEqual(calls, ["recall", "probe", "legacy send"], "the second waits for the first answer");
  answer();
  await first;
  await second;
  assert.deepEqual(calls.filter((c) => c === "legacy send").length, 2);
  // Once the first settled, a message goes out at once (no wait on it).
  const third = transport.send(initialized, parseMessage(initialized));
  assert.equal(calls.filter((c) => c === "legacy send").length, 3, "sent in the same turn");
  await third;
  await transport.close();
});

Deno.test("ConnectingTransport: a first exchange that fails remembers nothing", async () => {
  const { memory, calls } = recordingMemory(undefined);
  const transport = strategy(memory, calls, Promise.reject(new TransportError("HTTP 503")));
  await assert.rejects(transport.send(INITIALIZE, parseMessage(INITIALIZE)), /503/);
  assert.ok(!calls.some((c) => c.startsWith("remember")), `${calls}`);
  await transport.close();
});

Deno.test("ConnectingTransport: closing waits for the era being written, at most a moment", async () => {
  // A write that finishes: close waits for it.
  let written = false;
  const quick = recordingMemory(undefined, async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    written = true;
  });
  const a = strategy(quick.memory, quick.calls, Promise.resolve());
  await a.send(INITIALIZE, parseMessage(INITIALIZE));
  await a.close();
  assert.equal(written, true);
  // A write that never finishes: close gives up after the grace.
  const stuck = recordingMemory(undefined, () => new Promise(() => {}));
  const b = strategy(stuck.memory, stuck.calls, Promise.resolve());
  await b.send(INITIALIZE, parseMessage(INITIALIZE));
  const t0 = performance.now();
  await b.close();
  const waited = performance.now() - t0;
  assert.ok(waited >= REMEMBER_GRACE_MS - 50 && waited < REMEMBER_GRACE_MS + 1500, `${waited} ms`);
});

Deno.test("ConnectingTransport: a memory that throws is ignored: the answer stands", async () => {
  const calls: string[] = [];
  const memory: EraMemory = {
    recall: () => Promise.resolve(undefined),
    remember: () => {
      throw new Error("disk on fire");
    },
  };
  const transport = strategy(memory, calls, Promise.resolve());
  await transport.send(INITIALIZE, parseMessage(INITIALIZE));
  await transport.close();
});

Deno.test("ConnectingTransport: a server remembered as a 2025-era one is not probed, and its memory not rewritten", async () => {
  const { memory, calls } = recordingMemory("legacy");
  const transport = strategy(memory, calls, Promise.resolve());
  await transport.send(INITIALIZE, parseMessage(INITIALIZE));
  assert.deepEqual(calls, ["recall", "legacy send"]);
  await transport.close();
});
