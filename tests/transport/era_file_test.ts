import { withTempDir } from "../_fixtures/temp_dir.ts";
import assert from "node:assert/strict";
import { ERA_MAX_AGE_MS, eraFileName, FileEraMemory, MAX_SLUG_LENGTH } from "../../src/transport/era_file.ts";
import { ProcessEraMemory } from "../../src/transport/era_memory.ts";
import { Logger } from "../../src/log/logger.ts";
import { plantSymlink } from "../_fixtures/hostile_symlink.ts";

const SERVER = new URL("https://mcp.example.com/mcp");

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir(fn, "era-file-");
}

function memory(dir: string, now: () => number = Date.now, serverUrl = SERVER): FileEraMemory {
  return new FileEraMemory({ dir, serverUrl, log: new Logger({ level: "silent" }), now });
}

async function names(dir: string): Promise<string[]> {
  const found = [];
  for await (const entry of Deno.readDir(`${dir}/eras`)) found.push(entry.name);
  return found.sort();
}

async function onlyFile(dir: string): Promise<string> {
  const found = await names(dir);
  assert.equal(found.length, 1, `one file in ${dir}/eras, found ${found.join(", ")}`);
  return `${dir}/eras/${found[0]}`;
}

Deno.test("FileEraMemory: remembers a server's era in a private file and recalls it in another process's instance", async () => {
  await withDir(async (dir) => {
    assert.equal(await memory(dir).recall(), undefined);
    await memory(dir, () => 1_800_000_000_000).remember("legacy");
    assert.equal(await memory(dir, () => 1_800_000_000_001).recall(), "legacy");
    const path = await onlyFile(dir);
    assert.equal(path, `${dir}/eras/${eraFileName(SERVER)}.legacy.1800000000000.json`);
    assert.match(path, /\/mcp\.example\.com-[0-9a-f]{16}\.legacy\.1800000000000\.json$/);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/eras`)).mode! & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
      server: "https://mcp.example.com",
      era: "legacy",
      checked_at: 1_800_000_000_000,
    });
    // Another server has its own file and nothing remembered.
    assert.equal(await memory(dir, Date.now, new URL("https://other.example.com/mcp")).recall(), undefined);
    assert.equal(await memory(dir, Date.now, new URL("https://mcp.example.com/mcp2")).recall(), undefined);
    await memory(dir, () => 1_800_000_000_002).remember("modern");
    assert.equal(await memory(dir, () => 1_800_000_000_003).recall(), "modern");
    assert.match(await onlyFile(dir), /\.modern\.\d+\.json$/, "the old record is removed, not kept beside");
  });
});

Deno.test("FileEraMemory: neither the path, the query, the user, the password nor the fragment of the URL is written", async () => {
  await withDir(async (dir) => {
    const url = new URL("https://alice:hunter2@mcp.example.com/s/tok-in-path/mcp?api_key=sk-secret#frag");
    await memory(dir, Date.now, url).remember("legacy");
    const path = await onlyFile(dir);
    const written = path + (await Deno.readTextFile(path));
    for (const secret of ["alice", "hunter2", "tok-in-path", "api_key", "sk-secret", "frag"]) {
      assert.ok(!written.includes(secret), `${secret} in ${written}`);
    }
    assert.equal(
      await memory(dir, Date.now, new URL("https://mcp.example.com/s/tok-in-path/mcp?other=1")).recall(),
      "legacy",
      "the query is not part of the server",
    );
  });
});

Deno.test("FileEraMemory: a long host is cut in the name, and the hash tells servers apart", async () => {
  await withDir(async (dir) => {
    const long = (tail: string) => new URL(`https://${"h".repeat(60)}.${"i".repeat(60)}.example/${tail}`);
    assert.ok(eraFileName(long("a")).length <= MAX_SLUG_LENGTH + 17);
    assert.notEqual(eraFileName(long("a")), eraFileName(long("b")));
    await memory(dir, Date.now, long("a")).remember("legacy");
    assert.equal(await memory(dir, Date.now, long("a")).recall(), "legacy");
    assert.equal(await memory(dir, Date.now, long("b")).recall(), undefined);
  });
});

