/**
 * Replaces a file below the config dir atomically: the text goes to a new temporary file (`createNew`,
 * mode 0600, flushed to disk) in the same directory, which is then renamed over the old file. A reader
 * in another process sees the old file or the new one, never half of one; a symbolic link at the
 * path is replaced by the rename, never written through.
 *
 * @module
 */

import { joinPath } from "./path.ts";

const encoder = new TextEncoder();

/**
 * Writes `text` to `<dir>/<name>` atomically with mode 0600. The directory must exist (and be the
 * bridge's own: see `ensurePrivateDir`); the caller checks the permissions first.
 *
 * @example Usage
 * ```ts
 * import { replacePrivateFile } from "./replace_file.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await replacePrivateFile(dir, "a.json", "{}\n");
 * assert.equal(await Deno.readTextFile(`${dir}/a.json`), "{}\n");
 * assert.equal((await Deno.stat(`${dir}/a.json`)).mode! & 0o777, 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The directory.
 * @param name The file name (no separator).
 * @param text The whole content.
 * @param pid The process id put in the temporary file's name (default `Deno.pid`).
 */
export async function replacePrivateFile(
  dir: string,
  name: string,
  text: string,
  pid: number = Deno.pid,
): Promise<void> {
  if (name.includes("/") || name.includes("\\")) {
    throw new TypeError(`Cannot write the file "${name}": the name holds a path separator`);
  }
  const temp = joinPath(dir, `.${name}.${pid}.${crypto.randomUUID()}.tmp`);
  await writeNewFile(temp, text);
  try {
    await Deno.rename(temp, joinPath(dir, name));
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Creates a new file with mode 0600, writes it fully and flushes it to disk. */
async function writeNewFile(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw error;
  }
  file.close();
}
