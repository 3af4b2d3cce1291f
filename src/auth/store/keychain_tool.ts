/**
 * The operating system's keychain, through its own command-line tool: the Secret Service on Linux
 * (`secret-tool`, GNOME Keyring or KWallet), the login keychain on macOS (`security`) and the Credential
 * Manager on Windows (`powershell.exe`, in `windows_credential_tool.ts`). Secrets always go to the tool
 * on stdin, never in its arguments (where other local users could read them). Each call queries
 * `--allow-run=<tool>` first and names the flag when it is missing (`_keychain_run.ts`).
 *
 * @module
 */

import type { ProgramOutput } from "../run_program.ts";
import { KEYCHAIN_SERVICE, KeychainUnavailableError, runKeychainTool } from "./_keychain_run.ts";
import {
  joinParts,
  layoutSecret,
  manifestOf,
  newGeneration,
  partNames,
  type SecretLayout,
} from "./_keychain_parts.ts";
import { isStoreKey } from "./names.ts";
import { windowsCredentialTool } from "./windows_credential_tool.ts";

export { KEYCHAIN_SERVICE, KeychainUnavailableError };

/** One secret of the keychain. */
export interface KeychainItem {
  /** Its account (a store key). */
  account: string;
  /** Its text. */
  secret: string;
}

