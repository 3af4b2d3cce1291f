import { withTempDir } from "../_fixtures/temp_dir.ts";
import assert from "node:assert/strict";
import { ERA_MAX_AGE_MS, FileEraMemory } from "../../src/transport/era_file.ts";
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

async function onlyFile(dir: string): Promise<string> {
  const names = [];
  for await (const entry of Deno.readDir(`${dir}/eras`)) names.push(entry.name);
  assert.equal(names.length, 1, `one file in ${dir}/eras, found ${names.join(", ")}`);
  return `${dir}/eras/${names[0]}`;
}

Deno.test("FileEraMemory: remembers a server's era in a private file and recalls it in another process's instance", async () => {
  await withDir(async (dir) => {
    assert.equal(await memory(dir).recall(), undefined);
    await memory(dir).remember("legacy");
    assert.equal(await memory(dir).recall(), "legacy");
    const path = await onlyFile(dir);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/eras`)).mode! & 0o777, 0o700);
    const text = await Deno.readTextFile(path);
    const saved = JSON.parse(text);
    assert.match(saved.url_sha256, /^[0-9a-f]{64}$/);
    assert.ok(!text.includes("mcp.example.com"), "the URL itself (it may carry a key) is not written");
    assert.equal(saved.era, "legacy");
    // Another server has its own file and nothing remembered.
    assert.equal(await memory(dir, Date.now, new URL("https://other.example.com/mcp")).recall(), undefined);
    await memory(dir).remember("modern");
    assert.equal(await memory(dir).recall(), "modern");
    assert.equal(await onlyFile(dir), path, "the file is replaced, not added to");
  });
});

Deno.test("FileEraMemory: an era older than a week, from the future, or for another URL counts as nothing", async () => {
  await withDir(async (dir) => {
    const t0 = 1_800_000_000_000;
    await memory(dir, () => t0).remember("legacy");
    assert.equal(await memory(dir, () => t0 + ERA_MAX_AGE_MS).recall(), "legacy");
    assert.equal(await memory(dir, () => t0 + ERA_MAX_AGE_MS + 1).recall(), undefined);
    assert.equal(await memory(dir, () => t0 - 1).recall(), undefined);
    const path = await onlyFile(dir);
    const saved = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify({ ...saved, url_sha256: "0".repeat(64) }));
    assert.equal(await memory(dir, () => t0).recall(), undefined);
    await Deno.writeTextFile(path, JSON.stringify({ ...saved, era: "2024" }));
    assert.equal(await memory(dir, () => t0).recall(), undefined);
    await Deno.writeTextFile(path, "not json");
    assert.equal(await memory(dir, () => t0).recall(), undefined);
    await Deno.writeTextFile(path, JSON.stringify(saved) + " ".repeat(5000));
    assert.equal(await memory(dir, () => t0).recall(), undefined, "a file over the size limit is not read");
  });
});

Deno.test("FileEraMemory: a symbolic link planted at the file is neither read nor written through", async () => {
  await withDir(async (dir) => {
    await memory(dir).remember("legacy");
    const path = await onlyFile(dir);
    const target = `${dir}/target.json`;
    await Deno.writeTextFile(target, await Deno.readTextFile(path));
    await Deno.remove(path);
    await plantSymlink(target, path);
    assert.equal(await memory(dir).recall(), undefined, "a link is not followed when reading");
    await memory(dir).remember("modern");
    assert.equal(JSON.parse(await Deno.readTextFile(target)).era, "legacy", "the link's target is untouched");
    assert.equal((await Deno.lstat(path)).isSymlink, false, "the link was replaced by a file");
    assert.equal(await memory(dir).recall(), "modern");
  });
});

Deno.test("FileEraMemory: a file other users may write is not trusted", async () => {
  await withDir(async (dir) => {
    await memory(dir).remember("legacy");
    const path = await onlyFile(dir);
    await Deno.chmod(path, 0o666);
    assert.equal(await memory(dir).recall(), undefined);
  });
});

Deno.test("ProcessEraMemory: remembers for the process only", async () => {
  const a = new ProcessEraMemory();
  await a.remember("modern");
  assert.equal(await a.recall(), "modern");
  assert.equal(await new ProcessEraMemory().recall(), undefined);
});
