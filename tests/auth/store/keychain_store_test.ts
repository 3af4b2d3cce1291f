/**
 * `--store keychain` with the real Secret Service: `secret-tool` (libsecret) against GNOME Keyring in a
 * D-Bus session. `.ci/run` installs both when missing and runs the tests inside a session with an
 * unlocked keyring; elsewhere the keychain tests are skipped with the reason (the parser test and the
 * fallback test always run).
 */

import assert from "node:assert/strict";
import { accountsOfSearch } from "../../../src/auth/store/keychain_tool.ts";
import { connectHost } from "../../_fixtures/bridge_host.ts";
import {
  BROWSER,
  type OAuthWorld,
  runCli,
  signInPermissions,
  storedRecords,
  withOAuthWorld,
} from "../../_fixtures/oauth_cli.ts";

function keychainMissing(): string | undefined {
  if (Deno.build.os !== "linux") return `the Secret Service is Linux's (this is ${Deno.build.os})`;
  try {
    Deno.statSync("/usr/bin/secret-tool");
  } catch {
    return "secret-tool is not installed (apt-get install libsecret-tools gnome-keyring)";
  }
  if (!Deno.env.get("DBUS_SESSION_BUS_ADDRESS")) {
    return "no D-Bus session with an unlocked keyring (.ci/run starts one: dbus-run-session + gnome-keyring-daemon --unlock)";
  }
  return undefined;
}

const missing = keychainMissing();
const skipNote = missing ? ` (skipped: ${missing})` : "";

/** The SDK's stdio host passes children a minimal environment: the session bus goes along explicitly. */
function busEnv(): Record<string, string> {
  const bus = Deno.env.get("DBUS_SESSION_BUS_ADDRESS");
  return bus ? { DBUS_SESSION_BUS_ADDRESS: bus } : {};
}

function keychainPermissions(dir: string) {
  const base = signInPermissions(dir);
  return { ...base, run: [...(base.run ?? []), "secret-tool"] };
}

/** Starts a bridge with the keychain tool allowed, lists the tools, and returns what it wrote to stderr. */
async function listWith(world: OAuthWorld, store: string[]): Promise<string> {
  const host = await connectHost(world.mcp.url, {
    args: ["--config-dir", world.dir, ...store],
    permissions: keychainPermissions(world.dir),
    env: { BROWSER, ...busEnv() },
  });
  try {
    await host.client.listTools();
  } finally {
    await host.close();
  }
  return host.stderr();
}

Deno.test("accountsOfSearch: the accounts of secret-tool's listing, from either stream, once each", () => {
  const stdout = '[/1]\nlabel = a\nsecret = {"version":1}\n[/2]\nlabel = b\nsecret = x\n';
  const stderr =
    "attribute.account = k1\nattribute.service = mcp-bridge\nattribute.account = k2\nattribute.account = k1\n";
  assert.deepEqual(accountsOfSearch(`${stdout}\n${stderr}`), ["k1", "k2"]);
  assert.deepEqual(accountsOfSearch(stdout), []);
});

Deno.test(`--store keychain: login, status, a bridge, logout: nothing in the file store${skipNote}`, {
  ignore: missing !== undefined,
}, async () => {
  await withOAuthWorld({}, async (world) => {
    const args = (
      command: string,
    ) => [command, world.mcp.url.href, "--config-dir", world.dir, "--store", "keychain"];
    const login = await runCli(args("login"), keychainPermissions(world.dir), { BROWSER });
    assert.equal(login.code, 0, login.stderr);
    assert.deepEqual(await storedRecords(world.dir), [], "credentials reached the file store");
    const status = await runCli(
      ["status", "--config-dir", world.dir, "--store", "keychain"],
      keychainPermissions(world.dir),
    );
    assert.match(status.stdout, new RegExp(world.mcp.url.host.replace(".", "\\.")));
    assert.match(status.stdout, /keychain \(Secret Service\)/);
    await listWith(world, ["--store", "keychain"]);
    assert.equal(
      world.as.counters.authorizations,
      1,
      "the bridge signed in again instead of using the keychain",
    );
    const logout = await runCli(args("logout"), keychainPermissions(world.dir));
    assert.equal(logout.code, 0, logout.stderr);
    const after = await runCli(
      ["status", "--config-dir", world.dir, "--store", "keychain"],
      keychainPermissions(world.dir),
    );
    assert.ok(!after.stdout.includes(world.mcp.url.host), after.stdout);
  });
});

