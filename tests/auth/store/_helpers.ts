/**
 * Helpers for the credential store tests: temporary directories under `./.tmp`, a capturing
 * logger, and `deno run` subprocesses with exact permissions.
 *
 * @module
 */

import { withTempDir as withFreshDir } from "../../_fixtures/temp_dir.ts";
import { Logger } from "../../../src/log/logger.ts";

/** The store sources, as file URLs for scripts run in subprocesses. */
export const FILE_STORE_URL: string = new URL("../../../src/auth/store/file_store.ts", import.meta.url).href;
/** The logger module, as a file URL. */
export const LOGGER_URL: string = new URL("../../../src/log/logger.ts", import.meta.url).href;
/** The lock module, as a file URL. */
export const LOCK_URL: string = new URL("../../../src/auth/store/lock.ts", import.meta.url).href;

/** A logger that keeps its lines. */
export function captureLogger(level: "warn" | "debug" = "warn"): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger({ level, sink: { write: (line) => lines.push(line) } }), lines };
}

/** Runs `fn` with a fresh directory under `./.tmp` (prefix `store-`), removed afterwards. */
export function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withFreshDir(fn, "store-");
}

/** Writes a script into `dir` and runs it with `deno run --no-prompt` and the given flags. */
export async function runScript(
  dir: string,
  source: string,
  flags: string[],
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `${dir}/script-${crypto.randomUUID()}.ts`;
  await Deno.writeTextFile(script, source);
  const output = await new Deno.Command("deno", {
    args: ["run", "--quiet", "--no-prompt", ...flags, script, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  await Deno.remove(script);
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** The pid of a process that has exited (and been reaped). */
export async function deadPid(): Promise<number> {
  const child = new Deno.Command("deno", { args: ["eval", "0"], stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}
