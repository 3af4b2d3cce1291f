/**
 * Rule 7: files stay in the config dir. A local attacker plants symbolic links at the debug log and
 * at a credentials file pointing outside the config dir, and plants credentials owned by another
 * user or writable by others. The real CLI must not write through a link (the victim is unchanged),
 * must not use planted credentials (it signs in again), must say why on stderr, and must answer the
 * host. A loose `--config-dir` is reported, not silently chmodded.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { connectHost, type Permissions } from "../_fixtures/bridge_host.ts";
import {
  BROWSER,
  type OAuthWorld,
  onlyRecord,
  signInPermissions,
  withOAuthWorld,
} from "../_fixtures/oauth_cli.ts";
import { plantSymlink } from "../_fixtures/hostile_symlink.ts";

async function useBridge(world: OAuthWorld, args: string[] = [], permissions?: Permissions): Promise<string> {
  const host = await connectHost(world.mcp.url, {
    args: ["--config-dir", world.dir, "--host", "127.0.0.1", ...args],
    permissions: permissions ?? signInPermissions(world.dir),
    env: { BROWSER },
  });
  try {
    const tools = await host.client.listTools();
    assert.ok(tools.tools.length > 0, "the host got its answer");
  } finally {
    await host.close();
  }
  return host.stderr();
}

/** A file outside the config dir that the attacker wants the bridge to write or read. */
async function victimFile(world: OAuthWorld, text: string): Promise<string> {
  const path = join(world.dir, "..", `victim-${crypto.randomUUID()}`);
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("Config files: a symbolic link planted at the debug log is not followed", async () => {
  await withOAuthWorld({}, async (world) => {
    const victim = await victimFile(world, "precious\n");
    try {
      await Deno.mkdir(join(world.dir, "logs"), { mode: 0o700 });
      const log = join(world.dir, "logs", "debug.log");
      await plantSymlink(victim, log);
      const stderr = await useBridge(world, ["--debug"]);
      assert.equal(await Deno.readTextFile(victim), "precious\n", "the victim is unchanged");
      assert.ok(
        stderr.includes(`Cannot write the debug log to ${log}: it is a symbolic link, which is not followed`),
        stderr,
      );
    } finally {
      await Deno.remove(victim);
    }
  });
});

Deno.test("Config files: a symbolic link planted at logs/ is not followed", async () => {
  await withOAuthWorld({}, async (world) => {
    const outside = join(world.dir, "..", `victim-dir-${crypto.randomUUID()}`);
    await Deno.mkdir(outside);
    try {
      await plantSymlink(outside, join(world.dir, "logs"));
      const stderr = await useBridge(world, ["--debug"]);
      assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing was written through the link");
      assert.match(stderr, /Cannot write the debug log to .*: .*logs is refused, it is a symbolic link/);
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("Config files: a symbolic link planted at the credentials file is neither read nor written through", async () => {
  await withOAuthWorld({}, async (world) => {
    await useBridge(world);
    const { path, record } = await onlyRecord(world.dir);
    // The victim holds valid credentials: if the link were followed, there would be no new sign-in.
    const victim = await victimFile(world, JSON.stringify(record));
    try {
      await Deno.remove(path);
      await plantSymlink(victim, path);
      const stderr = await useBridge(world);
      assert.ok(
        stderr.includes(`Ignoring credentials file ${path}: it is a symbolic link, which is not followed`),
        stderr,
      );
      assert.equal(world.as.counters.authorizations, 2, "the linked credentials were not used");
      assert.equal(await Deno.readTextFile(victim), JSON.stringify(record), "the victim is unchanged");
      assert.equal((await Deno.lstat(path)).isSymlink, false, "the link was replaced, not written through");
    } finally {
      await Deno.remove(victim);
    }
  });
});

for (
  const [name, plant, reason] of [
    [
      "writable by other users",
      (path: string) => Deno.chmod(path, 0o666),
      /other users can write it \(mode 0666\)/,
    ],
    ["owned by another user", (path: string) => Deno.chown(path, 65534, 65534), /it is owned by uid 65534/],
  ] as const
) {
  Deno.test(`Config files: credentials ${name} are ignored with a warning`, async () => {
    await withOAuthWorld({}, async (world) => {
      await useBridge(world);
      const { path, record } = await onlyRecord(world.dir);
      try {
        await plant(path);
      } catch (error) {
        if (error instanceof Deno.errors.PermissionDenied) return; // Not root: cannot plant another user's file.
        throw error;
      }
      const validBefore = world.mcp.counters.valid;
      const stderr = await useBridge(world);
      assert.ok(stderr.includes(`Ignoring credentials file ${path}: `), stderr);
      assert.match(stderr, reason);
      assert.equal(
        world.as.counters.authorizations,
        2,
        "the planted credentials were not used: a new sign-in",
      );
      assert.notEqual((await onlyRecord(world.dir)).record.tokens?.access_token, record.tokens?.access_token);
      assert.ok(world.mcp.counters.valid > validBefore);
    });
  });
}

Deno.test("Config files: a user-given --config-dir looser than 0700 is reported, not chmodded", async () => {
  await withOAuthWorld({}, async (world) => {
    await Deno.chmod(world.dir, 0o755);
    const stderr = await useBridge(world);
    assert.equal((await Deno.stat(world.dir)).mode! & 0o777, 0o755, "the mode was left alone");
    assert.ok(
      stderr.includes(
        `Config dir ${world.dir} is open to other users (mode 0755): run chmod 700 '${world.dir}'`,
      ),
      stderr,
    );
    for (const sub of ["v1", "v1/servers"]) {
      assert.equal(
        (await Deno.stat(join(world.dir, sub))).mode! & 0o777,
        0o700,
        `${sub} is the bridge's own`,
      );
    }
  });
});

Deno.test("Config files: a whole config dir owned by another user is not trusted, without --allow-sys", async () => {
  await withOAuthWorld({}, async (world) => {
    await useBridge(world);
    const { path } = await onlyRecord(world.dir);
    // The attacker owns the config dir and everything in it (readable by all): their credentials.
    const tree = [world.dir, join(world.dir, "v1"), join(world.dir, "v1", "servers"), path];
    try {
      for (const entry of tree) await Deno.chown(entry, 65534, 65534);
    } catch (error) {
      if (error instanceof Deno.errors.PermissionDenied) return; // Not root: cannot plant another user's files.
      throw error;
    }
    for (const dir of tree.slice(0, 3)) await Deno.chmod(dir, 0o755);
    await Deno.chmod(path, 0o644);
    const validBefore = world.mcp.counters.valid;
    const failure = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    }).then(async (host) => {
      await host.close();
      return undefined;
    }, (error: Error) => error);
    // The host's initialize gets one clear error: the planted credentials are not read, and the
    // bridge will not write (or lock) in a directory someone else owns.
    assert.ok(failure, "the bridge must not run on someone else's credentials");
    assert.match(failure.message, /owned by uid 65534, not by this user/);
    assert.equal(world.mcp.counters.valid, validBefore, "the planted token was never sent");
    assert.equal(world.as.counters.authorizations, 1, "no sign-in into someone else's directory");
  });
});
