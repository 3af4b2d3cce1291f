/**
 * `$BROWSER` programs for integration tests. `$BROWSER` names one program (rule 6: no extra
 * arguments, no interpreter), so a Deno "browser" is wrapped in a small executable shell script
 * that `exec`s `deno run … <file> "$1"`; `$BROWSER` and `--allow-run` name the script's absolute
 * path.
 *
 * Scripts live under `.tmp/browsers/`, named by a hash of their content: every test process
 * computes the same path, writes it atomically (temporary file, then rename) and never removes it,
 * so concurrent test files cannot race, and no run leaves a new file behind.
 *
 * @module
 */

const HEADLESS_BROWSER = new URL("../../src/demo/headless_browser.ts", import.meta.url).pathname;

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes (once) an executable script that runs `deno <args…> "$1"` and returns its absolute path.
 *
 * @param name A readable part of the file name.
 * @param denoArgs The `deno` arguments before the URL.
 * @returns The script's absolute path, usable as `$BROWSER` and in `--allow-run`.
 */
export function browserScript(name: string, denoArgs: readonly string[]): string {
  const text = `#!/bin/sh\nexec deno ${denoArgs.map(shellQuote).join(" ")} "$1"\n`;
  Deno.mkdirSync(".tmp/browsers", { recursive: true });
  const dir = Deno.realPathSync(".tmp/browsers");
  const path = `${dir}/${name}-${hash(text)}.sh`;
  try {
    if (Deno.readTextFileSync(path) === text) return path;
  } catch {
    // Not written yet.
  }
  const temp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  Deno.writeTextFileSync(temp, text, { mode: 0o755 });
  Deno.chmodSync(temp, 0o755);
  Deno.renameSync(temp, path);
  return path;
}

/** The headless browser (src/demo/headless_browser.ts) as a `$BROWSER` program. */
export const HEADLESS_BROWSER_SCRIPT: string = browserScript("headless-browser", [
  "run",
  "--quiet",
  "--no-prompt",
  "--allow-net=127.0.0.1,[::1]",
  HEADLESS_BROWSER,
]);

/** The headless browser that stops just before the callback (a user who never finishes). */
export const NEVER_FINISHING_BROWSER_SCRIPT: string = browserScript("never-finishing-browser", [
  "run",
  "--quiet",
  "--no-prompt",
  "--allow-net=127.0.0.1,[::1]",
  HEADLESS_BROWSER,
  "--no-callback",
]);