Deno.test("FileEraMemory: an era older than a week, from the future, or in a malformed name counts as nothing", async () => {
  await withDir(async (dir) => {
    const t0 = 1_800_000_000_000;
    await memory(dir, () => t0).remember("legacy");
    assert.equal(await memory(dir, () => t0 + ERA_MAX_AGE_MS).recall(), "legacy");
    assert.equal(await memory(dir, () => t0 + ERA_MAX_AGE_MS + 1).recall(), undefined);
    assert.equal(await memory(dir, () => t0 - 1).recall(), undefined);
    const path = await onlyFile(dir);
    for (const bad of ["2024", "legacy.x", "legacy.123.txt"]) {
      const name = `${dir}/eras/${eraFileName(SERVER)}.${bad}${bad.endsWith(".txt") ? "" : ".json"}`;
      await Deno.rename(path, name);
      assert.equal(await memory(dir, () => t0).recall(), undefined, name);
      await Deno.rename(name, path);
    }
    // Of two records (two bridges wrote at once), the newer one counts, whichever was listed first.
    await Deno.writeTextFile(`${dir}/eras/${eraFileName(SERVER)}.modern.${t0 + 5}.json`, "{}");
    assert.equal(await memory(dir, () => t0 + 10).recall(), "modern");
    await Deno.writeTextFile(`${dir}/eras/${eraFileName(SERVER)}.legacy.${t0 + 7}.json`, "{}");
    assert.equal(await memory(dir, () => t0 + 10).recall(), "legacy");
  });
});

