import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { finishRaw, INITIALIZED_LINE, initializeLine, netFor, spawnRaw } from "../_fixtures/bridge_host.ts";
import { serveModern } from "../_fixtures/modern_server.ts";

const TRAP = new URL("../_fixtures/timer_globals_trap.ts", import.meta.url).pathname;

/**
 * Runs the real CLI with the trap preloaded: initialize, initialized, tools/list, then more than one
 * liveness tick of idling. Returns stderr as it was before stdin closed (shutting down may use them).
 */
async function stderrOfStartAndIdle(url: URL): Promise<string> {
  const raw = spawnRaw([url.href], { net: [netFor(url)] }, {}, ["--preload", TRAP]);
  try {
    // The next line that answers `id` (a notification may come first).
    const answer = async (id: number) => {
      for (;;) {
        const message = JSON.parse(await raw.readLine());
        if (message.id === id) return message;
      }
    };
    await raw.write(initializeLine(1));
    assert.ok((await answer(1)).result, raw.stderr());
    await raw.write(INITIALIZED_LINE + '{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    assert.ok(Array.isArray((await answer(2)).result?.tools), raw.stderr());
    // The liveness clock ticks every second: let it tick.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return raw.stderr();
  } finally {
    await finishRaw(raw);
  }
}

Deno.test("start-up: a 2025-era session (probe, initialize, tools/list, idle) never loads Deno's global timers", async () => {
  const server = await serveExample({ port: 0 });
  try {
    const err = await stderrOfStartAndIdle(server.url);
    assert.doesNotMatch(err, /TIMER GLOBAL TOUCHED/, err);
  } finally {
    await server.close();
  }
});

Deno.test("start-up: a 2026-07-28 session never loads Deno's global timers either", async () => {
  const server = await serveModern({ legacy: "reject" });
  try {
    const err = await stderrOfStartAndIdle(server.url);
    assert.doesNotMatch(err, /TIMER GLOBAL TOUCHED/, err);
  } finally {
    await server.close();
  }
});
