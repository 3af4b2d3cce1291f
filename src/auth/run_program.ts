/**
 * Runs a program the user named (a credential helper, a workload token command) without a shell: the
 * `--allow-run` permission queried first and named when missing, no stdin, stderr dropped (it may echo
 * secrets), stdout read up to a limit, and a time limit.
 *
 * @module
 */

/** What the program gave. */
export interface ProgramOutput {
  /** Its exit code. */
  code: number;
  /** Its standard output (at most the limit). */
  stdout: string;
}

/** Options for {@linkcode runProgram}. */
export interface RunProgramOptions {
  /** The flag that named the program, for messages (`--header-command`). */
  flag: string;
  /** Stops it. */
  signal?: AbortSignal;
  /** How long it may take, milliseconds. */
  timeoutMs: number;
  /** The most output read, bytes (the rest is not read, and the program is stopped). */
  maxBytes: number;
}

/**
 * Runs `argv` and returns its exit code and standard output.
 *
 * @example Usage
 * ```ts ignore
 * import { runProgram } from "./run_program.ts";
 * const { code, stdout } = await runProgram(["gcloud", "auth", "print-identity-token"], {
 *   flag: "--workload-token-command",
 *   timeoutMs: 30_000,
 *   maxBytes: 64 * 1024,
 * });
 * ```
 *
 * @param argv The program and its arguments.
 * @param options The flag (for messages), the limits and a signal.
 * @returns Its exit code and standard output.
 * @throws {TypeError} When the permission is missing, it cannot start, it takes too long or prints too much.
 */
export async function runProgram(argv: string[], options: RunProgramOptions): Promise<ProgramOutput> {
  const [program, ...args] = argv;
  if (!program) throw new TypeError(`Cannot run the ${options.flag}: it names no program`);
  if (Deno.permissions.querySync({ name: "run", command: program }).state !== "granted") {
    throw new TypeError(`Cannot run the ${options.flag}: run again with --allow-run=${program}`);
  }
  const late = new AbortController();
  const timer = setTimeout(() => late.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, late.signal]) : late.signal;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, { args, stdout: "piped", stderr: "null", stdin: "null", signal })
      .spawn();
  } catch (error) {
    clearTimeout(timer);
    throw new TypeError(`Cannot run the ${options.flag} ${program}: ${(error as Error).message}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooMuch = false;
  try {
    for await (const chunk of child.stdout) {
      size += chunk.length;
      if (size > options.maxBytes) {
        tooMuch = true;
        break;
      }
      chunks.push(chunk);
    }
  } catch {
    // The signal stopped it: reported below.
  }
  if (tooMuch) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone already */ }
  }
  const status = await child.status;
  clearTimeout(timer);
  if (late.signal.aborted) {
    throw new TypeError(`The ${options.flag} did not finish within ${options.timeoutMs / 1000} s`);
  }
  if (signal.aborted) throw new TypeError(`The ${options.flag} was stopped`);
  if (tooMuch) throw new TypeError(`The ${options.flag} printed more than ${options.maxBytes} bytes`);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { code: status.code, stdout: new TextDecoder().decode(bytes) };
}
