/**
 * Running a keychain tool (`secret-tool`, `security`, `powershell.exe`), shared by the tools of
 * `keychain_tool.ts` and `windows_credential_tool.ts`: the `--allow-run` permission queried first and
 * named when missing, a time limit, an output limit, secrets on stdin only, and one error type for
 * "the keychain cannot be used".
 *
 * @module
 */

import { type ProgramOutput, runProgram } from "../run_program.ts";

/** The service name every mcp-bridge secret is filed under. */
export const KEYCHAIN_SERVICE = "mcp-bridge";

/** The keychain could not be used. */
export class KeychainUnavailableError extends Error {
  /**
   * @param message Why, with the flag to add when a permission is missing.
   * @param options The underlying error.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "KeychainUnavailableError";
  }
}

/** How long one call of a tool may take (a locked keyring may wait for an unlock that never comes). */
const TOOL_TIMEOUT_MS = 15_000;
/** The largest output read from a tool, unless the call asks for more. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Options for {@linkcode runKeychainTool}. */
export interface KeychainRunOptions {
  /** Written to the tool's stdin (the only way a secret reaches it). */
  stdin?: string;
  /** The most output read from each stream (default 1 MiB). */
  maxBytes?: number;
  /** How long the run may take (default 15 s). */
  timeoutMs?: number;
}

/**
 * Runs a keychain tool once, its stderr read too.
 *
 * @param program The program (as named in `--allow-run`).
 * @param args Its arguments: never a secret.
 * @param options Its stdin, the output and time limits.
 * @returns Its exit code and output.
 * @throws {KeychainUnavailableError} When it may not run (naming the flag), is missing, takes too long or
 * prints too much.
 */
export async function runKeychainTool(
  program: string,
  args: string[],
  options: KeychainRunOptions = {},
): Promise<ProgramOutput> {
  try {
    return await runProgram([program, ...args], {
      flag: "keychain tool",
      timeoutMs: options.timeoutMs ?? TOOL_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? MAX_OUTPUT_BYTES,
      stderr: true,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    });
  } catch (error) {
    const message = (error as Error).message;
    const missing = /--allow-run=\S+/.exec(message)?.[0];
    throw new KeychainUnavailableError(
      missing
        ? `Cannot use the keychain: run again with ${missing}`
        : /No such file|not found|os error 2/i.test(message)
        ? `Cannot use the keychain: ${program} is not installed`
        : `Cannot use the keychain: ${message}`,
      { cause: error },
    );
  }
}
