/**
 * Runs a program under a pseudo-terminal with util-linux `script`, so that its stdin, stdout and
 * stderr are a terminal (`Deno.stdin.isTerminal()` is true), while this process's own stdio stays
 * piped to whoever spawned it: what is written to our stdin is typed into the terminal, and the
 * terminal's output (the program's stdout and stderr, and the echo of what was typed) comes out on
 * our stdout.
 *
 * ```sh
 * deno run --allow-run=script tests/_fixtures/pty_run.ts <program> [args…]
 * ```
 *
 * The exit code is the program's. Tests run with `--allow-run=deno` only, so they spawn this
 * helper through `deno`, with `--allow-run=script` granted to the helper alone.
 *
 * @module
 */

/** This helper's path, to pass to `deno run`. */
export const PTY_RUN: string = new URL(import.meta.url).pathname;

/**
 * Quotes a word for a POSIX shell (`script -c` runs its command through one).
 *
 * @param word The word.
 * @returns The quoted word.
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Whether a `script` program is on `PATH` (read with `--allow-env=PATH` and `--allow-read`; the
 * caller need not be allowed to run it).
 *
 * @returns True when one is found.
 */
export function hasScript(): boolean {
  const path = Deno.env.get("PATH") ?? "";
  return path.split(":").filter((dir) => dir !== "").some((dir) => {
    try {
      const info = Deno.statSync(`${dir}/script`);
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    Deno.stderr.writeSync(new TextEncoder().encode("Usage: pty_run.ts <program> [args…]\n"));
    Deno.exit(2);
  }
  const command = Deno.args.map(shellQuote).join(" ");
  const child = new Deno.Command("script", {
    args: ["--quiet", "--flush", "--return", "--command", command, "/dev/null"],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  Deno.exit((await child.status).code);
}
