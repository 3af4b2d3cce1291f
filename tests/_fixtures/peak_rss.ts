/**
 * The peak resident memory (`VmHWM`) of a process, read from `/proc` by a measuring subprocess:
 * Deno needs `--allow-all` to read `/proc`, which neither the bridge nor the test runner has. The
 * measuring process is a tool of the test, not code under test.
 *
 * @module
 */

/**
 * Reads a process's peak resident set size, in MiB (Linux only).
 *
 * @param pid The process.
 * @returns MiB, or `undefined` where `/proc` is not available.
 */
export async function peakRssMiB(pid: number): Promise<number | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  const { stdout, success } = await new Deno.Command("deno", {
    args: [
      "eval",
      `const m = /VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/${pid}/status")); console.log(m ? m[1] : "")`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const kb = Number(new TextDecoder().decode(stdout).trim());
  return success && kb > 0 ? kb / 1024 : undefined;
}
