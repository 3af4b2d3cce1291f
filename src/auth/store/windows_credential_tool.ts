/**
 * Windows: the Credential Manager (generic credentials of the user, persisted on this machine) through
 * Windows PowerShell, which every Windows has. A fixed script (no secret in it) goes in the arguments as
 * `-EncodedCommand`; it declares a C# P/Invoke of advapi32's `CredReadW`, `CredWriteW`, `CredDeleteW`,
 * `CredEnumerateW` and `CredFree` with `Add-Type`, reads its requests from stdin and prints one line per
 * credential on stdout, every secret and name in base64, so nothing depends on the console's code page.
 *
 * A generic credential holds at most 2560 bytes (`CRED_MAX_CREDENTIAL_BLOB_SIZE`): larger records (tokens,
 * an ID token, a DPoP key) are stored in parts (`_keychain_parts.ts`), as UTF-8 bytes. The targets are
 * `mcp-bridge/<account>` and `mcp-bridge/<account>/<generation>/<i>`. Each call of the tool is one run
 * of PowerShell (about a second: `Add-Type` compiles the C# each time).
 *
 * @module
 */

import { KEYCHAIN_SERVICE, KeychainUnavailableError, runKeychainTool } from "./_keychain_run.ts";
import {
  joinParts,
  layoutSecret,
  manifestOf,
  newGeneration,
  partNames,
  type SecretLayout,
} from "./_keychain_parts.ts";
import type { KeychainItem, KeychainTool } from "./keychain_tool.ts";
import { isStoreKey } from "./names.ts";

/**
 * The program run, and the `--allow-run` value the messages name. Deno 2 resolves both an `--allow-run`
 * name (at start) and the program of a permission query or `Deno.Command` (each time) to a path with
 * the `which` crate, and compares the paths (ASCII case-insensitively on Windows). A name without an
 * extension is looked up with each extension of `PATHEXT`, and one with an extension listed there as it
 * is: so with `PATHEXT` set, `--allow-run=powershell` and `--allow-run=powershell.exe` both resolve to
 * `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe` and either grants this program. Without
 * `PATHEXT` (a host that starts servers with a bare environment) `powershell` resolves to nothing, its
 * flag is dropped with an "Info Failed to resolve" line and the query is never granted, whereas
 * `powershell.exe` is still found on `PATH`: hence the name with `.exe`, here and in the flag.
 */
export const POWERSHELL = "powershell.exe";

/** What it is, for messages and `status`. */
const LABEL = "Windows Credential Manager";
/** How long one run of PowerShell may take (it compiles the C# each time: slow on a cold machine). */
const TOOL_RUN_TIMEOUT_MS = 60_000;
/** `CRED_MAX_CREDENTIAL_BLOB_SIZE`: the most bytes one generic credential holds. */
export const MAX_CREDENTIAL_BLOB_BYTES = 2560;

/**
 * The script PowerShell runs. It holds no secret: requests come on stdin, one per line
 * (`read <target>`, `enum <filter>`, `write <target> <blob, base64> <comment, base64>`,
 * `delete <target>`, `prune <prefix>`), and it prints `c <target, base64> <blob, base64>` for each
 * credential read or enumerated, then `done`; on a failure `error <message, base64>` and exit code 1.
 * `prune` deletes every generic credential whose target starts with the prefix. The C# is C# 5 using
 * mscorlib and System only (what Windows PowerShell 5.1's `Add-Type` compiles and references by default),
 * and `-IgnoreWarnings` keeps a compiler warning from failing `Add-Type` (Windows PowerShell treats
 * warnings as errors otherwise).
 */
