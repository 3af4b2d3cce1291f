/**
 * The V8 flags every printed host entry, the README and the compiled binaries run the bridge with.
 * Chosen on measurement (`bench/RESULTS.md`): a bridge is one small process per server, alive for days,
 * so its memory matters more than V8's default trade-off for throughput.
 *
 * - `--max-semi-space-size=1`: a 1 MiB young generation (V8 grows it to 8 MiB or more under load);
 *   the bridge's garbage is short-lived, so smaller, more frequent scavenges cost little CPU.
 * - `--heap-growing-percent=10`: the old generation grows by 10 % before the next full collection,
 *   instead of V8's default factor for a fast-allocating heap (up to 4×).
 *
 * @module
 */

/** The V8 flags, one per entry. */
export const RECOMMENDED_V8_FLAGS: readonly string[] = Object.freeze([
  "--max-semi-space-size=1",
  "--heap-growing-percent=10",
]);

/**
 * The `deno run` / `deno compile` argument that passes {@linkcode RECOMMENDED_V8_FLAGS}.
 *
 * @example Usage
 * ```ts
 * import { v8FlagsArgument } from "./runtime_flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(v8FlagsArgument(), "--v8-flags=--max-semi-space-size=1,--heap-growing-percent=10");
 * ```
 *
 * @returns The argument.
 */
export function v8FlagsArgument(): string {
  return `--v8-flags=${RECOMMENDED_V8_FLAGS.join(",")}`;
}