Deno.test(`--store keychain moves a file-store record into the keychain: no new sign-in${skipNote}`, {
  ignore: missing !== undefined,
}, async () => {
  await withOAuthWorld({}, async (world) => {
    const login = await runCli(
      ["login", world.mcp.url.href, "--config-dir", world.dir],
      signInPermissions(world.dir),
      {
        BROWSER,
      },
    );
    assert.equal(login.code, 0, login.stderr);
    assert.equal((await storedRecords(world.dir)).length, 1);
    const stderr = await listWith(world, ["--store", "keychain"]);
    assert.equal(world.as.counters.authorizations, 1, "signed in again");
    assert.deepEqual(await storedRecords(world.dir), [], "the file record was not moved");
    assert.match(stderr, /Moved the credentials of .* from the file store to the keychain/);
    await runCli(
      ["logout", world.mcp.url.href, "--config-dir", world.dir, "--store", "keychain"],
      keychainPermissions(world.dir),
    );
  });
});

Deno.test("--store keychain without --allow-run=secret-tool: a warning naming the flag, and the file store", async () => {
  await withOAuthWorld({}, async (world) => {
    const login = await runCli(
      ["login", world.mcp.url.href, "--config-dir", world.dir, "--store", "keychain"],
      signInPermissions(world.dir),
      { BROWSER },
    );
    assert.equal(login.code, 0, login.stderr);
    if (Deno.build.os === "linux" || Deno.build.os === "darwin") {
      assert.match(
        login.stderr,
        /The keychain cannot be used \(Cannot use the keychain: run again with --allow-run=(secret-tool|security)\)/,
      );
    }
    assert.equal(
      (await storedRecords(world.dir)).length,
      1,
      "the credentials were not kept in the file store",
    );
  });
});

Deno.test(`--store keychain: a record too large for the Secret Service stays in the file store${skipNote}`, {
  ignore: missing !== undefined,
}, async () => {
  await withOAuthWorld({}, async (world) => {
    const login = await runCli(
      ["login", world.mcp.url.href, "--config-dir", world.dir],
      signInPermissions(world.dir),
      {
        BROWSER,
      },
    );
    assert.equal(login.code, 0, login.stderr);
    const [{ path, record }] = await storedRecords(world.dir);
    // Over secret-tool's 8 KiB: it would keep the beginning and say nothing.
    record!.tokens!.id_token = "x".repeat(9000);
    await Deno.writeTextFile(path!, JSON.stringify(record));
    const status = await runCli(
      ["status", "--config-dir", world.dir, "--store", "keychain"],
      keychainPermissions(world.dir),
    );
    assert.equal(status.code, 0, status.stderr);
    const stderr = await listWith(world, ["--store", "keychain"]);
    assert.match(
      stderr,
      /Could not move the credentials of .* larger than 8191 bytes.*they stay in the file store/,
    );
    assert.equal((await storedRecords(world.dir)).length, 1, "the file record was deleted");
    assert.equal(world.as.counters.authorizations, 1, "signed in again");
  });
});

Deno.test(
  `back to --store file: a keychain record moves into the file store when the tool may run${skipNote}`,
  {
    ignore: missing !== undefined,
  },
  async () => {
    await withOAuthWorld({}, async (world) => {
      const login = await runCli(
        ["login", world.mcp.url.href, "--config-dir", world.dir, "--store", "keychain"],
        keychainPermissions(world.dir),
        { BROWSER },
      );
      assert.equal(login.code, 0, login.stderr);
      assert.deepEqual(await storedRecords(world.dir), []);
      const stderr = await listWith(world, []);
      assert.equal(world.as.counters.authorizations, 1, "signed in again");
      assert.equal((await storedRecords(world.dir)).length, 1, "the record did not reach the file store");
      assert.match(stderr, /Moved the credentials of .* from the keychain to the file store/);
      const status = await runCli(
        ["status", "--config-dir", world.dir, "--store", "keychain"],
        keychainPermissions(world.dir),
      );
      assert.ok(!status.stdout.includes("keychain (Secret Service)"), status.stdout);
    });
  },
);