export const CREDENTIAL_SCRIPT: string = `$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
Add-Type -IgnoreWarnings -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
public static class McpBridgeCredentials {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  public struct Credential {
    public uint Flags; public uint Type; public IntPtr TargetName; public IntPtr Comment;
    public uint WrittenLow; public uint WrittenHigh; public uint BlobSize; public IntPtr Blob;
    public uint Persist; public uint AttributeCount; public IntPtr Attributes;
    public IntPtr TargetAlias; public IntPtr UserName;
  }
  [DllImport("advapi32.dll", EntryPoint = "CredReadW", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredRead(string target, uint type, uint flags, out IntPtr credential);
  [DllImport("advapi32.dll", EntryPoint = "CredWriteW", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredWrite(ref Credential credential, uint flags);
  [DllImport("advapi32.dll", EntryPoint = "CredDeleteW", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredDelete(string target, uint type, uint flags);
  [DllImport("advapi32.dll", EntryPoint = "CredEnumerateW", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredEnumerate(string filter, uint flags, out uint count, out IntPtr credentials);
  [DllImport("advapi32.dll")]
  static extern void CredFree(IntPtr buffer);
  const uint Generic = 1;
  const uint LocalMachine = 2;
  const int NotFound = 1168;
  static Exception Failed(string call, int code) {
    return new Exception(call + ": " + new Win32Exception(code).Message + " (" + code + ")");
  }
  static string B64(string text) { return Convert.ToBase64String(Encoding.UTF8.GetBytes(text)); }
  static Credential At(IntPtr p) { return (Credential)Marshal.PtrToStructure(p, typeof(Credential)); }
  static string Line(Credential c) {
    byte[] blob = new byte[c.BlobSize];
    if (c.BlobSize > 0) Marshal.Copy(c.Blob, blob, 0, blob.Length);
    return "c " + B64(Marshal.PtrToStringUni(c.TargetName)) + " " + Convert.ToBase64String(blob);
  }
  static List<Credential> Each(IntPtr list, uint count) {
    List<Credential> all = new List<Credential>();
    for (int i = 0; i < count; i++) {
      Credential c = At(Marshal.ReadIntPtr(list, i * IntPtr.Size));
      if (c.Type == Generic) all.Add(c);
    }
    return all;
  }
  public static string Read(string target) {
    IntPtr p;
    if (!CredRead(target, Generic, 0, out p)) {
      int code = Marshal.GetLastWin32Error();
      if (code == NotFound) return null;
      throw Failed("CredRead", code);
    }
    try { return Line(At(p)); } finally { CredFree(p); }
  }
  public static string[] Enumerate(string filter, bool blobs) {
    uint count; IntPtr list;
    if (!CredEnumerate(filter, 0, out count, out list)) {
      int code = Marshal.GetLastWin32Error();
      if (code == NotFound) return new string[0];
      throw Failed("CredEnumerate", code);
    }
    try {
      List<string> lines = new List<string>();
      foreach (Credential c in Each(list, count)) {
        lines.Add(blobs ? Line(c) : Marshal.PtrToStringUni(c.TargetName));
      }
      return lines.ToArray();
    } finally { CredFree(list); }
  }
  public static void Write(string target, byte[] blob, string comment) {
    Credential c = new Credential();
    c.Type = Generic;
    c.Persist = LocalMachine;
    c.BlobSize = (uint)blob.Length;
    c.TargetName = Marshal.StringToCoTaskMemUni(target);
    c.Comment = Marshal.StringToCoTaskMemUni(comment);
    c.UserName = Marshal.StringToCoTaskMemUni("mcp-bridge");
    c.Blob = Marshal.AllocCoTaskMem(Math.Max(blob.Length, 1));
    try {
      Marshal.Copy(blob, 0, c.Blob, blob.Length);
      if (!CredWrite(ref c, 0)) throw Failed("CredWrite", Marshal.GetLastWin32Error());
    } finally {
      Marshal.Copy(new byte[blob.Length], 0, c.Blob, blob.Length);
      Marshal.FreeCoTaskMem(c.Blob);
      Marshal.FreeCoTaskMem(c.TargetName);
      Marshal.FreeCoTaskMem(c.Comment);
      Marshal.FreeCoTaskMem(c.UserName);
    }
  }
  public static void Delete(string target) {
    if (!CredDelete(target, Generic, 0)) {
      int code = Marshal.GetLastWin32Error();
      if (code != NotFound) throw Failed("CredDelete", code);
    }
  }
  public static void Prune(string prefix) {
    foreach (string target in Enumerate(prefix + "*", false)) {
      if (target.StartsWith(prefix, StringComparison.Ordinal)) Delete(target);
    }
  }
}
'@
$out = [Console]::Out
foreach ($line in [Console]::In.ReadToEnd().Split([char]10)) {
  $f = $line.Trim().Split([char]32)
  $op = $f[0]
  if ($op -eq 'read') {
    $c = [McpBridgeCredentials]::Read($f[1])
    if ($c -ne $null) { $out.WriteLine($c) }
  } elseif ($op -eq 'enum') {
    foreach ($c in [McpBridgeCredentials]::Enumerate($f[1], $true)) { $out.WriteLine($c) }
  } elseif ($op -eq 'write') {
    $comment = ''
    if ($f.Length -gt 3) { $comment = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($f[3])) }
    [McpBridgeCredentials]::Write($f[1], [Convert]::FromBase64String($f[2]), $comment)
  } elseif ($op -eq 'delete') {
    [McpBridgeCredentials]::Delete($f[1])
  } elseif ($op -eq 'prune') {
    [McpBridgeCredentials]::Prune($f[1])
  } elseif ($op -ne '') {
    throw ('unknown request ' + $op)
  }
}
$out.WriteLine('done')
$out.Flush()
} catch {
  [Console]::Out.WriteLine('error ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($_.Exception.Message)))
  [Console]::Out.Flush()
  exit 1
}
`;

