import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../../../src/auth/store/file_store.ts";
import { StorePermissionError } from "../../../src/auth/store/permissions.ts";
import type { ServerRecord } from "../../../src/auth/types.ts";
import { plantSymlink } from "../../_fixtures/hostile_symlink.ts";
import { captureLogger, FILE_STORE_URL, LOGGER_URL, runScript, withTempDir } from "./_helpers.ts";

const RECORD: ServerRecord = {
  version: 1,
  server_url: "https://mcp.example/mcp",
  resource: "https://mcp.example/mcp",
  issuer: "https://as.example",
  client: { client_id: "client-1", source: "dcr", redirect_uris: ["http://127.0.0.1:33418/callback"] },
  tokens: {
    access_token: "access-secret",
    token_type: "Bearer",
    refresh_token: "refresh-secret",
    expires_at: 1_800_000_000_000,
    obtained_at: 1_700_000_000_000,
  },
  requested_scope: "mcp",
  needs_auth: true,
};

const posix = Deno.build.os !== "windows";

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test("FileStore round-trips a record under <dir>/v1/servers/<key>.json", async () => {
  await withTempDir(async (dir) => {
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log });
    assert.equal(await store.read("k1"), undefined);
    await store.write("k1", RECORD);
    assert.deepEqual(await store.read("k1"), RECORD);
    assert.equal(store.pathOf("k1"), join(dir, "v1", "servers", "k1.json"));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "v1", "servers", "k1.json"))), RECORD);
    // A second store (another process, later) sees the same record.
    assert.deepEqual(await new FileStore({ dir, log }).read("k1"), RECORD);
    await store.write("k1", { ...RECORD, needs_auth: false });
    assert.equal((await store.read("k1"))?.needs_auth, false);
    assert.deepEqual(lines, []);
  });
});

Deno.test({
  name: "FileStore writes files with mode 0600 and directories with mode 0700",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const store = new FileStore({ dir, log: captureLogger().log });
      await store.write("k1", RECORD);
      assert.equal(await modeOf(store.pathOf("k1")), 0o600);
      for (const sub of ["", "v1", "v1/servers"]) assert.equal(await modeOf(join(dir, sub)), 0o700, sub);
      await store.withLock("k1", "refresh", 1_000, () => Promise.resolve());
      assert.equal(await modeOf(join(dir, "v1", "locks")), 0o700);
    });
  },
});

Deno.test({
  name: "FileStore tightens its own directories to 0700 but only warns about a loose config dir",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(join(dir, "v1", "servers"), { recursive: true });
      for (const sub of ["", "v1", "v1/servers"]) await Deno.chmod(join(dir, sub), 0o755);
      const { log, lines } = captureLogger();
      await new FileStore({ dir, log }).write("k1", RECORD);
      assert.equal(await modeOf(dir), 0o755, "the config dir is not chmodded");
      for (const sub of ["v1", "v1/servers"]) assert.equal(await modeOf(join(dir, sub)), 0o700, sub);
      assert.deepEqual(lines, [
        `[mcp-bridge] warning: Config dir ${dir} is open to other users (mode 0755): run chmod 700 '${dir}'\n`,
      ]);
    });
  },
});

Deno.test({
  name: "FileStore never follows a symbolic link at a record: reads ignore it, writes replace the link",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const victim = join(await Deno.realPath(dir), "victim.json");
      await Deno.writeTextFile(victim, JSON.stringify(RECORD));
      const { log, lines } = captureLogger();
      const store = new FileStore({ dir: join(dir, "cfg"), log });
      await store.write("k0", RECORD); // makes the directories
      await plantSymlink(victim, store.pathOf("k1"));
      assert.equal(await store.read("k1"), undefined, "a planted link is not a record");
      assert.ok(
        lines.some((line) =>
          line.includes(
            `Ignoring credentials file ${store.pathOf("k1")}: it is a symbolic link, which is not followed`,
          )
        ),
        lines.join(""),
      );
      assert.deepEqual((await store.list()).map((entry) => entry.key), ["k0"]);
      await store.write("k1", { ...RECORD, needs_auth: false });
      assert.equal(await Deno.readTextFile(victim), JSON.stringify(RECORD), "the victim is unchanged");
      assert.equal((await Deno.lstat(store.pathOf("k1"))).isSymlink, false);
      assert.equal((await store.read("k1"))?.needs_auth, false);
    });
  },
});

Deno.test({
  name: "FileStore refuses a symbolic link among its directories (v1/servers, v1/locks)",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const outside = join(await Deno.realPath(dir), "outside");
      await Deno.mkdir(outside);
      const cfg = join(dir, "cfg");
      await Deno.mkdir(join(cfg, "v1"), { recursive: true });
      await plantSymlink(outside, join(cfg, "v1", "servers"));
      await plantSymlink(outside, join(cfg, "v1", "locks"));
      const { log, lines } = captureLogger();
      const store = new FileStore({ dir: cfg, log });
      assert.equal(await store.read("k1"), undefined);
      assert.match(lines.join(""), /v1\/servers is refused, it is a symbolic link, which is not followed/);
      await assert.rejects(store.write("k1", RECORD), /Refusing .*v1\/servers: it is a symbolic link/);
      await assert.rejects(
        store.withLock("k1", "signin", 100, () => Promise.resolve()),
        /Refusing .*v1\/locks: it is a symbolic link/,
      );
      assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing was written through the link");
    });
  },
});

