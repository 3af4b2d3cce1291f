/**
 * The operating system's keychain, through its own command-line tool: the Secret Service on Linux
 * (`secret-tool`, GNOME Keyring or KWallet) and the login keychain on macOS (`security`). Secrets
 * always go to the tool on stdin, never in its arguments (where other local users could read them).
 * Each call queries `--allow-run=<tool>` first and names the flag when it is missing.
 *
 * @module
 */

import { type ProgramOutput, runProgram } from "../run_program.ts";

/** The service name every mcp-bridge secret is filed under. */
export const KEYCHAIN_SERVICE = "mcp-bridge";

/** One secret of the keychain. */
export interface KeychainItem {
  /** Its account (a store key). */
  account: string;
  /** Its text. */
  secret: string;
}

/** A keychain, by its tool. */
export interface KeychainTool {
  /** What it is, for messages and `status` ("Secret Service", "macOS keychain"). */
  readonly label: string;
  /** The program run (`secret-tool`, `security`). */
  readonly program: string;
  /** The secret of an account, `undefined` when there is none. */
  get(account: string): Promise<string | undefined>;
  /** Stores (or replaces) the secret of an account. */
  set(account: string, secret: string, label: string): Promise<void>;
  /** Deletes an account's secret (no error when absent). */
  delete(account: string): Promise<void>;
  /** Every mcp-bridge secret. */
  list(): Promise<KeychainItem[]>;
}

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

/** What one run of the tool gave. */
type Ran = ProgramOutput;

/** How long one call of the tool may take (a locked keyring may wait for an unlock that never comes). */
const TOOL_TIMEOUT_MS = 15_000;
/** The largest output read from the tool. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** The Secret Service tool reads at most this much of a secret (libsecret's `secret-tool store`). */
export const MAX_SECRET_SERVICE_BYTES = 8191;

