import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { INITIALIZED_LINE, initializeLine, MAIN, netFor, permissionFlags } from "../_fixtures/bridge_host.ts";
import { serveModern } from "../_fixtures/modern_server.ts";
import { until } from "../_fixtures/waiting.ts";

const TRAP = new URL("../_fixtures/timer_globals_trap.ts", import.meta.url).pathname;

/**
 * Runs the real CLI with the trap preloaded: initialize, initialized, tools/list, then more than one
 * liveness tick of idling. Returns stderr as it was before stdin closed (shutting down may use them).
 */
async function stderrOfStartAndIdle(url: URL): Promise<string> {
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      "--frozen",
      "--preload",
      TRAP,
      ...permissionFlags({ net: [netFor(url)] }),
      MAIN,
      url.href,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  let out = "";
  let err = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const done = Promise.all([pump(child.stdout, (t) => (out += t)), pump(child.stderr, (t) => (err += t))]);
  try {
    const encode = (text: string) => new TextEncoder().encode(text);
    await writer.write(encode(initializeLine(1)));
    await until("the initialize result", () => out.includes('"id":1'), 10_000, () => err);
    await writer.write(encode(INITIALIZED_LINE + '{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n'));
    await until("the tools/list result", () => out.includes('"id":2'), 10_000, () => err);
    assert.match(out, /"tools":\[/);
    // The liveness clock ticks every second: let it tick.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return err;
  } finally {
    await writer.close().catch(() => {});
    await child.status;
    await done;
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