Deno.test("FileEraMemory: a write removes the server's older records only: a newer one (another bridge), other servers' and a directory stay", async () => {
  await withDir(async (dir) => {
    const t0 = 1_800_000_000_000;
    const other = new URL("https://other.example.com/mcp");
    await memory(dir, () => t0, other).remember("legacy");
    await memory(dir, () => t0 + 100).remember("modern");
    const newer = `${eraFileName(SERVER)}.legacy.${t0 + 200}.json`;
    await Deno.writeTextFile(`${dir}/eras/${newer}`, "{}");
    await Deno.mkdir(`${dir}/eras/${eraFileName(SERVER)}.legacy.${t0}.json`);
    const stale = `.${eraFileName(SERVER)}.modern.${t0}.json.123.abc.tmp`;
    const fresh = `.${eraFileName(SERVER)}.modern.${t0}.json.456.def.tmp`;
    await Deno.writeTextFile(`${dir}/eras/${stale}`, "");
    await Deno.writeTextFile(`${dir}/eras/${fresh}`, "");
    await Deno.utime(`${dir}/eras/${stale}`, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    // This bridge writes at t0 + 150: its t0 + 100 record goes, the t0 + 200 one (written meanwhile) stays.
    await memory(dir, () => t0 + 150).remember("modern");
    assert.deepEqual(
      await names(dir),
      [
        fresh,
        `${eraFileName(other)}.legacy.${t0}.json`,
        `${eraFileName(SERVER)}.legacy.${t0}.json`,
        `${eraFileName(SERVER)}.legacy.${t0 + 200}.json`,
        `${eraFileName(SERVER)}.modern.${t0 + 150}.json`,
      ].sort(),
    );
    assert.equal(await memory(dir, () => t0 + 300).recall(), "legacy", "the newer record counts");
  });
});

Deno.test("FileEraMemory: two bridges writing at once keep the newer record", async () => {
  await withDir(async (dir) => {
    const t0 = 1_800_000_000_000;
    for (let i = 0; i < 10; i++) {
      await Promise.all([
        memory(dir, () => t0 + 10 * i).remember("legacy"),
        memory(dir, () => t0 + 10 * i + 5).remember("modern"),
      ]);
      assert.equal(await memory(dir, () => t0 + 10 * i + 6).recall(), "modern", `round ${i}`);
    }
  });
});

Deno.test("FileEraMemory: without the permissions it touches nothing (queried first, never prompted for)", async () => {
  await withDir(async (dir) => {
    await memory(dir).remember("legacy");
    const touched: string[] = [];
    const saved = {
      query: Deno.permissions.querySync,
      readDir: Deno.readDirSync,
      mkdir: Deno.mkdirSync,
      stat: Deno.statSync,
    };
    Deno.permissions.querySync = () => ({ state: "prompt" }) as Deno.PermissionStatus;
    Deno.readDirSync = (path) => (touched.push(`readDir ${path}`), saved.readDir(path));
    Deno.mkdirSync = (path, options) => (touched.push(`mkdir ${path}`), saved.mkdir(path, options));
    Deno.statSync = (path) => (touched.push(`stat ${path}`), saved.stat(path));
    try {
      assert.equal(await memory(dir).recall(), undefined);
      await memory(dir).remember("modern");
    } finally {
      Deno.permissions.querySync = saved.query;
      Deno.readDirSync = saved.readDir;
      Deno.mkdirSync = saved.mkdir;
      Deno.statSync = saved.stat;
    }
    assert.deepEqual(touched, []);
    assert.equal(await memory(dir).recall(), "legacy");
  });
});

Deno.test("FileEraMemory: a symbolic link planted as a record is not used, and writing never goes through it", async () => {
  await withDir(async (dir) => {
    await memory(dir).remember("legacy");
    const path = await onlyFile(dir);
    const target = `${dir}/target.json`;
    await Deno.writeTextFile(target, await Deno.readTextFile(path));
    await Deno.remove(path);
    await plantSymlink(target, path);
    assert.equal(await memory(dir).recall(), undefined, "a link is not taken for a record");
    await memory(dir).remember("modern");
    assert.equal(JSON.parse(await Deno.readTextFile(target)).era, "legacy", "the link's target is untouched");
    assert.equal(await memory(dir).recall(), "modern");
    assert.match(await onlyFile(dir), /\.modern\.\d+\.json$/, "the link itself was removed");
    await Deno.lstat(target);
  });
});

Deno.test("FileEraMemory: without the read right nothing is recalled, without the write right nothing is written", async () => {
  await withDir(async (dir) => {
    await memory(dir).remember("legacy");
    const code = `
      import { FileEraMemory } from ${
      JSON.stringify(new URL("../../src/transport/era_file.ts", import.meta.url).href)
    };
      import { Logger } from ${JSON.stringify(new URL("../../src/log/logger.ts", import.meta.url).href)};
      const m = new FileEraMemory({ dir: Deno.args[0], serverUrl: new URL(${
      JSON.stringify(SERVER.href)
    }), log: new Logger({ level: "silent" }) });
      console.log(String(await m.recall()));
      await m.remember("modern");
    `;
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(script, code);
    const run = async (flags: string[]) => {
      const out = await new Deno.Command("deno", {
        args: ["run", "--quiet", "--no-prompt", ...flags, script, dir],
        stdin: "null",
        stderr: "inherit",
      }).output();
      assert.ok(out.success);
      return new TextDecoder().decode(out.stdout).trim();
    };
    assert.equal(await run([]), "undefined");
    assert.equal(await run([`--allow-read=${dir}`]), "legacy");
    assert.match(await onlyFile(dir), /\.legacy\.\d+\.json$/, "nothing written without --allow-write");
    // Granted the era memory only (a bridge without sign-in): it reads and writes there, and nowhere else.
    assert.equal(await run([`--allow-read=${dir}/eras`, `--allow-write=${dir}/eras`]), "legacy");
    assert.match(await onlyFile(dir), /\.modern\.\d+\.json$/);
    await Deno.remove(`${dir}/eras`, { recursive: true });
    const fresh = `${dir}/not-made-yet`;
    const make = code.replace("Deno.args[0]", JSON.stringify(fresh));
    await Deno.writeTextFile(script, make);
    assert.equal(await run([`--allow-read=${fresh}/eras`, `--allow-write=${fresh}/eras`]), "undefined");
    assert.equal((await Deno.stat(`${fresh}/eras`)).mode! & 0o777, 0o700, "made with its parent");
    assert.equal((await Deno.stat(fresh)).mode! & 0o777, 0o700);
    assert.equal([...Deno.readDirSync(`${fresh}/eras`)].filter((e) => e.name.endsWith(".json")).length, 1);
  });
});

Deno.test("ProcessEraMemory: remembers for the process only", async () => {
  const a = new ProcessEraMemory();
  await a.remember("modern");
  assert.equal(await a.recall(), "modern");
  assert.equal(await new ProcessEraMemory().recall(), undefined);
});

Deno.test("eraFileName(): the 64-bit FNV-1a of the origin and path, the same as BigInt arithmetic gives (names on disk stay valid)", () => {
  const fnv1a64 = (text: string) => {
    let hash = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(text)) {
      hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
    }
    return hash.toString(16).padStart(16, "0");
  };
  // The published test vectors of FNV-1a 64, as a check of the reference above.
  assert.equal(fnv1a64(""), "cbf29ce484222325");
  assert.equal(fnv1a64("a"), "af63dc4c8601ec8c");
  assert.equal(fnv1a64("foobar"), "85944171f73967e8");
  // A name written before (BigInt) and now (two 32-bit halves) for the same server.
  assert.equal(eraFileName(new URL("http://127.0.0.1:8808/mcp")), "127.0.0.1_8808-8a122b8bb6d7a07d");
  for (
    const href of [
      "https://mcp.example.com/mcp",
      "https://mcp.example.com:8443/v1/mcp?key=secret",
      "http://[::1]:9000/é/path",
      `https://x.example/${"p".repeat(500)}`,
    ]
  ) {
    const url = new URL(href);
    assert.equal(eraFileName(url).slice(-16), fnv1a64(url.origin + url.pathname), href);
  }
});
