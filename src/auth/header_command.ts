/**
 * The credential helper (`--header-command "cmd arg…"`): a command of the user's (`az account
 * get-access-token …`, `gcloud auth print-access-token`, `op read …`) prints the credential, and mcp-bridge
 * sends it. The command runs without a shell, at the first request, again before the expiry it reported and
 * after a 401; it has {@linkcode HEADER_COMMAND_TIMEOUT_MS} to answer. Its output stays in memory and is
 * registered as a secret at once.
 *
 * What the command may print:
 * - a bare token: `Authorization: Bearer <token>`;
 * - a header line, `Name: value`;
 * - JSON: `{"header": "Name: value", "expires_at": <ISO time or epoch seconds>}` (or `"token"` instead of
 *   `"header"`).
 *
 * @module
 */

import type { AuthHook } from "../transport/transport.ts";
import { runProgram } from "./run_program.ts";

/** How long the command may take. */
export const HEADER_COMMAND_TIMEOUT_MS = 30_000;
/** How long before a reported expiry the command runs again. */
export const REFRESH_MARGIN_MS = 60_000;
/** The most output read from the command, bytes. */
const MAX_OUTPUT_CHARS = 64 * 1024;

/** What the command said. */
export interface HelperCredential {
  /** The header name (`Authorization` for a bare token). */
  name: string;
  /** The header value. */
  value: string;
  /** When it expires (ms since the epoch), if the command said. */
  expiresAt?: number;
}

/**
 * Reads what the command printed.
 *
 * @example Usage
 * ```ts
 * import { parseHelperOutput } from "./header_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseHelperOutput("eyJabc\n"), { name: "Authorization", value: "Bearer eyJabc" });
 * assert.deepEqual(parseHelperOutput("X-Api-Key: k1"), { name: "X-Api-Key", value: "k1" });
 * assert.deepEqual(parseHelperOutput('{"token":"t","expires_at":1700000000}'), {
 *   name: "Authorization",
 *   value: "Bearer t",
 *   expiresAt: 1_700_000_000_000,
 * });
 * ```
 *
 * @param output The command's standard output.
 * @returns The credential.
 * @throws {TypeError} When the output is none of the three forms (the message never quotes it).
 */
export function parseHelperOutput(output: string): HelperCredential {
  const text = output.trim();
  if (text.startsWith("{")) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TypeError("The --header-command printed malformed JSON");
    }
    const credential = typeof json.header === "string"
      ? headerLine(json.header)
      : typeof json.token === "string" && json.token.trim() !== ""
      ? { name: "Authorization", value: `Bearer ${json.token.trim()}` }
      : undefined;
    if (!credential) throw new TypeError('The --header-command printed JSON without "header" or "token"');
    const expires = json.expires_at;
    const at = typeof expires === "number"
      ? expires * 1000
      : typeof expires === "string"
      ? Date.parse(expires)
      : undefined;
    return at !== undefined && Number.isFinite(at) ? { ...credential, expiresAt: at } : credential;
  }
  if (text === "" || text.includes("\n")) {
    throw new TypeError('The --header-command must print one line: a token, or a header line "Name: value"');
  }
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:\s/.test(text)) return headerLine(text);
  if (/\s/.test(text)) {
    throw new TypeError("The --header-command printed a line that is neither a token nor a header");
  }
  return { name: "Authorization", value: `Bearer ${text}` };
}

function headerLine(line: string): HelperCredential {
  const colon = line.indexOf(":");
  const name = line.slice(0, colon).trim();
  const value = line.slice(colon + 1).trim();
  if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || value === "" || /[\r\n]/.test(value)) {
    throw new TypeError('The --header-command printed a header that is not "Name: value"');
  }
  return { name, value };
}

/** Runs the command and returns its standard output (a seam for tests). */
export type RunCommand = (argv: string[], signal: AbortSignal) => Promise<{ code: number; stdout: string }>;

/**
 * Runs a program with `Deno.Command`, after checking `--allow-run` for it.
 *
 * @param argv The program and its arguments.
 * @param signal Stops it.
 * @returns Its exit code and standard output.
 */
export async function runWithDeno(
  argv: string[],
  signal: AbortSignal,
): Promise<{ code: number; stdout: string }> {
  return await runProgram(argv, {
    flag: "--header-command",
    signal,
    timeoutMs: HEADER_COMMAND_TIMEOUT_MS,
    maxBytes: MAX_OUTPUT_CHARS,
  });
}

/**
 * The credentials of a `--header-command`, for the exchange (as its auth hook).
 *
 * @example Usage
 * ```ts
 * import { HeaderCommandHook } from "./header_command.ts";
 * import assert from "node:assert/strict";
 *
 * const hook = new HeaderCommandHook(["helper"], () => {}, () => Promise.resolve({ code: 0, stdout: "t1\n" }));
 * assert.equal(await hook.header(), "Bearer t1");
 * assert.equal(hook.headerName(), "Authorization");
 * ```
 */
export class HeaderCommandHook implements AuthHook {
  #argv: string[];
  #secret: (value: string) => void;
  #run: RunCommand;
  #current: HelperCredential | undefined;
  #running: Promise<HelperCredential> | undefined;
  #stale = false;

  /**
   * @param argv The command.
   * @param secret Registers a secret with the redactor.
   * @param run Runs the command (default: `Deno.Command`).
   */
  constructor(argv: string[], secret: (value: string) => void, run: RunCommand = runWithDeno) {
    this.#argv = argv;
    this.#secret = secret;
    this.#run = run;
  }

  /** The name of the header the command gives (after {@linkcode header}). */
  headerName(): string {
    return this.#current?.name ?? "Authorization";
  }

  /**
   * The header value for the next request: the one in memory, unless it expires within a minute or the
   * server refused it.
   *
   * @returns The value.
   */
  async header(): Promise<string | undefined> {
    const current = this.#current;
    const fresh = current && !this.#stale &&
      (current.expiresAt === undefined || current.expiresAt - REFRESH_MARGIN_MS > Date.now());
    if (fresh) return current.value;
    this.#running ??= this.#fetch().finally(() => (this.#running = undefined));
    return (await this.#running).value;
  }

  /**
   * The server refused the credential: the next request runs the command again (a 403 is kept).
   *
   * @param status 401 or 403.
   * @returns Whether to send the request again.
   */
  challenge(status: number): Promise<boolean> {
    if (status !== 401) return Promise.resolve(false);
    // The exchange bounds the attempts (a command that keeps giving a refused value ends in the refusal).
    this.#stale = true;
    return Promise.resolve(true);
  }

  async #fetch(): Promise<HelperCredential> {
    const signal = AbortSignal.timeout(HEADER_COMMAND_TIMEOUT_MS);
    let result;
    try {
      result = await this.#run(this.#argv, signal);
    } catch (error) {
      if (signal.aborted) {
        throw new TypeError(
          `The --header-command ${this.#argv[0]} did not answer within ${HEADER_COMMAND_TIMEOUT_MS / 1000} s`,
        );
      }
      throw error instanceof TypeError
        ? error
        : new TypeError(`Cannot run the --header-command ${this.#argv[0]}: ${(error as Error).message}`);
    }
    if (result.code !== 0) {
      throw new TypeError(`The --header-command ${this.#argv[0]} failed (exit ${result.code})`);
    }
    const credential = parseHelperOutput(result.stdout);
    this.#secret(credential.value);
    const token = /^Bearer\s+(.+)$/i.exec(credential.value)?.[1];
    if (token) this.#secret(token);
    this.#current = credential;
    this.#stale = false;
    return credential;
  }
}
