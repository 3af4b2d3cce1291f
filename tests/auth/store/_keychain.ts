/**
 * The real keychain the `--store keychain` tests use here, if any: the Secret Service on Linux
 * (`secret-tool` against GNOME Keyring in a D-Bus session: `.ci/with_keyring` starts one), the login
 * keychain on macOS (`security`, when `security show-keychain-info` succeeds), the Credential Manager on
 * Windows (`powershell.exe`, when it runs). Elsewhere the tests are skipped with the reason. Nothing here
 * pretends to be a keychain tool.
 *
 * @module
 */

import { keychainToolFor } from "../../../src/auth/store/keychain_tool.ts";
import { runScript } from "./_helpers.ts";

/** The keychain of this machine, as the tests see it. */
export interface KeychainUnderTest {
  /** The tool's program: the `--allow-run` value (`secret-tool`, `security`, `powershell.exe`). */
  program: string;
  /** The tool's label, as `status` shows it ("Secret Service", …). */
  label: string;
  /** Why the tests cannot use it here; `undefined` when they can. */
  missing: string | undefined;
  /** What a child process needs besides the environment hosts pass (the Linux session bus). */
  env: Record<string, string>;
}

/**
 * Whether a program runs and succeeds. The tests may run only `deno` (which holds every permission of
 * its own): a `deno eval` runs the program.
 */
function runs(program: string, args: string[]): boolean {
  const code = `const out = new Deno.Command(${JSON.stringify(program)}, { args: ${
    JSON.stringify(args)
  }, stdin: "null", stdout: "null", stderr: "null" }).outputSync(); Deno.exit(out.code);`;
  try {
    return new Deno.Command("deno", { args: ["eval", code], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

function whyMissing(os: string): string | undefined {
  if (os === "linux") {
    try {
      Deno.statSync("/usr/bin/secret-tool");
    } catch {
      return "secret-tool is not installed (apt-get install libsecret-tools gnome-keyring)";
    }
    if (!Deno.env.get("DBUS_SESSION_BUS_ADDRESS")) {
      return "no D-Bus session with an unlocked keyring (.ci/with_keyring starts one: dbus-run-session + gnome-keyring-daemon --unlock)";
    }
    return undefined;
  }
  if (os === "darwin") {
    return runs("security", ["show-keychain-info"])
      ? undefined
      : "security show-keychain-info failed: no default keychain to use";
  }
  if (os === "windows") {
    return runs("powershell.exe", ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "exit 0"])
      ? undefined
      : "powershell.exe does not run here";
  }
  return `the keychain tests know the keychains of Linux, macOS and Windows (this is ${os})`;
}

/**
 * The keychain of this machine and whether the tests can use it.
 *
 * @returns The tool's program and label, the reason to skip, the environment to pass on.
 */
export function keychainUnderTest(): KeychainUnderTest {
  const tool = keychainToolFor(Deno.build.os);
  const bus = Deno.env.get("DBUS_SESSION_BUS_ADDRESS");
  return {
    program: tool?.program ?? "(none)",
    label: tool?.label ?? "(none)",
    missing: tool ? whyMissing(Deno.build.os) : `mcp-bridge has no keychain tool for ${Deno.build.os}`,
    env: Deno.build.os === "linux" && bus ? { DBUS_SESSION_BUS_ADDRESS: bus } : {},
  };
}

/** What {@linkcode toolRoundTrip} saw. */
export interface RoundTrip {
  /** A small secret, read back. */
  small: string | null;
  /** Whether the large secret read back the same. */
  large: boolean;
  /** Whether `list()` had the large secret under the account. */
  listed: boolean;
  /** Whether another large secret (new parts) replaced it. */
  replaced: boolean;
  /** The small secret again after the large one (its parts replaced). */
  shrunk: string | null;
  /** How many parts of the account were left then (`partsLeft`), or `null` when not counted. */
  partsLeft: number | null;
  /** What `get()` gave after `delete()`. */
  deleted: string | null;
}

/**
 * Stores, reads, lists and deletes a secret through a keychain tool for real, in a `deno run` allowed
 * only that tool, under a fresh test account (deleted at the end).
 *
 * @param dir A scratch directory for the script.
 * @param factory The tool's factory (`windowsCredentialTool`, `macosSecurityTool`).
 * @param moduleFile The module that exports it, under `src/auth/store/`.
 * @param program The tool's program, for `--allow-run`.
 * @param large The large secret (larger than one item holds).
 * @param partsLeft An async expression counting the account's parts in the keychain (`account` is in
 * scope), run once the small secret replaced the two large ones: the parts of both must be gone.
 * @returns What each step saw.
 */
export async function toolRoundTrip(
  dir: string,
  factory: string,
  moduleFile: string,
  program: string,
  large: string,
  partsLeft?: string,
): Promise<RoundTrip> {
  const url = new URL(`../../../src/auth/store/${moduleFile}`, import.meta.url).href;
  const account = `mcp-bridge-test-${crypto.randomUUID().slice(0, 8)}`;
  const source = `
import { ${factory} } from ${JSON.stringify(url)};
const tool = ${factory}();
const account = ${JSON.stringify(account)};
const large = ${JSON.stringify(large)};
const seen = {};
try {
  await tool.set(account, "small", "mcp-bridge test");
  seen.small = (await tool.get(account)) ?? null;
  await tool.set(account, large, "mcp-bridge test");
  seen.large = (await tool.get(account)) === large;
  seen.listed = (await tool.list()).some((item) => item.account === account && item.secret === large);
  await tool.set(account, large + " ", "mcp-bridge test");
  seen.replaced = (await tool.get(account)) === large + " ";
  await tool.set(account, "small", "mcp-bridge test");
  seen.shrunk = (await tool.get(account)) ?? null;
  seen.partsLeft = ${partsLeft ?? "null"};
} finally {
  await tool.delete(account);
}
seen.deleted = (await tool.get(account)) ?? null;
console.log(JSON.stringify(seen));
`;
  const ran = await runScript(dir, source, [`--allow-run=${program}`]);
  if (ran.code !== 0) throw new Error(`The round trip failed (exit ${ran.code}): ${ran.stderr}`);
  return JSON.parse(ran.stdout.trim().split("\n").at(-1)!) as RoundTrip;
}
