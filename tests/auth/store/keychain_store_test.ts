/**
 * `--store keychain` against this machine's real keychain (`_keychain.ts`): the Secret Service on Linux
 * (`secret-tool` with GNOME Keyring in a D-Bus session: `.ci/run` installs both when missing and runs the
 * tests inside `.ci/with_keyring`), the login keychain on macOS (`security`) and the Credential Manager
 * on Windows (`powershell.exe`). Where none can be used the keychain tests are skipped with the reason;
 * the fallback test always runs.
 */

import assert from "node:assert/strict";
import { connectHost, type Permissions } from "../../_fixtures/bridge_host.ts";
import {
  BROWSER,
  type OAuthWorld,
  runCli,
  signInPermissions,
  storedRecords,
  withOAuthWorld,
} from "../../_fixtures/oauth_cli.ts";
import { keychainUnderTest } from "./_keychain.ts";

const keychain = keychainUnderTest();
const missing = keychain.missing;
const skipNote = missing ? ` (skipped: ${missing})` : "";
/** The Secret Service takes a record in one item (up to 8191 bytes); the others store large ones in parts. */
const inParts = Deno.build.os === "darwin" || Deno.build.os === "windows";
const oneItemSkip = missing
  ? skipNote
  : inParts
  ? ` (skipped: the ${keychain.label} stores large records in parts)`
  : "";
const partsSkip = missing
  ? skipNote
  : inParts
  ? ""
  : ` (skipped: the ${keychain.label} takes 8191 bytes in one item)`;
const where = `keychain (${keychain.label})`;

function keychainPermissions(dir: string) {
  const base = signInPermissions(dir);
  return { ...base, run: [...(base.run ?? []), keychain.program] };
}

/** Starts a bridge with the keychain tool allowed, lists the tools, and returns what it wrote to stderr. */
async function listWith(world: OAuthWorld, store: string[]): Promise<string> {
  const host = await connectHost(world.mcp.url, {
    args: ["--config-dir", world.dir, ...store],
    permissions: keychainPermissions(world.dir),
    // The SDK's stdio host passes children a minimal environment: the session bus goes along explicitly.
    env: { BROWSER, ...keychain.env },
  });
  try {
    await host.client.listTools();
  } finally {
    await host.close();
  }
  return host.stderr();
}

/** `login` with the headless browser; fails the test unless it succeeds. */
async function signIn(world: OAuthWorld, permissions: Permissions, extra: string[] = []) {
  const login = await runCli(
    ["login", world.mcp.url.href, "--config-dir", world.dir, ...extra],
    permissions,
    { BROWSER },
  );
  assert.equal(login.code, 0, login.stderr);
  return login;
}

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
    assert.ok(status.stdout.includes(where), status.stdout);
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
    await signIn(world, signInPermissions(world.dir));
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

Deno.test(`--store keychain without --allow-run=${keychain.program}: a warning naming the flag, and the file store`, async () => {
  await withOAuthWorld({}, async (world) => {
    const login = await signIn(world, signInPermissions(world.dir), ["--store", "keychain"]);
    if (keychain.program !== "(none)") {
      assert.ok(
        login.stderr.includes(
          `The keychain cannot be used (Cannot use the keychain: run again with --allow-run=${keychain.program})`,
        ),
        login.stderr,
      );
    }
    assert.equal(
      (await storedRecords(world.dir)).length,
      1,
      "the credentials were not kept in the file store",
    );
  });
});

Deno.test(
  `--store keychain: a record too large for the Secret Service stays in the file store${oneItemSkip}`,
  {
    ignore: oneItemSkip !== "",
  },
  async () => {
    await withOAuthWorld({}, async (world) => {
      await signIn(world, signInPermissions(world.dir));
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
  },
);

Deno.test(
  `--store keychain: a record larger than one keychain item moves in, in parts, and reads back whole${partsSkip}`,
  {
    ignore: partsSkip !== "",
  },
  async () => {
    await withOAuthWorld({}, async (world) => {
      await signIn(world, signInPermissions(world.dir));
      const [{ path, record }] = await storedRecords(world.dir);
      // Past the 2560 bytes of a Windows credential and the 1536 of a macOS item: several parts.
      record!.tokens!.id_token = "x".repeat(9000);
      await Deno.writeTextFile(path!, JSON.stringify(record));
      // The move reads the record back from the keychain and compares it before deleting the file.
      const stderr = await listWith(world, ["--store", "keychain"]);
      assert.match(stderr, /Moved the credentials of .* from the file store to the keychain/);
      assert.deepEqual(await storedRecords(world.dir), [], "the file record was not moved");
      assert.equal(world.as.counters.authorizations, 1, "signed in again");
      const status = await runCli(
        ["status", "--config-dir", world.dir, "--store", "keychain"],
        keychainPermissions(world.dir),
      );
      assert.ok(status.stdout.includes(where), status.stdout);
      const logout = await runCli(
        ["logout", world.mcp.url.href, "--config-dir", world.dir, "--store", "keychain"],
        keychainPermissions(world.dir),
      );
      assert.equal(logout.code, 0, logout.stderr);
      const after = await runCli(
        ["status", "--config-dir", world.dir, "--store", "keychain"],
        keychainPermissions(world.dir),
      );
      assert.ok(!after.stdout.includes(world.mcp.url.host), after.stdout);
    });
  },
);

Deno.test(
  `back to --store file: a keychain record moves into the file store when the tool may run${skipNote}`,
  {
    ignore: missing !== undefined,
  },
  async () => {
    await withOAuthWorld({}, async (world) => {
      await signIn(world, keychainPermissions(world.dir), ["--store", "keychain"]);
      assert.deepEqual(await storedRecords(world.dir), []);
      const stderr = await listWith(world, []);
      assert.equal(world.as.counters.authorizations, 1, "signed in again");
      assert.equal((await storedRecords(world.dir)).length, 1, "the record did not reach the file store");
      assert.match(stderr, /Moved the credentials of .* from the keychain to the file store/);
      const status = await runCli(
        ["status", "--config-dir", world.dir, "--store", "keychain"],
        keychainPermissions(world.dir),
      );
      assert.ok(!status.stdout.includes(where), status.stdout);
    });
  },
);
