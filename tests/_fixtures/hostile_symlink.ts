/**
 * A local attacker's move for tests: plant a symbolic link (Deno allows `Deno.symlink` only with
 * unscoped `--allow-read` and `--allow-write`, which tests do not have, so a `deno eval` child —
 * the attacker's own process — does it).
 *
 * @module
 */

/**
 * Creates the symbolic link `path` pointing at `target`, from another process.
 *
 * @param target What the link points at (outside the config dir, usually).
 * @param path Where the link is planted.
 */
export async function plantSymlink(target: string, path: string): Promise<void> {
  const code = `Deno.symlinkSync(${JSON.stringify(target)}, ${JSON.stringify(path)})`;
  const output = await new Deno.Command("deno", {
    args: ["eval", "--quiet", code],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`Cannot plant a symbolic link at ${path}: ${new TextDecoder().decode(output.stderr)}`);
  }
}
