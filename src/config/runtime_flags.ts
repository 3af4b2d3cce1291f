/**
 * The Deno flags every printed host entry, the README and the compiled binaries run the bridge with.
 *
 * The V8 flags, in every entry and baked into the binaries.
 * Chosen on measurement (`bench/RESULTS.md`): a bridge is one small process per server, alive for days,
 * so its memory matters more than V8's default trade-off for throughput.
 *
 * - `--max-semi-space-size=2`: a young generation of at most 2 MiB per semi-space (V8's default grows it
 *   to 16 MiB or more under load); the bridge's garbage is short-lived, so small, frequent scavenges
 *   cost little CPU. Not 1 MiB, which earlier versions used: measured 2026-12-05 on the benchmark's
 *   workload, 1 MiB gave the same peak memory for about 20 % more CPU (64 calls in flight: 15 % more per
 *   call; a 1 MiB tool result: 1.5 to 2 times the CPU, as every object of a megabyte then set off the
 *   collector), and 3 MiB or more a higher peak.
 * - `--min-semi-space-size=2`: starts the young generation at that size, so a start pays no scavenge of
 *   what it just loaded (2026-12-05: first answer from a 2026-07-28 server 89.5 → 85.4 ms; same memory).
 * - `--heap-growing-percent=10`: the old generation grows by 10 % before the next full collection,
 *   instead of V8's default factor for a fast-allocating heap (up to 4×).
 * - `--no-concurrent-recompilation`: V8 optimizes hot functions on the main thread, not on helper
 *   threads. The helper threads' compile memory stayed in the allocator's per-thread arenas: measured
 *   2026-12-05 on the benchmark's workload, 14 MiB less peak memory (93 → 80 MiB) for no more CPU (a
 *   bridge spends most of its time waiting, so the main thread has the time).
 * - `--incremental-marking-soft-trigger=20`, `--incremental-marking-hard-trigger=30`: V8 starts marking the
 *   old generation for a full collection once a fifth of the room it left after the last one is used (at once
 *   past 30 %), not when that room, a fixed 8 MB over what was live, is nearly full. Under load the calls in
 *   flight are promoted by the young collections (`bench/gc_trace.ts`). Measured 2026-12-05 with
 *   `deno task bench`: peak memory 69.2-70.6 → 63.4-64.6 MiB (the heap at a full collection 19-22 → 14-15.5
 *   MB, for 3 → 11 full collections in the busiest phase), for about 10 % more CPU over the whole run. An idle
 *   bridge collects nothing.
 *
 * `--unstable-lazy-dynamic-imports`, in every `deno run` and `deno install` of the JSR package (a remote
 * module). Without it, Deno reads every module a program may `import()` before it starts, whether it is
 * used or not: for the bridge, the sign-in code, `jose`, `config`, `doctor`, `--help` and the 2026-07-28
 * transport, about 35 modules and 270 KB, which cost about 6 ms of every start (measured:
 * `bench/RESULTS.md`). With it, each part is read the first time it runs. A part that is not cached yet is
 * then downloaded at its first use rather than at the first start; Deno allows `jsr.io` imports by default,
 * so no permission is added. A local module (a checkout's `src/main.ts`) is run without it: there, a
 * module loaded late needs `--allow-read` for its file, which an entry does not grant. The compiled
 * binaries carry all their modules inside and read none.
 *
 * @module
 */

/** The V8 flags, one per entry. */
export const RECOMMENDED_V8_FLAGS: readonly string[] = Object.freeze([
  "--max-semi-space-size=2",
  "--min-semi-space-size=2",
  "--heap-growing-percent=10",
  "--no-concurrent-recompilation",
  "--incremental-marking-soft-trigger=20",
  "--incremental-marking-hard-trigger=30",
]);

/**
 * The `deno run` / `deno compile` argument that passes {@linkcode RECOMMENDED_V8_FLAGS}.
 *
 * @example Usage
 * ```ts
 * import { v8FlagsArgument } from "./runtime_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   v8FlagsArgument(),
 *   "--v8-flags=--max-semi-space-size=2,--min-semi-space-size=2,--heap-growing-percent=10,--no-concurrent-recompilation,--incremental-marking-soft-trigger=20,--incremental-marking-hard-trigger=30",
 * );
 * ```
 *
 * @returns The argument.
 */
export function v8FlagsArgument(): string {
  return `--v8-flags=${RECOMMENDED_V8_FLAGS.join(",")}`;
}

/** The `deno run` flag that loads a program's dynamic imports when they run, not before it starts. */
export const LAZY_IMPORTS_FLAG = "--unstable-lazy-dynamic-imports";

/**
 * The first Deno minor release sure to know {@linkcode LAZY_IMPORTS_FLAG} (it came in a 2.2 patch release,
 * March 2025): an older Deno refuses an unknown flag and would not start the bridge at all.
 */
export const LAZY_IMPORTS_SINCE: readonly [number, number] = [2, 3];

/**
 * Whether `module` is fetched by Deno (`jsr:`, `https:`, `http:`) rather than read from disk: only then is
 * {@linkcode LAZY_IMPORTS_FLAG} free of a permission (Deno allows imports from `jsr.io` by default).
 *
 * @example Usage
 * ```ts
 * import { isRemoteModule } from "./runtime_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isRemoteModule("jsr:@mcp-bridge/mcp-bridge"), true);
 * assert.equal(isRemoteModule("/home/me/mcp-bridge/src/main.ts"), false);
 * ```
 *
 * @param module What `deno run` runs.
 * @returns Whether it is a remote module.
 */
export function isRemoteModule(module: string): boolean {
  return /^(jsr|https?):/i.test(module);
}

/**
 * The Deno flags of a printed `deno run` or `deno install` of `module`, before its permission flags:
 * quiet, never a prompt, the V8 flags, and {@linkcode LAZY_IMPORTS_FLAG} for a remote module when the Deno
 * that prints them knows it (the one that will run the entry, as a rule).
 *
 * @example Usage
 * ```ts
 * import { denoRunFlags, v8FlagsArgument } from "./runtime_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(denoRunFlags("jsr:@mcp-bridge/mcp-bridge"), [
 *   "--quiet",
 *   "--no-prompt",
 *   "--unstable-lazy-dynamic-imports",
 *   v8FlagsArgument(),
 * ]);
 * assert.deepEqual(denoRunFlags("./src/main.ts"), ["--quiet", "--no-prompt", v8FlagsArgument()]);
 * ```
 *
 * @param module What `deno run` runs.
 * @param denoVersion The Deno version (`Deno.version.deno`).
 * @returns The flags.
 */
export function denoRunFlags(module: string, denoVersion: string = Deno.version.deno): string[] {
  const [major = 0, minor = 0] = denoVersion.split(".").map(Number);
  const knowsLazy = major > LAZY_IMPORTS_SINCE[0] ||
    (major === LAZY_IMPORTS_SINCE[0] && minor >= LAZY_IMPORTS_SINCE[1]);
  return [
    "--quiet",
    "--no-prompt",
    ...(isRemoteModule(module) && knowsLazy ? [LAZY_IMPORTS_FLAG] : []),
    v8FlagsArgument(),
  ];
}