async function run(program: string, args: string[], stdin?: string): Promise<Ran> {
  try {
    return await runProgram([program, ...args], {
      flag: "keychain tool",
      timeoutMs: TOOL_TIMEOUT_MS,
      maxBytes: MAX_OUTPUT_BYTES,
      stderr: true,
      ...(stdin !== undefined ? { stdin } : {}),
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

/**
 * The accounts of `secret-tool search --all` output. The tool prints each item's attributes on stderr
 * and its secret on stdout, so only the accounts are taken here, from both; their secrets are then
 * looked up one by one.
 *
 * @example Usage
 * ```ts
 * import { accountsOfSearch } from "./keychain_tool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(accountsOfSearch("attribute.account = k1\nattribute.service = mcp-bridge\nattribute.account = k2\n"), ["k1", "k2"]);
 * ```
 *
 * @param output What the tool printed (stdout and stderr).
 * @returns The accounts, in order, without repeats.
 */
export function accountsOfSearch(output: string): string[] {
  const accounts: string[] = [];
  for (const line of output.split("\n")) {
    const match = /^attribute\.account = (.+)$/.exec(line.trimEnd());
    if (match && !accounts.includes(match[1]!)) accounts.push(match[1]!);
  }
  return accounts;
}

/** Linux: the Secret Service through `secret-tool` (libsecret). */
export function secretServiceTool(): KeychainTool {
  const program = "secret-tool";
  const attributes = (account: string) => ["service", KEYCHAIN_SERVICE, "account", account];
  const failed = (what: string, ran: Ran) =>
    new KeychainUnavailableError(
      `Cannot ${what} the Secret Service: ${ran.stderr.trim().split("\n")[0] || `exit ${ran.code}`}`,
    );
  return {
    label: "Secret Service",
    program,
    async get(account) {
      const ran = await run(program, ["lookup", ...attributes(account)]);
      if (ran.code !== 0) {
        // `lookup` exits 1 with nothing on stderr when there is no such secret.
        if (ran.stderr.trim() === "") return undefined;
        throw failed("read from", ran);
      }
      return ran.stdout;
    },
    async set(account, secret, label) {
      // Past its limit the tool stores the beginning and still succeeds: refused here instead.
      if (new TextEncoder().encode(secret).length > MAX_SECRET_SERVICE_BYTES) {
        throw new KeychainUnavailableError(
          `Cannot write to the Secret Service: the record is larger than ${MAX_SECRET_SERVICE_BYTES} bytes`,
        );
      }
      const ran = await run(program, ["store", `--label=${label}`, ...attributes(account)], secret);
      if (ran.code !== 0 || /too long/i.test(ran.stderr)) throw failed("write to", ran);
    },
    async delete(account) {
      const ran = await run(program, ["clear", ...attributes(account)]);
      if (ran.code !== 0 && ran.stderr.trim() !== "") throw failed("delete from", ran);
    },
    async list() {
      // No --unlock: a locked keyring is an error, not a prompt that nobody answers.
      const ran = await run(program, ["search", "--all", "service", KEYCHAIN_SERVICE]);
      const accounts = accountsOfSearch(`${ran.stdout}\n${ran.stderr}`);
      if (ran.code !== 0 && accounts.length === 0 && ran.stderr.trim() !== "") throw failed("list", ran);
      const items: KeychainItem[] = [];
      for (const account of accounts) {
        const secret = await this.get(account);
        if (secret !== undefined) items.push({ account, secret });
      }
      return items;
    },
  };
}

function hex(text: string): string {
  return [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * macOS: the login keychain through `security`. Commands go on stdin (`security -i`), the secret as hex
 * (`-X`), so that no secret is ever an argument. Not tested here (no macOS in CI): see the README.
 */
export function macosSecurityTool(): KeychainTool {
  const program = "security";
  const failed = (what: string, ran: Ran) =>
    new KeychainUnavailableError(
      `Cannot ${what} the macOS keychain: ${ran.stderr.trim().split("\n")[0] || `exit ${ran.code}`}`,
    );
  return {
    label: "macOS keychain",
    program,
    async get(account) {
      const ran = await run(program, ["find-generic-password", "-s", KEYCHAIN_SERVICE, "-a", account, "-w"]);
      if (ran.code === 44) return undefined; // errSecItemNotFound
      if (ran.code !== 0) throw failed("read from", ran);
      return ran.stdout.replace(/\n$/, "");
    },
    async set(account, secret) {
      const ran = await run(
        program,
        ["-i"],
        // The label is the service name: a server URL could hold characters the command line would split.
        `add-generic-password -U -s ${KEYCHAIN_SERVICE} -a ${account} -l ${KEYCHAIN_SERVICE} -X ${
          hex(secret)
        }\n`,
      );
      if (ran.code !== 0) throw failed("write to", ran);
    },
    async delete(account) {
      const ran = await run(program, ["delete-generic-password", "-s", KEYCHAIN_SERVICE, "-a", account]);
      if (ran.code !== 0 && ran.code !== 44) throw failed("delete from", ran);
    },
    list() {
      // `security` cannot list one service's secrets without a prompt per item: on macOS, `status` shows
      // the file store's records only (README: Credential storage).
      return Promise.resolve([]);
    },
  };
}

/**
 * The keychain of this operating system, if mcp-bridge has a tool for it.
 *
 * @example Usage
 * ```ts
 * import { keychainToolFor } from "./keychain_tool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(keychainToolFor("linux")?.program, "secret-tool");
 * assert.equal(keychainToolFor("windows"), undefined);
 * ```
 *
 * @param os `Deno.build.os`.
 * @returns The tool, or `undefined` (Windows: not yet).
 */
export function keychainToolFor(os: string): KeychainTool | undefined {
  if (os === "linux" || os === "freebsd" || os === "openbsd" || os === "netbsd") return secretServiceTool();
  if (os === "darwin") return macosSecurityTool();
  return undefined;
}
