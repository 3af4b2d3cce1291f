/**
 * Runs a program the user named (a credential helper, a workload token command) or a keychain tool,
 * without a shell: the `--allow-run` permission queried first and named when missing, stdout (and, when
 * asked, stderr) read up to a limit, a time limit after which the program is killed (SIGKILL) and no
 * longer waited for, and optionally a text on stdin (secrets go there, never into arguments).
 *
 * @module
 */

/** What the program gave. */
export interface ProgramOutput {
  /** Its exit code. */
  code: number;
  /** Its standard output (at most the limit). */
  stdout: string;
  /** Its standard error, when `stderr` was asked for (at most the limit). */
  stderr: string;
}

/** Options for {@linkcode runProgram}. */
export interface RunProgramOptions {
  /** What named the program, for messages (`--header-command`). */
  flag: string;
  /** Stops it. */
  signal?: AbortSignal;
  /** How long it may take, milliseconds. */
  timeoutMs: number;
  /** The most output read from each stream, bytes (past it the program is stopped). */
  maxBytes: number;
  /** Text written to its stdin (else stdin is closed). */
  stdin?: string;
  /** Read its stderr too (else it is dropped: it may echo secrets). */
  stderr?: boolean;
}

/** How long a killed program is waited for before it is given up on. */
const KILL_WAIT_MS = 2000;

async function readBounded(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; tooMuch: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooMuch = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        tooMuch = true;
        break;
      }
      chunks.push(value);
    }
  } catch {
    // Cancelled (the program was killed): what was read is returned.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { bytes, tooMuch };
}

/**
 * Runs `argv` and returns its exit code and output.
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
 * @param options What named it (for messages), the limits, a signal, stdin.
 * @returns Its exit code and output.
 * @throws {TypeError} When the permission is missing, it cannot start, it takes too long or prints too much.
 */
export async function runProgram(argv: string[], options: RunProgramOptions): Promise<ProgramOutput> {
  const [program, ...args] = argv;
  if (!program) throw new TypeError(`Cannot run the ${options.flag}: it names no program`);
  if (Deno.permissions.querySync({ name: "run", command: program }).state !== "granted") {
    throw new TypeError(`Cannot run the ${options.flag}: run again with --allow-run=${program}`);
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      stdout: "piped",
      stderr: options.stderr ? "piped" : "null",
      stdin: options.stdin === undefined ? "null" : "piped",
    }).spawn();
  } catch (error) {
    throw new TypeError(`Cannot run the ${options.flag} ${program}: ${(error as Error).message}`);
  }
  const readers = [child.stdout.getReader(), ...(options.stderr ? [child.stderr.getReader()] : [])];
  let stopped: "timeout" | "signal" | undefined;
  const kill = (why: "timeout" | "signal") => {
    stopped ??= why;
    try {
      child.kill("SIGKILL");
    } catch { /* gone already */ }
    // A grandchild may hold the pipes open: stop reading them too.
    for (const reader of readers) reader.cancel().catch(() => {});
  };
  const timer = setTimeout(() => kill("timeout"), options.timeoutMs);
  const onAbort = () => kill("signal");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const [out, err] = await Promise.all([
      readBounded(readers[0]!, options.maxBytes),
      readers[1] ? readBounded(readers[1], options.maxBytes) : Promise.resolve(undefined),
    ]);
    if (out.tooMuch || err?.tooMuch) kill("timeout");
    let timeoutId: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<undefined>((resolve) => (timeoutId = setTimeout(() => resolve(undefined), KILL_WAIT_MS))),
    ]);
    clearTimeout(timeoutId);
    if (out.tooMuch || err?.tooMuch) {
      throw new TypeError(`The ${options.flag} printed more than ${options.maxBytes} bytes`);
    }
    if (stopped === "timeout") {
      throw new TypeError(`The ${options.flag} did not finish within ${options.timeoutMs / 1000} s`);
    }
    if (stopped === "signal") throw new TypeError(`The ${options.flag} was stopped`);
    if (status === undefined) throw new TypeError(`The ${options.flag} did not exit`);
    const decoder = new TextDecoder();
    return {
      code: status.code,
      stdout: decoder.decode(out.bytes),
      stderr: err ? decoder.decode(err.bytes) : "",
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
