/**
 * The real keychain the `--store keychain` tests use here, if any: the Secret Service on Linux
 * (`secret-tool` against GNOME Keyring in a D-Bus session: `.ci/with_keyring` starts one), the login
 * keychain on macOS (`security`) and the Credential Manager on Windows (`powershell.exe`), each when a
 * real probe (write, read back and delete a secret in parts) succeeds. Elsewhere the tests are skipped with
 * the reason. Nothing here pretends to be a keychain tool.
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
  if (os === "darwin" || os === "windows") {
    // A real write, read and delete of a secret large enough to go in parts: a keychain that exists but
    // cannot store (a locked login keychain, a Windows session without a credential store) is a reason
    // to skip, not a failure. The probe ends itself after 90 s; each tool run has its own limit too.
    const factory = os === "darwin" ? "macosSecurityTool" : "windowsCredentialTool";
    const module = new URL(
      os === "darwin"
        ? "../../../src/auth/store/keychain_tool.ts"
        : "../../../src/auth/store/windows_credential_tool.ts",
      import.meta.url,
    ).href;
    const probe =
      `setTimeout(() => { console.error("the probe took more than 90 s"); Deno.exit(3); }, 90_000);
import { ${factory} } from ${JSON.stringify(module)};
const tool = ${factory}();
const account = "mcp-bridge-probe-" + crypto.randomUUID().slice(0, 8);
const secret = "x".repeat(3000);
try {
  await tool.set(account, secret, "mcp-bridge test probe");
  if ((await tool.get(account)) !== secret) throw new Error("the secret read back differs");
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  Deno.exit(1);
} finally {
  await tool.delete(account).catch(() => {});
}
Deno.exit(0);`;
    try {
      const out = new Deno.Command("deno", { args: ["eval", probe], stdout: "null", stderr: "piped" })
        .outputSync();
      if (out.success) return undefined;
      const why = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? `exit ${out.code}`;
      return `the ${
        os === "darwin" ? "macOS keychain" : "Windows Credential Manager"
      } cannot store a secret here: ${why}`;
    } catch (error) {
      return `the keychain probe could not run: ${(error as Error).message}`;
    }
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

/** What a correct tool gives at every step of {@linkcode toolRoundTrip} (its parts counted). */
export const ROUND_TRIP_OK: RoundTrip = {
  small: "small",
  large: true,
  listed: true,
  replaced: true,
  shrunk: "small",
  partsLeft: 0,
  deleted: null,
};

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