Deno.test({
  name: "FileStore ignores a record other users can write, or that someone else owns",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const { log, lines } = captureLogger();
      const store = new FileStore({ dir, log });
      await store.write("k1", RECORD);
      await Deno.chmod(store.pathOf("k1"), 0o664);
      assert.equal(await store.read("k1"), undefined);
      assert.match(
        lines.join(""),
        /Ignoring credentials file .*k1\.json: other users can write it \(mode 0664\)/,
      );
      await Deno.chmod(store.pathOf("k1"), 0o600);
      assert.deepEqual(await store.read("k1"), RECORD);
      try {
        await Deno.chown(store.pathOf("k1"), 65534, 65534);
      } catch {
        return; // Not root: cannot plant a file of another user here.
      }
      assert.equal(await store.read("k1"), undefined);
      assert.match(lines.join(""), /k1\.json: it is owned by uid 65534, not by this user/);
    });
  },
});

Deno.test({
  name: "FileStore.withLock refuses a symbolic link planted at a lock file",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const victim = join(await Deno.realPath(dir), "victim");
      await Deno.writeTextFile(victim, "keep");
      const store = new FileStore({ dir: join(dir, "cfg"), log: captureLogger().log });
      await store.withLock("k1", "signin", 100, () => Promise.resolve());
      await plantSymlink(victim, join(store.locksDir, "k1.signin.lock"));
      await assert.rejects(
        store.withLock("k1", "signin", 200, () => Promise.resolve()),
        /k1\.signin\.lock: it is a symbolic link, which is not followed/,
      );
      assert.equal(await Deno.readTextFile(victim), "keep");
    });
  },
});

Deno.test("FileStore writes atomically and leaves no temporary files", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log });
    // Concurrent writers: the file always holds one whole record.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.write("k1", { ...RECORD, last_refresh: i })),
    );
    const record = await store.read("k1");
    assert.equal(typeof record?.last_refresh, "number");
    const names: string[] = [];
    for await (const entry of Deno.readDir(join(dir, "v1", "servers"))) names.push(entry.name);
    assert.deepEqual(names, ["k1.json"]);
  });
});

Deno.test("FileStore treats invalid JSON as absent, with exactly one warning naming the file", async () => {
  await withTempDir(async (dir) => {
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log });
    await store.write("k1", RECORD);
    await Deno.writeTextFile(store.pathOf("k1"), '{"version":1,"server_url":"https://x", "tokens": {"access');
    assert.equal(await store.read("k1"), undefined);
    assert.equal(await store.read("k1"), undefined);
    assert.equal(lines.length, 1, lines.join(""));
    assert.equal(
      lines[0],
      `[mcp-bridge] warning: Ignoring credentials file ${store.pathOf("k1")}: it is not valid JSON\n`,
    );
    assert.ok(!lines[0].includes("access"));
    // A later write repairs it; a new corruption warns again.
    await store.write("k1", RECORD);
    assert.deepEqual(await store.read("k1"), RECORD);
    await Deno.writeTextFile(store.pathOf("k1"), "");
    assert.equal(await store.read("k1"), undefined);
    assert.equal(lines.length, 2);
  });
});

Deno.test("FileStore treats a wrong version or wrong types as absent, with a warning", async () => {
  await withTempDir(async (dir) => {
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log });
    await store.write("k1", RECORD);
    const invalid: unknown[] = [
      { ...RECORD, version: 2 },
      { ...RECORD, server_url: 42 },
      { ...RECORD, tokens: { ...RECORD.tokens, access_token: 7 } },
      { ...RECORD, tokens: { access_token: "a", token_type: "Bearer" } },
      { ...RECORD, client: { client_id: "c", source: "guess" } },
      { ...RECORD, needs_auth: "yes" },
      [RECORD],
      null,
    ];
    for (const value of invalid) {
      await Deno.writeTextFile(store.pathOf("k1"), JSON.stringify(value));
      const fresh = captureLogger();
      assert.equal(await new FileStore({ dir, log: fresh.log }).read("k1"), undefined, JSON.stringify(value));
      assert.equal(fresh.lines.length, 1);
      assert.match(fresh.lines[0], /it is not a version 1 server record/);
      assert.ok(fresh.lines[0].includes(store.pathOf("k1")));
    }
    assert.deepEqual(lines, []);
    // Unknown members from a newer bridge are kept.
    await Deno.writeTextFile(store.pathOf("k1"), JSON.stringify({ ...RECORD, future: { x: 1 } }));
    assert.deepEqual(await store.read("k1"), { ...RECORD, future: { x: 1 } });
  });
});

