/**
 * A fresh directory under `./.tmp` for one test (the only place tests may write), removed afterwards.
 *
 * @module
 */

/**
 * Runs `fn` with a fresh directory under `./.tmp`, removed afterwards.
 *
 * @param fn The test body, given the directory.
 * @param prefix The directory name's prefix.
 */
export async function withTempDir(fn: (dir: string) => Promise<void>, prefix = "test-"): Promise<void> {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
