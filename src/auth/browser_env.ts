/**
 * The grammar of `$BROWSER`: a list of entries separated by `:` (`;` on Windows), each one program
 * (an absolute path or a name looked up on `PATH`), optionally followed by the single token `%s`.
 * Nothing else: no extra arguments, no shell syntax, no interpreter or wrapper that would run the
 * URL (or another program) as code. The URL is always exactly one argument of the program.
 *
 * @module
 */

/** One `$BROWSER` entry, usable or refused. */
export type BrowserEntry =
  | { kind: "program"; entry: string; command: string }
  | { kind: "refused"; entry: string; reason: string };

/** Shells and script interpreters: given the URL as an argument, they may run it (or a file) as code. */
const INTERPRETERS = new Set([
  "sh",
  "bash",
  "rbash",
  "dash",
  "oksh",
  "posh",
  "loksh",
  "zsh",
  "ksh",
  "mksh",
  "ash",
  "fish",
  "csh",
  "tcsh",
  "rc",
  "es",
  "yash",
  "nu",
  "elvish",
  "xonsh",
  "busybox",
  "toybox",
  "python",
  "pythonw",
  "ipython",
  "rscript",
  "r",
  "julia",
  "guile",
  "racket",
  "sbcl",
  "clisp",
  "ocaml",
  "ghci",
  "runghc",
  "scala",
  "kotlin",
  "groovy",
  "dotnet",
  "gdb",
  "vim",
  "nvim",
  "emacs",
  "py",
  "pypy",
  "perl",
  "ruby",
  "irb",
  "node",
  "nodejs",
  "deno",
  "bun",
  "php",
  "lua",
  "luajit",
  "tclsh",
  "wish",
  "expect",
  "awk",
  "gawk",
  "mawk",
  "nawk",
  "sed",
  "java",
  "jshell",
  "osascript",
  "powershell",
  "pwsh",
  "cmd",
  "wscript",
  "cscript",
  "mshta",
  "rundll32",
  "regsvr32",
  "msiexec",
  "wsl",
  "bash.exe",
]);

/** Programs that run another program (or a command line): the browser must be named directly. */
const WRAPPERS = new Set([
  "env",
  "nice",
  "ionice",
  "nohup",
  "timeout",
  "time",
  "sudo",
  "doas",
  "su",
  "pkexec",
  "runuser",
  "setsid",
  "stdbuf",
  "xargs",
  "chroot",
  "unshare",
  "nsenter",
  "taskset",
  "chrt",
  "flock",
  "watch",
  "script",
  "strace",
  "ltrace",
  "gdb",
  "valgrind",
  "firejail",
  "bwrap",
  "systemd-run",
  "flatpak-spawn",
  "exec",
  "command",
  "eval",
  "start",
  "ssh",
  "screen",
  "tmux",
  "xterm",
  "x-terminal-emulator",
  "gnome-terminal",
  "konsole",
  "kitty",
  "alacritty",
  "wezterm",
]);

/** Characters a shell would interpret; none of them is ever needed to name a browser. */
const SHELL_SYNTAX = /[;&|$`<>(){}\[\]'"*?!#~\\=]/;

/** The separator between entries (`os.pathsep`, as in Python's `webbrowser`). */
function separator(os: typeof Deno.build.os): string {
  return os === "windows" ? ";" : ":";
}

/**
 * The program's name without directory, `.exe`-style suffix or version (`python3.12` → `python`),
 * lower-cased, for the interpreter and wrapper lists.
 */
function baseName(command: string): string {
  const last = command.replace(/^.*[\\/]/, "").toLowerCase().replace(/\.(?:exe|com)$/, "");
  return last.replace(/[0-9][0-9._-]*$/, "").replace(/[._-]$/, "") || last;
}

function parseEntry(entry: string, os: typeof Deno.build.os): BrowserEntry {
  const refuse = (reason: string): BrowserEntry => ({ kind: "refused", entry, reason });
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(entry)) {
    return refuse("it contains control characters");
  }
  const tokens = entry.split(/[ \t]+/).filter((token) => token !== "");
  const [command, ...rest] = tokens as [string, ...string[]];
  const base = baseName(command);
  if (INTERPRETERS.has(base)) {
    return refuse(`${base} is a shell or script interpreter, which could run the URL as code`);
  }
  if (WRAPPERS.has(base)) {
    return refuse(`${base} runs another program; name the browser itself`);
  }
  const shell = SHELL_SYNTAX.exec(os === "windows" ? entry.replace(/\\/g, "/") : entry);
  if (shell !== null) {
    return refuse(`${JSON.stringify(shell[0])} is shell syntax, and $BROWSER is never run by a shell`);
  }
  if (command.includes("%")) return refuse("%s must be a separate argument after the program");
  if (command.startsWith("-")) return refuse("the program name starts with -");
  const absolute = os === "windows" ? /^[A-Za-z]:[\\/]/.test(command) : command.startsWith("/");
  if (!absolute && /[\\/]/.test(command)) {
    return refuse("a relative path depends on the working directory; use an absolute path or a name on PATH");
  }
  if (os === "windows" && /\.(?:bat|cmd)$/i.test(command)) {
    return refuse("a batch file is run by cmd.exe, which would interpret the URL");
  }
  if (rest.length === 1 && rest[0] === "%s") return { kind: "program", entry, command };
  if (rest.length === 0) return { kind: "program", entry, command };
  return refuse(
    `extra arguments are not allowed (${rest.filter((t) => t !== "%s").join(" ") || "%s"}): ` +
      "an entry is a program, optionally followed by %s",
  );
}

/**
 * Parses `$BROWSER` into its entries, in order; blank entries are skipped.
 *
 * @example Usage
 * ```ts
 * import { parseBrowserEnv } from "./browser_env.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseBrowserEnv("nice xdg-open:/usr/bin/firefox %s", "linux"), [
 *   { kind: "refused", entry: "nice xdg-open", reason: "nice runs another program; name the browser itself" },
 *   { kind: "program", entry: "/usr/bin/firefox %s", command: "/usr/bin/firefox" },
 * ]);
 * ```
 *
 * @param value The value of `$BROWSER` (from the environment: untrusted).
 * @param os The operating system (`Deno.build.os`): `;` separates entries on Windows, `:` elsewhere.
 * @returns Each entry: the program to run with the URL as its only argument, or why it is refused.
 */
export function parseBrowserEnv(value: string, os: typeof Deno.build.os): BrowserEntry[] {
  return value.split(separator(os))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => parseEntry(entry, os));
}