/** A keychain, by its tool. */
export interface KeychainTool {
  /** What it is, for messages and `status` ("Secret Service", "macOS keychain", "Windows Credential Manager"). */
  readonly label: string;
  /** The program run (`secret-tool`, `security`, `powershell.exe`): the `--allow-run` value. */
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

/** What one run of the tool gave. */
type Ran = ProgramOutput;

/** The Secret Service tool reads at most this much of a secret (libsecret's `secret-tool store`). */
export const MAX_SECRET_SERVICE_BYTES = 8191;

function run(program: string, args: string[], stdin?: string): Promise<Ran> {
  return runKeychainTool(program, args, stdin !== undefined ? { stdin } : {});
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

/**
 * `security -i` reads a command line into a 4096-byte buffer (`MAX_LINE_LEN` in security.c): past 4095
 * characters the rest of the line is read as a command of its own, so a longer `add-generic-password`
 * line would store the beginning of the secret and hand the rest to the command parser (and to its error
 * message). Lines are kept well under it.
 */
const SECURITY_MAX_LINE = 4000;
/** The most bytes of a secret one macOS keychain item holds here (its hex fits one command line). */
export const MACOS_PART_BYTES = 1536;
/** An account or a part's name (`<store key>/<generation>/<i>`): nothing `security -i` splits or unquotes. */
const SECURITY_ACCOUNT = /^[A-Za-z0-9_-]{1,128}(\/[0-9a-f]{8}\/[0-9]{1,4})?$/;

/**
 * The `security -i` command line that stores one item: only letters, digits, `_ - /` and the secret as
 * hex (`-X`), so no word can be split, quoted, escaped or added; refused when the line would be longer
 * than `security` reads.
 *
 * @example Usage
 * ```ts
 * import { securityAddLine } from "./keychain_tool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   securityAddLine("3f2a9c", new TextEncoder().encode("{}")),
 *   "add-generic-password -U -s mcp-bridge -a 3f2a9c -l mcp-bridge -X 7b7d\n",
 * );
 * assert.throws(() => securityAddLine("a b", new Uint8Array(1)), TypeError);
 * assert.throws(() => securityAddLine("3f2a9c", new Uint8Array(4000)), RangeError);
 * ```
 *
 * @param account The account (a store key, or a part's name).
 * @param data The bytes to store.
 * @returns The line, with its newline.
 * @throws {TypeError} When the account holds another character.
 * @throws {RangeError} When the line would be too long.
 */
export function securityAddLine(account: string, data: Uint8Array): string {
  if (!SECURITY_ACCOUNT.test(account)) {
    throw new TypeError(`Invalid keychain account: ${JSON.stringify(account)}`);
  }
  // An empty -X would take no value: without it the item is stored empty.
  const secret = data.length > 0 ? ` -X ${data.toHex()}` : "";
  const line =
    `add-generic-password -U -s ${KEYCHAIN_SERVICE} -a ${account} -l ${KEYCHAIN_SERVICE}${secret}\n`;
  if (line.length > SECURITY_MAX_LINE) {
    throw new RangeError(`a keychain item of ${data.length} bytes is longer than security -i reads`);
  }
  return line;
}

/**
 * The mcp-bridge accounts of `security dump-keychain` output (without `-d`: attributes only, no secret,
 * no prompt). Each item starts with a `keychain: "<path>"` line, then `class: "genp"` for a generic
 * password, and its attributes one per line, `    "svce"<blob>="mcp-bridge"` and `    "acct"<blob>="<key>"`
 * among them (a value with a byte outside printable ASCII is printed as hex, `=0x…`, and is no store key).
 * Only generic passwords of the service `mcp-bridge` whose account is a store key are taken: the parts
 * of large secrets (`<key>/<generation>/<i>`) are not.
 *
 * @example Usage
 * ```ts
 * import { accountsOfDump } from "./keychain_tool.ts";
 * import assert from "node:assert/strict";
 *
 * const item = (cls: string, service: string, account: string) =>
 *   `keychain: "/Users/me/Library/Keychains/login.keychain-db"\nversion: 512\nclass: "${cls}"\nattributes:\n` +
 *   `    "acct"<blob>="${account}"\n    "svce"<blob>="${service}"\n`;
 * const dump = item("genp", "mcp-bridge", "k1") + item("genp", "other", "k2") + item("inet", "mcp-bridge", "k3") +
 *   item("genp", "mcp-bridge", "k1/0a1b2c3d/0");
 * assert.deepEqual(accountsOfDump(dump), ["k1"]);
 * ```
 *
 * @param output What `security dump-keychain` printed.
 * @returns The accounts, in order, without repeats.
 */
export function accountsOfDump(output: string): string[] {
  return serviceAccountsOfDump(output).filter(isStoreKey);
}

/**
 * The parts of an account's records in `security dump-keychain` output, of every generation: those a
 * crash or a race left behind too, which no manifest names any more.
 *
 * @example Usage
 * ```ts
 * import { partAccountsOfDump } from "./keychain_tool.ts";
 * import assert from "node:assert/strict";
 *
 * const item = (account: string) =>
 *   `keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>="${account}"\n    "svce"<blob>="mcp-bridge"\n`;
 * const dump = item("k1") + item("k1/0a1b2c3d/0") + item("k1/99999999/3") + item("k10/0a1b2c3d/0");
 * assert.deepEqual(partAccountsOfDump(dump, "k1"), ["k1/0a1b2c3d/0", "k1/99999999/3"]);
 * ```
 *
 * @param output What `security dump-keychain` printed.
 * @param account The store key.
 * @returns The part accounts, in order.
 */
export function partAccountsOfDump(output: string, account: string): string[] {
  return serviceAccountsOfDump(output).filter((name) =>
    /^[0-9a-f]{8}\/\d+$/.test(name.slice(account.length + 1)) &&
    name.startsWith(`${account}/`)
  );
}

/** Every account of mcp-bridge's generic passwords in `security dump-keychain` output, once each. */
function serviceAccountsOfDump(output: string): string[] {
  const accounts: string[] = [];
  let item: { cls?: string; service?: string; account?: string } = {};
  const done = () => {
    const { cls, service, account } = item;
    if (cls === "genp" && service === KEYCHAIN_SERVICE && account !== undefined) {
      if (!accounts.includes(account)) accounts.push(account);
    }
  };
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("keychain: ")) {
      done();
      item = {};
      continue;
    }
    const cls = /^class: "(.*)"$/.exec(line);
    if (cls) {
      item.cls = cls[1]!;
      continue;
    }
    const attribute = /^\s+"(acct|svce)"<blob>="(.*)"$/.exec(line);
    if (attribute?.[1] === "acct") item.account = attribute[2]!;
    else if (attribute?.[1] === "svce") item.service = attribute[2]!;
  }
  done();
  return accounts;
}

/** The largest `security dump-keychain` output read (attributes of every item of the search list). */
const MAX_DUMP_BYTES = 16 * 1024 * 1024;

/**
 * macOS: the login keychain through `security`. Writes go on stdin (`security -i`), the secret as hex
 * (`-X`), so that no secret is ever an argument; a secret larger than one command line holds is stored in
 * parts (`_keychain_parts.ts`). `find-generic-password -w` prints a secret with any byte outside
 * printable ASCII as hex, which cannot be told from a secret of hex digits: such secrets are refused
 * (records are ASCII: `keychain_store.ts` escapes the rest).
 */