Deno.test("FileStore refuses to write an invalid record or an unsafe key", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log });
    await assert.rejects(
      () => store.write("k1", { ...RECORD, version: 2 } as unknown as ServerRecord),
      TypeError,
    );
    await assert.rejects(() => store.read("../k1"), TypeError);
    await assert.rejects(() => store.write(".hidden", RECORD), TypeError);
  });
});

Deno.test("FileStore deletes records; deleting an absent record is fine", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log });
    await store.delete("absent");
    await store.write("k1", RECORD);
    await store.delete("k1");
    assert.equal(await store.read("k1"), undefined);
    await store.delete("k1");
  });
});

Deno.test("FileStore lists valid records sorted by key and skips the rest with warnings", async () => {
  await withTempDir(async (dir) => {
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log });
    assert.deepEqual(await store.list(), []);
    await store.write("b", { ...RECORD, server_url: "https://b.example/mcp" });
    await store.write("a", { ...RECORD, server_url: "https://a.example/mcp" });
    const servers = join(dir, "v1", "servers");
    await Deno.writeTextFile(join(servers, "corrupt.json"), "not json");
    await Deno.writeTextFile(join(servers, "future.json"), JSON.stringify({ ...RECORD, version: 2 }));
    await Deno.writeTextFile(join(servers, ".a.json.1.x.tmp"), "{");
    await Deno.writeTextFile(join(servers, "notes.txt"), "hello");
    await Deno.mkdir(join(servers, "dir.json"));
    const listed = await store.list();
    assert.deepEqual(listed.map((e) => [e.key, e.record.server_url]), [
      ["a", "https://a.example/mcp"],
      ["b", "https://b.example/mcp"],
    ]);
    assert.equal(lines.length, 2, lines.join(""));
    assert.ok(lines.some((l) => l.includes(join(servers, "corrupt.json"))));
    assert.ok(lines.some((l) => l.includes(join(servers, "future.json"))));
  });
});

const PERMISSION_SCRIPT = `
import { FileStore } from "${FILE_STORE_URL}";
import { Logger } from "${LOGGER_URL}";
const store = new FileStore({ dir: Deno.args[0], log: new Logger({ level: "warn" }) });
const out = {};
for (const [name, op] of [
  ["read", () => store.read("k1")],
  ["write", () => store.write("k1", { version: 1, server_url: "https://mcp.example/mcp" })],
  ["delete", () => store.delete("k1")],
  ["list", () => store.list()],
  ["lock", () => store.withLock("k1", "refresh", 100, () => Promise.resolve())],
]) {
  try {
    await op();
    out[name] = "ok";
  } catch (error) {
    out[name] = error.name + ": " + error.message;
  }
}
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(out)));
`;

Deno.test("FileStore names the missing --allow-write or --allow-read flag (real permissions)", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log });
    await store.write("k1", RECORD);
    const file = join(dir, "v1", "servers", "k1.json");

    const readOnly = await runScript(dir, PERMISSION_SCRIPT, [`--allow-read=${dir}`], [dir]);
    assert.equal(readOnly.code, 0, readOnly.stderr);
    const r = JSON.parse(readOnly.stdout);
    assert.equal(r.read, "ok");
    assert.equal(r.list, "ok");
    assert.equal(
      r.write,
      `StorePermissionError: Cannot write credentials to ${file}: run again with --allow-write=${dir}`,
    );
    assert.equal(
      r.delete,
      `StorePermissionError: Cannot delete credentials ${file}: run again with --allow-write=${dir}`,
    );
    assert.equal(
      r.lock,
      `StorePermissionError: Cannot take lock ${join(dir, "v1", "locks", "k1.refresh.lock")}: ` +
        `run again with --allow-write=${dir}`,
    );

    const none = await runScript(dir, PERMISSION_SCRIPT, [], [dir]);
    assert.equal(none.code, 0, none.stderr);
    const n = JSON.parse(none.stdout);
    assert.equal(
      n.read,
      `StorePermissionError: Cannot read credentials from ${file}: run again with --allow-read=${dir}`,
    );
    assert.equal(
      n.write,
      `StorePermissionError: Cannot write credentials to ${file}: ` +
        `run again with --allow-read=${dir} --allow-write=${dir}`,
    );
    assert.equal(
      n.list,
      `StorePermissionError: Cannot list credentials in ${join(dir, "v1", "servers")}: ` +
        `run again with --allow-read=${dir}`,
    );

    const both = await runScript(dir, PERMISSION_SCRIPT, [`--allow-read=${dir}`, `--allow-write=${dir}`], [
      dir,
    ]);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(JSON.parse(both.stdout), {
      read: "ok",
      write: "ok",
      delete: "ok",
      list: "ok",
      lock: "ok",
    });
  });
});

Deno.test("StorePermissionError carries the flags", () => {
  const error = new StorePermissionError("Cannot write credentials to /x/a", ["--allow-write=/x"]);
  assert.deepEqual(error.flags, ["--allow-write=/x"]);
  assert.equal(error.message, "Cannot write credentials to /x/a: run again with --allow-write=/x");
});
