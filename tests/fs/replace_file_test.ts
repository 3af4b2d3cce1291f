import { withTempDir } from "../_fixtures/temp_dir.ts";
import assert from "node:assert/strict";
import { replacePrivateFile } from "../../src/fs/replace_file.ts";
import { plantSymlink } from "../_fixtures/hostile_symlink.ts";

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir(fn, "replace-file-");
}

Deno.test("replacePrivateFile: replaces a symbolic link at the path instead of writing through it", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/victim`, "untouched");
    await plantSymlink(`${dir}/victim`, `${dir}/a.json`);
    await replacePrivateFile(dir, "a.json", "new");
    assert.equal(await Deno.readTextFile(`${dir}/victim`), "untouched");
    assert.equal((await Deno.lstat(`${dir}/a.json`)).isFile, true);
    assert.equal(await Deno.readTextFile(`${dir}/a.json`), "new");
    assert.equal((await Deno.stat(`${dir}/a.json`)).mode! & 0o777, 0o600);
  });
});

Deno.test("replacePrivateFile: a failed rename leaves no temporary file behind", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/a.json/inside`, { recursive: true });
    await assert.rejects(replacePrivateFile(dir, "a.json", "x"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.json"]);
  });
});

Deno.test("replacePrivateFile: refuses a name with a path separator", async () => {
  await withDir(async (dir) => {
    await assert.rejects(replacePrivateFile(dir, "../escape.json", "x"), /path separator/);
  });
});