export function macosSecurityTool(): KeychainTool {
  const program = "security";
  const label = "macOS keychain";
  const failed = (what: string, ran: Ran) =>
    new KeychainUnavailableError(
      `Cannot ${what} the ${label}: ${ran.stderr.trim().split("\n")[0] || `exit ${ran.code}`}`,
    );
  const checked = (account: string) => {
    if (!isStoreKey(account)) throw new TypeError(`Invalid keychain account: ${JSON.stringify(account)}`);
    return account;
  };
  const find = async (account: string): Promise<string | undefined> => {
    const ran = await run(program, ["find-generic-password", "-s", KEYCHAIN_SERVICE, "-a", account, "-w"]);
    if (ran.code === 44) return undefined; // errSecItemNotFound
    if (ran.code !== 0) throw failed("read from", ran);
    return ran.stdout.replace(/\n$/, "");
  };
  const add = async (account: string, data: Uint8Array) => {
    const ran = await run(program, ["-i"], securityAddLine(account, data));
    // `security -i` exits with the last command's status, cut to 8 bits (an OSStatus can end in 0x00),
    // and reports a failed command on stderr as "<command>: returned <status>".
    if (ran.code !== 0 || /: returned -?\d+/.test(ran.stderr)) throw failed("write to", ran);
  };
  const remove = async (account: string) => {
    const ran = await run(program, ["delete-generic-password", "-s", KEYCHAIN_SERVICE, "-a", account]);
    if (ran.code !== 0 && ran.code !== 44) throw failed("delete from", ran);
  };
  const manifestIn = (head: string | undefined) =>
    head === undefined ? undefined : manifestOf(new TextEncoder().encode(head));
  return {
    label,
    program,
    async get(account) {
      checked(account);
      // A write between reading the manifest and its parts: read once more.
      for (let attempt = 0;; attempt++) {
        const head = await find(account);
        const manifest = manifestIn(head);
        if (!manifest) return head;
        const parts: (Uint8Array | undefined)[] = [];
        for (const name of partNames(account, manifest)) {
          const part = await find(name);
          parts.push(part === undefined ? undefined : new TextEncoder().encode(part));
        }
        const joined = joinParts(manifest, parts);
        if (joined) return new TextDecoder().decode(joined);
        if (attempt === 1) {
          throw new KeychainUnavailableError(
            `Cannot read from the ${label}: the parts of ${account} are incomplete (logout removes them)`,
          );
        }
      }
    },
    async set(account, secret) {
      checked(account);
      let layout: SecretLayout;
      try {
        if (!/^[\x20-\x7e]*$/.test(secret)) {
          throw new TypeError("the record holds characters other than printable ASCII");
        }
        layout = layoutSecret(account, new TextEncoder().encode(secret), newGeneration(), {
          partBytes: MACOS_PART_BYTES,
        });
      } catch (error) {
        throw new KeychainUnavailableError(`Cannot write to the ${label}: ${(error as Error).message}`);
      }
      const before = manifestIn(await find(account));
      // The new parts, then the manifest (readers switch over), then the old generation's parts.
      for (const part of layout.parts) await add(part.name, part.data);
      await add(account, layout.head);
      if (before) {
        const kept = new Set(layout.parts.map((p) => p.name));
        for (const name of partNames(account, before)) if (!kept.has(name)) await remove(name);
      }
    },
    async delete(account) {
      checked(account);
      const manifest = manifestIn(await find(account));
      // The account's own item first: a reader then finds nothing rather than a broken record.
      await remove(account);
      if (manifest) { for (const name of partNames(account, manifest)) await remove(name); }
      // Parts no manifest names any more (a crash or a race left them): whatever the keychain lists.
      const ran = await runKeychainTool(program, ["dump-keychain"], { maxBytes: MAX_DUMP_BYTES });
      if (ran.code === 0) { for (const name of partAccountsOfDump(ran.stdout, account)) await remove(name); }
    },
    async list() {
      const ran = await runKeychainTool(program, ["dump-keychain"], { maxBytes: MAX_DUMP_BYTES });
      const accounts = accountsOfDump(ran.stdout);
      if (ran.code !== 0 && accounts.length === 0) throw failed("list", ran);
      const items: KeychainItem[] = [];
      for (const account of accounts) {
        const secret = await this.get(account);
        if (secret !== undefined) items.push({ account, secret });
      }
      return items;
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
 * assert.equal(keychainToolFor("darwin")?.program, "security");
 * assert.equal(keychainToolFor("windows")?.program, "powershell.exe");
 * assert.equal(keychainToolFor("android"), undefined);
 * ```
 *
 * @param os `Deno.build.os`.
 * @returns The tool, or `undefined`.
 */
export function keychainToolFor(os: string): KeychainTool | undefined {
  if (os === "linux" || os === "freebsd" || os === "openbsd" || os === "netbsd") return secretServiceTool();
  if (os === "darwin") return macosSecurityTool();
  if (os === "windows") return windowsCredentialTool();
  return undefined;
}
