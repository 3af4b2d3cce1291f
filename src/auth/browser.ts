/**
 * Opening the authorization URL in the user's browser, without a shell (MCP security best practices,
 * "OAuth Authorization URL Validation"; CVE-2025-6514 was a server-supplied URL handed to a shell).
 * The URL is checked first, then given as one argument to the first usable `$BROWSER` entry (see
 * browser_env.ts: one program, optionally followed by `%s`), or when `$BROWSER` is unset to `open`,
 * `xdg-open` or `rundll32 url.dll,FileProtocolHandler`. When none is permitted or works, the URL is
 * printed.
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import { parseBrowserEnv } from "./browser_env.ts";
import { isLoopbackHost } from "../net/address.ts";
import { canReadEnv, optionalEnv } from "../cli/env.ts";
import type { Logger } from "../log/logger.ts";

/** Options for {@linkcode openBrowser}. */
export interface OpenBrowserOptions {
  /** The logger (the URL is printed through it when no browser could be opened). */
  log: Logger;
  /** `--allow-http`: accept `http:` URLs on any host, not only loopback. */
  allowHttp?: boolean;
  /** The operating system (default `Deno.build.os`). */
  os?: typeof Deno.build.os;
  /** Reads an environment variable without throwing (default: permission-aware `optionalEnv`). */
  env?: (name: string) => string | undefined;
  /** Whether a program may be run (default: `Deno.permissions.querySync`, only `"granted"` counts). */
  canRun?: (command: string) => boolean;
  /** Runs a program without a shell; true when it exited with code 0 (default: `Deno.Command`). */
  run?: (command: string, args: string[]) => Promise<boolean>;
  /** How long the default `run` waits for the program before killing it, in milliseconds (default 5000). */
  timeoutMs?: number;
}

/** The default time a browser opener may take. */
export const DEFAULT_OPEN_TIMEOUT_MS = 5_000;

/**
 * Checks a URL before it is shown or opened: only `https:`, or `http:` to a loopback host (any host
 * with `allowHttp`); no credentials, no control characters.
 *
 * @example Usage
 * ```ts
 * import { checkBrowserUrl } from "./browser.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkBrowserUrl("https://auth.example.com/authorize?a=1").host, "auth.example.com");
 * assert.throws(() => checkBrowserUrl("javascript:alert(1)"), /scheme/);
 * ```
 *
 * @param text The URL as received (it may come from a server).
 * @param allowHttp `--allow-http`.
 * @returns The parsed URL; open its `href`, never the original text.
 * @throws {AuthError} When the URL is not acceptable; the message never contains the URL.
 */