/**
 * A script as PowerShell's `-EncodedCommand` takes it: base64 of its UTF-16LE text.
 *
 * @example Usage
 * ```ts
 * import { encodeCommand } from "./windows_credential_tool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeCommand("exit 0"), "ZQB4AGkAdAAgADAA");
 * ```
 *
 * @param script The script.
 * @returns The encoded command.
 */
export function encodeCommand(script: string): string {
  const bytes = new Uint8Array(script.length * 2);
  for (let i = 0; i < script.length; i++) {
    const unit = script.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  return bytes.toBase64();
}

/** One request to {@linkcode CREDENTIAL_SCRIPT}. */
export type CredentialRequest =
  | { op: "read"; target: string }
  | { op: "enum"; filter: string }
  | { op: "write"; target: string; blob: Uint8Array; comment: string }
  | { op: "delete"; target: string }
  | { op: "prune"; prefix: string };

/** Targets (and the filter and prefixes) are kept to characters the request lines cannot split on. */
const TARGET = /^[A-Za-z0-9_\/-]+\*?$/;

function target(name: string): string {
  if (!TARGET.test(name) || name.length > 1024) {
    throw new TypeError(`Invalid credential target: ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * The stdin of {@linkcode CREDENTIAL_SCRIPT}: one line per request, blobs in base64.
 *
 * @example Usage
 * ```ts
 * import { credentialRequests } from "./windows_credential_tool.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   credentialRequests([
 *     { op: "write", target: "mcp-bridge/k1", blob: new TextEncoder().encode("{}"), comment: "c" },
 *     { op: "prune", prefix: "mcp-bridge/k1/" },
 *   ]),
 *   "write mcp-bridge/k1 e30= Yw==\nprune mcp-bridge/k1/\n",
 * );
 * assert.throws(() => credentialRequests([{ op: "read", target: "a b" }]), TypeError);
 * ```
 *
 * @param requests The requests, in order.
 * @returns The text.
 * @throws {TypeError} When a target holds a character other than `A-Z a-z 0-9 _ - /` (or a final `*`).
 */
export function credentialRequests(requests: readonly CredentialRequest[]): string {
  return requests.map((r) => {
    switch (r.op) {
      case "read":
        return `read ${target(r.target)}\n`;
      case "enum":
        return `enum ${target(r.filter)}\n`;
      case "write":
        return `write ${target(r.target)} ${r.blob.toBase64()} ${
          new TextEncoder().encode(r.comment).toBase64()
        }\n`;
      case "delete":
        return `delete ${target(r.target)}\n`;
      case "prune":
        return `prune ${target(r.prefix)}\n`;
    }
  }).join("");
}

/** What {@linkcode CREDENTIAL_SCRIPT} printed. */
export interface CredentialOutput {
  /** The credentials read or enumerated: target to blob. */
  credentials: Map<string, Uint8Array>;
  /** Whether it got through every request (`done`). */
  done: boolean;
  /** Its error message, when it failed. */
  error?: string;
}

/**
 * Reads what {@linkcode CREDENTIAL_SCRIPT} printed (lines it does not know are skipped: PowerShell may
 * add its own).
 *
 * @example Usage
 * ```ts
 * import { parseCredentialOutput } from "./windows_credential_tool.ts";
 * import assert from "node:assert/strict";
 *
 * const out = parseCredentialOutput("c bWNwLWJyaWRnZS9rMQ== e30=\r\ndone\r\n");
 * assert.deepEqual([...out.credentials.keys()], ["mcp-bridge/k1"]);
 * assert.equal(new TextDecoder().decode(out.credentials.get("mcp-bridge/k1")), "{}");
 * assert.equal(out.done, true);
 * assert.equal(parseCredentialOutput("error Ym9vbQ==\r\n").error, "boom");
 * ```
 *
 * @param stdout Its standard output.
 * @returns The credentials, whether it finished, its error.
 */
export function parseCredentialOutput(stdout: string): CredentialOutput {
  const out: CredentialOutput = { credentials: new Map(), done: false };
  const decode = (b64: string) => Uint8Array.fromBase64(b64);
  for (const raw of stdout.split("\n")) {
    const line = raw.replace(/^\uFEFF/, "").trim();
    try {
      // An empty blob leaves "c <target> ", its space trimmed.
      const credential = /^c ([A-Za-z0-9+\/=]+)(?: ([A-Za-z0-9+\/=]*))?$/.exec(line);
      if (credential) {
        const name = new TextDecoder("utf-8", { fatal: true }).decode(decode(credential[1]!));
        out.credentials.set(name, decode(credential[2] ?? ""));
        continue;
      }
      const error = /^error ([A-Za-z0-9+\/=]*)$/.exec(line);
      if (error) out.error = new TextDecoder().decode(decode(error[1]!)).trim() || "failed";
      else if (line === "done") out.done = true;
    } catch {
      // Not base64 or not UTF-8: not ours.
    }
  }
  return out;
}

/**
 * The records of a set of credentials: each account's own credential, joined with its parts when it
 * holds a manifest. Accounts whose parts are incomplete are left out (`broken` names them).
 *
 * @example Usage
 * ```ts
 * import { secretsOfCredentials } from "./windows_credential_tool.ts";
 * import assert from "node:assert/strict";
 *
 * const text = (s: string) => new TextEncoder().encode(s);
 * const found = secretsOfCredentials(new Map([
 *   ["mcp-bridge/k1", text("mcp-bridge-parts:1:0a1b2c3d:2:5")],
 *   ["mcp-bridge/k1/0a1b2c3d/0", text("abc")],
 *   ["mcp-bridge/k1/0a1b2c3d/1", text("de")],
 *   ["mcp-bridge/k2", text("{}")],
 *   ["mcp-bridge/k3", text("mcp-bridge-parts:1:0a1b2c3d:2:5")],
 *   ["other/k4", text("x")],
 * ]));
 * assert.deepEqual(found.items, [{ account: "k1", secret: "abcde" }, { account: "k2", secret: "{}" }]);
 * assert.deepEqual(found.broken, ["k3"]);
 * ```
 *
 * @param credentials Target to blob, as read.
 * @returns The accounts with their secrets, and those whose parts are incomplete.
 */
export function secretsOfCredentials(
  credentials: ReadonlyMap<string, Uint8Array>,
): { items: KeychainItem[]; broken: string[] } {
  const prefix = `${KEYCHAIN_SERVICE}/`;
  const items: KeychainItem[] = [];
  const broken: string[] = [];
  for (const [name, head] of credentials) {
    if (!name.startsWith(prefix)) continue;
    const account = name.slice(prefix.length);
    if (account === "" || account.includes("/")) continue;
    const bytes = joined(account, head, credentials);
    if (bytes === undefined) {
      broken.push(account);
      continue;
    }
    const secret = decodeUtf8(bytes);
    if (secret === undefined) broken.push(account);
    else items.push({ account, secret });
  }
  return { items, broken };
}

function joined(
  account: string,
  head: Uint8Array,
  credentials: ReadonlyMap<string, Uint8Array>,
): Uint8Array | undefined {
  const manifest = manifestOf(head);
  if (!manifest) return head;
  return joinParts(
    manifest,
    partNames(account, manifest).map((name) => credentials.get(`${KEYCHAIN_SERVICE}/${name}`)),
  );
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The account's own target; store keys only, so that nothing else reaches a target. */
function head(account: string): string {
  if (!isStoreKey(account)) throw new TypeError(`Invalid keychain account: ${JSON.stringify(account)}`);
  return `${KEYCHAIN_SERVICE}/${account}`;
}

/**
 * The requests that store a secret: the account's credential as it was (read first, so that its old
 * parts can go afterwards), the new parts, then the account's credential, which switches readers over.
 *
 * @example Usage
 * ```ts
 * import { writeRequests } from "./windows_credential_tool.ts";
 * import { layoutSecret } from "./_keychain_parts.ts";
 * import assert from "node:assert/strict";
 *
 * const layout = layoutSecret("k1", new Uint8Array(3000), "0a1b2c3d", { partBytes: 2560 });
 * assert.deepEqual(writeRequests("k1", layout, "l").map((r) => `${r.op} ${"target" in r ? r.target : ""}`), [
 *   "read mcp-bridge/k1",
 *   "write mcp-bridge/k1/0a1b2c3d/0",
 *   "write mcp-bridge/k1/0a1b2c3d/1",
 *   "write mcp-bridge/k1",
 * ]);
 * ```
 *
 * @param account The account (a store key).
 * @param layout The secret, laid out for items of 2560 bytes.
 * @param label The comment of the account's credential.
 * @returns The requests, in order.
 */
export function writeRequests(account: string, layout: SecretLayout, label: string): CredentialRequest[] {
  return [
    { op: "read", target: head(account) },
    ...layout.parts.map((p): CredentialRequest => ({
      op: "write",
      target: `${KEYCHAIN_SERVICE}/${p.name}`,
      blob: p.data,
      comment: `${label} (part)`,
    })),
    { op: "write", target: head(account), blob: layout.head, comment: label },
  ];
}

/**
 * The requests that delete the parts the account's credential named before a write, once the new one is
 * in place: only that generation's, so that the parts of a writer racing this one are never deleted
 * (parts left behind by a crash or a race are deleted at logout).
 *
 * @example Usage
 * ```ts
 * import { staleRequests } from "./windows_credential_tool.ts";
 * import { layoutSecret } from "./_keychain_parts.ts";
 * import assert from "node:assert/strict";
 *
 * const old = new TextEncoder().encode("mcp-bridge-parts:1:ffffffff:2:3000");
 * const now = layoutSecret("k1", new Uint8Array(10), "0a1b2c3d", { partBytes: 2560 });
 * assert.deepEqual(staleRequests("k1", old, now), [
 *   { op: "delete", target: "mcp-bridge/k1/ffffffff/0" },
 *   { op: "delete", target: "mcp-bridge/k1/ffffffff/1" },
 * ]);
 * assert.deepEqual(staleRequests("k1", new TextEncoder().encode("{}"), now), []);
 * assert.deepEqual(staleRequests("k1", undefined, now), []);
 * ```
 *
 * @param account The account.
 * @param before The account's credential before the write (`undefined`: there was none).
 * @param layout What was written.
 * @returns The deletions (none when the old credential named no parts, or the same ones).
 */
export function staleRequests(
  account: string,
  before: Uint8Array | undefined,
  layout: SecretLayout,
): CredentialRequest[] {
  const manifest = before === undefined ? undefined : manifestOf(before);
  if (!manifest) return [];
  const kept = new Set(layout.parts.map((p) => p.name));
  return partNames(account, manifest)
    .filter((name) => !kept.has(name))
    .map((name): CredentialRequest => ({ op: "delete", target: `${KEYCHAIN_SERVICE}/${name}` }));
}

/** Windows: the Credential Manager through PowerShell. */
export function windowsCredentialTool(): KeychainTool {
  const call = async (
    what: string,
    requests: CredentialRequest[],
    maxBytes = 1024 * 1024,
  ): Promise<CredentialOutput> => {
    const ran = await runKeychainTool(
      POWERSHELL,
      ["-NoLogo", "-NoProfile", "-NonInteractive", "-EncodedCommand", encodeCommand(CREDENTIAL_SCRIPT)],
      // Windows PowerShell starts and compiles the C# on each run: seconds on a cold machine.
      { stdin: credentialRequests(requests), timeoutMs: TOOL_RUN_TIMEOUT_MS, maxBytes },
    );
    const out = parseCredentialOutput(ran.stdout);
    if (ran.code !== 0 || !out.done) {
      // PowerShell's own stderr may be CLIXML: the script's error line is the message when there is one.
      const stderr = ran.stderr.split("\n").map((l) => l.trim()).find((l) =>
        l && !l.startsWith("#< CLIXML") && !l.startsWith("<")
      );
      throw new KeychainUnavailableError(
        `Cannot ${what} the ${LABEL}: ${out.error ?? stderr ?? `exit ${ran.code}`}`,
      );
    }
    return out;
  };
  const read = async (account: string) => {
    const out = await call("read from", [
      { op: "read", target: head(account) },
      { op: "enum", filter: `${head(account)}/*` },
    ]);
    return { found: out.credentials.has(head(account)), ...secretsOfCredentials(out.credentials) };
  };
  return {
    label: LABEL,
    program: POWERSHELL,
    async get(account) {
      // A write between the two reads of one run can leave the parts of a generation not yet (or no
      // longer) there: read once more.
      for (let attempt = 0;; attempt++) {
        const got = await read(account);
        if (!got.found) return undefined;
        const item = got.items.find((i) => i.account === account);
        if (item) return item.secret;
        if (attempt === 1) {
          throw new KeychainUnavailableError(
            `Cannot read from the ${LABEL}: the parts of ${account} are incomplete (logout removes them)`,
          );
        }
      }
    },
    async set(account, secret, label) {
      let layout: SecretLayout;
      try {
        layout = layoutSecret(account, new TextEncoder().encode(secret), newGeneration(), {
          partBytes: MAX_CREDENTIAL_BLOB_BYTES,
        });
      } catch (error) {
        throw new KeychainUnavailableError(`Cannot write to the ${LABEL}: ${(error as Error).message}`);
      }
      const out = await call("write to", writeRequests(account, layout, label));
      // The old parts go in a second run, once the new credential is in place (a record that fits in one
      // credential and replaces one that fitted costs one run).
      const stale = staleRequests(account, out.credentials.get(head(account)), layout);
      if (stale.length > 0) await call("write to", stale);
    },
    async delete(account) {
      // The account's own credential first: a reader then finds nothing rather than a broken record.
      await call("delete from", [
        { op: "delete", target: head(account) },
        { op: "prune", prefix: `${head(account)}/` },
      ]);
    },
    async list() {
      // Every record and part, in base64: more than one record's worth of output.
      const out = await call("list", [{ op: "enum", filter: `${KEYCHAIN_SERVICE}/*` }], 16 * 1024 * 1024);
      return secretsOfCredentials(out.credentials).items.filter((i) => isStoreKey(i.account));
    },
  };
}