export function checkBrowserUrl(text: string, allowHttp = false): URL {
  // C0 controls, DEL, C1 controls, and line/paragraph separators: a URL parser drops some of them
  // (`java\tscript:`) and a terminal interprets others.
  if (hasControlCharacter(text)) {
    throw new AuthError("Refused to open the authorization URL: it contains control characters");
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthError("Refused to open the authorization URL: it is not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    const scheme = /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : "(unprintable)";
    throw new AuthError(
      `Refused to open the authorization URL: its scheme is ${scheme}, only https: is allowed`,
    );
  }
  if (url.protocol === "http:" && !allowHttp && !isLoopbackHost(url.hostname)) {
    throw new AuthError(
      "Refused to open the authorization URL: http: is allowed only on loopback; use https:, or --allow-http",
    );
  }
  if (url.username !== "" || url.password !== "" || /^[a-z]+:\/*[^/?#]*@/i.test(text)) {
    throw new AuthError("Refused to open the authorization URL: it contains credentials");
  }
  return url;
}

/**
 * Opens a URL in the browser, or prints it when that is not possible. Never uses a shell: the URL is
 * the one argument of a `$BROWSER` entry (entries separated by `:`, `;` on Windows, tried in order;
 * each is one program, optionally followed by `%s`; anything else is refused with a warning), or when
 * `$BROWSER` is unset of `open` (macOS), `xdg-open` (Linux and others) or
 * `rundll32 url.dll,FileProtocolHandler` (Windows).
 *
 * @example Usage
 * ```ts
 * import { openBrowser } from "./browser.ts";
 * import { Logger } from "../log/logger.ts";
 * import assert from "node:assert/strict";
 *
 * const calls: string[][] = [];
 * const outcome = await openBrowser("https://auth.example.com/authorize?state=x", {
 *   log: new Logger({ level: "silent" }),
 *   os: "linux",
 *   env: (name) => name === "BROWSER" ? "sh -c 'touch /tmp/x':/usr/bin/firefox %s" : undefined,
 *   canRun: () => true,
 *   run: (command, args) => {
 *     calls.push([command, ...args]);
 *     return Promise.resolve(true);
 *   },
 * });
 * assert.equal(outcome, "opened");
 * assert.deepEqual(calls, [["/usr/bin/firefox", "https://auth.example.com/authorize?state=x"]]);
 * ```
 *
 * @param url The authorization URL (checked with {@linkcode checkBrowserUrl} first).
 * @param options The logger and the injectable system seams.
 * @returns `"opened"` when an opener exited with code 0, `"printed"` when the URL was printed.
 * @throws {AuthError} When the URL is refused; it is then neither printed nor opened.
 */
export async function openBrowser(url: string, options: OpenBrowserOptions): Promise<"opened" | "printed"> {
  const { log } = options;
  const href = checkBrowserUrl(url, options.allowHttp ?? false).href;
  const os = options.os ?? Deno.build.os;
  const env = options.env ?? optionalEnv;
  const canRun = options.canRun ?? defaultCanRun;
  const timeoutMs = options.timeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const run = options.run ?? ((command: string, args: string[]) => runProgram(command, args, timeoutMs, log));

  const openers = chooseOpeners(env("BROWSER"), os, log);
  let hint =
    "Cannot open a browser: no usable $BROWSER entry (it takes a program, optionally followed by %s)";
  for (const { command, args } of openers) {
    if (!canRun(command)) {
      hint = `Cannot open a browser: run again with --allow-run=${command} to open it automatically`;
      if (openers.length > 1) {
        log.warn(`Not using ${command}: run again with --allow-run=${command} to use it`);
      }
      continue;
    }
    let ok: boolean;
    try {
      ok = await run(command, [...args, href]);
    } catch (error) {
      log.debug(`Running ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
      ok = false;
    }
    if (ok) {
      log.debug(`Opened the authorization URL with ${command}`);
      return "opened";
    }
    hint = `Could not open a browser with ${command}: set $BROWSER to a browser program to choose another`;
    if (openers.length > 1) log.warn(`Could not open a browser with ${command}`);
  }
  // $BROWSER may name the browser, but it could not be read: say which flag would let it.
  if (options.env === undefined && !canReadEnv("BROWSER")) {
    hint += " (or, when $BROWSER names your browser, --allow-env=BROWSER and --allow-run=<that program>)";
  }
  log.warn(hint);
  log.notice(`Open this URL in your browser to sign in: ${href}`);
  return "printed";
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

interface Opener {
  command: string;
  args: string[];
}

/** The programs to try in order: the usable `$BROWSER` entries when it is set, else the platform's. */
function chooseOpeners(browser: string | undefined, os: typeof Deno.build.os, log: Logger): Opener[] {
  if (browser !== undefined && browser.trim() !== "") {
    const openers: Opener[] = [];
    for (const entry of parseBrowserEnv(browser, os)) {
      if (entry.kind === "refused") {
        log.warn(`Not using $BROWSER entry ${JSON.stringify(entry.entry)}: ${entry.reason}`);
      } else {
        openers.push({ command: entry.command, args: [] });
      }
    }
    return openers;
  }
  if (os === "darwin") return [{ command: "open", args: [] }];
  if (os === "windows") return [{ command: "rundll32", args: ["url.dll,FileProtocolHandler"] }];
  return [{ command: "xdg-open", args: [] }];
}

function defaultCanRun(command: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "run", command }).state === "granted";
  } catch {
    return false;
  }
}

async function runProgram(command: string, args: string[], timeoutMs: number, log: Logger): Promise<boolean> {
  const child = new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const outcome = await Promise.race([child.status, timedOut]);
    if (outcome === "timeout") {
      // A program still running is most likely the browser itself ($BROWSER=firefox with no window
      // open yet): killing it would close the page the user signs in on. Leave it, without letting it
      // keep the bridge alive.
      log.debug(`${command} is still running after ${timeoutMs} ms: taking it for the browser itself`);
      child.unref();
      return true;
    }
    if (!outcome.success) log.debug(`${command} exited with code ${outcome.code}`);
    return outcome.success;
  } finally {
    clearTimeout(timer);
  }
}
