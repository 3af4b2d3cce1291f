/**
 * The one logger. It writes to stderr (never stdout, which is the protocol channel) and, with
 * `--debug`, appends to a log file. Every line goes through the one {@linkcode Redactor} (secrets
 * removed) and then {@linkcode neutralise} (escape sequences and control characters made visible,
 * line breaks inside a message indented so that no message can forge a log line of its own).
 * Error messages the bridge composes for the host go through {@linkcode Logger.redact}: the same
 * redactor and the same secret set.
 *
 * @module
 */

import { neutralise } from "./neutralise.ts";
import { Redactor } from "./redact.ts";

/** What a line break inside one message becomes: continuation lines are indented. */
const CONTINUATION = "\n    ";

/** How much the logger says. */
export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";

const RANK: Record<LogLevel | "notice", number> = {
  silent: 0,
  error: 1,
  notice: 1,
  warn: 2,
  info: 3,
  debug: 4,
};

/** Where log lines go; injectable for tests. */
export interface LogSink {
  /** Writes one finished line (with its trailing newline). */
  write(line: string): void;
}

/** A sink that writes synchronously to stderr. */
export const stderrSink: LogSink = {
  write(line: string): void {
    const bytes = new TextEncoder().encode(line);
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  },
};

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  /** The level for the stderr sink. */
  level: LogLevel;
  /** The stderr sink (default: {@linkcode stderrSink}). */
  sink?: LogSink;
  /** A second sink that receives every line at debug level (the `--debug` log file). */
  file?: LogSink;
  /** A clock for the timestamps of file lines. */
  now?: () => Date;
  /**
   * Whether the stderr sink is a terminal, where {@linkcode Logger.status} may redraw one line in
   * place (default: whether stderr is a terminal when the sink is {@linkcode stderrSink}).
   */
  terminal?: boolean;
}

/** Returns to the start of the line and erases it (a terminal's status line is redrawn so). */
const CLEAR_LINE = "\r\x1b[2K";

/** The bridge's logger: levels, redaction, an optional debug file. */
export class Logger {
  #level: number;
  #sink: LogSink;
  #file: LogSink | undefined;
  #redactor = new Redactor();
  #now: () => Date;
  #terminal: boolean;
  #statusShown = false;

  /**
   * Creates a logger.
   *
   * @example Usage
   * ```ts
   * import { Logger } from "./logger.ts";
   * import assert from "node:assert/strict";
   *
   * const lines: string[] = [];
   * const log = new Logger({ level: "info", sink: { write: (l) => lines.push(l) } });
   * log.addSecret("hunter22");
   * log.info("password is hunter22");
   * assert.deepEqual(lines, ["[mcp-bridge] password is [redacted]\n"]);
   * ```
   *
   * @param options Level and sinks.
   */
  constructor(options: LoggerOptions) {
    this.#level = RANK[options.level];
    this.#sink = options.sink ?? stderrSink;
    this.#file = options.file;
    this.#now = options.now ?? (() => new Date());
    this.#terminal = options.terminal ?? (this.#sink === stderrSink && isStderrTerminal());
  }

  /**
   * Registers a value that must never appear in a log line or an error message for the host, in
   * every form it may travel in (percent-encoded, JSON-escaped, …). Values shorter than 4
   * characters are not redacted by value; secret-named headers and parameters still are.
   *
   * @example Usage
   * ```ts
   * import { Logger } from "./logger.ts";
   * import assert from "node:assert/strict";
   *
   * const log = new Logger({ level: "silent" });
   * log.addSecret("a/b+c=");
   * assert.equal(log.redact("got a%2Fb%2Bc%3D"), "got [redacted]");
   * ```
   *
   * @param secret The secret value (a header value, a token).
   */
  addSecret(secret: string): void {
    this.#redactor.add(secret);
  }

  /**
   * Removes every registered secret and secret-shaped value from a text, exactly as for log
   * lines. Use it on every error message the bridge composes for the host (stdout).
   *
   * @example Usage
   * ```ts
   * import { Logger } from "./logger.ts";
   * import assert from "node:assert/strict";
   *
   * const log = new Logger({ level: "silent" });
   * log.addSecret("hunter22");
   * assert.equal(log.redact("The server says hunter22"), "The server says [redacted]");
   * ```
   *
   * @param text The text.
   * @returns The text without secrets.
   */
  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  /**
   * Attaches (or replaces) the debug file sink.
   *
   * @param file The sink.
   */
  setFile(file: LogSink | undefined): void {
    this.#file = file;
  }

  /**
   * Whether debug lines are wanted anywhere; use it to skip building expensive messages.
   *
   * @returns True when a debug line would be written.
   */
  get debugEnabled(): boolean {
    return this.#level >= RANK.debug || this.#file !== undefined;
  }

  /**
   * Whether {@linkcode Logger.status} shows anything: stderr is a terminal and the level lets
   * progress through.
   *
   * @returns True when a status line would be drawn.
   */
  get statusShown(): boolean {
    return this.#terminal && this.#level >= RANK.info;
  }

  /**
   * Draws (or, with `undefined`, erases) a one-line status in place on a terminal: a countdown
   * while a sign-in is awaited. Nothing happens when stderr is not a terminal (a host's log file
   * gets the plain lines only) or below the info level. Redacted and neutralised like any line; a
   * normal line erases the status first, and the next status call draws it again.
   *
   * @example Usage
   * ```ts
   * import { Logger } from "./logger.ts";
   * import assert from "node:assert/strict";
   *
   * const out: string[] = [];
   * const log = new Logger({ level: "info", terminal: true, sink: { write: (l) => out.push(l) } });
   * log.status("Waiting: 10 s left");
   * log.info("Signed in");
   * assert.deepEqual(out, [
   *   "\r\x1b[2K[mcp-bridge] Waiting: 10 s left",
   *   "\r\x1b[2K",
   *   "[mcp-bridge] Signed in\n",
   * ]);
   * ```
   *
   * @param message The status text, or `undefined` to erase it.
   */
  status(message: string | undefined): void {
    if (!this.statusShown) return;
    if (message === undefined) {
      if (this.#statusShown) this.#write(CLEAR_LINE);
      this.#statusShown = false;
      return;
    }
    const clean = neutralise(this.#redactor.redact(message), " ");
    this.#write(`${CLEAR_LINE}[mcp-bridge] ${clean}`);
    this.#statusShown = true;
  }

  #write(text: string): void {
    try {
      this.#sink.write(text);
    } catch {
      // stderr is gone (the host closed it); there is nowhere left to report to.
    }
  }

  /** Logs an error. @param message The text. */
  error(message: string): void {
    this.#log("error", message);
  }

  /** Logs a warning. @param message The text. */
  warn(message: string): void {
    this.#log("warn", message);
  }

  /**
   * Logs something the user must see even with `--silent` (a sign-in URL to open by hand).
   *
   * @param message The text.
   */
  notice(message: string): void {
    this.#log("notice", message);
  }

  /** Logs progress a user may want to see. @param message The text. */
  info(message: string): void {
    this.#log("info", message);
  }

  /** Logs detail for troubleshooting. @param message The text. */
  debug(message: string): void {
    this.#log("debug", message);
  }

  #log(level: LogLevel | "notice", message: string): void {
    const rank = RANK[level];
    const toSink = rank <= this.#level;
    if (!toSink && this.#file === undefined) return;
    const clean = neutralise(this.#redactor.redact(message), CONTINUATION);
    if (toSink) {
      const prefix = level === "error"
        ? "[mcp-bridge] error: "
        : level === "warn"
        ? "[mcp-bridge] warning: "
        : "[mcp-bridge] ";
      if (this.#statusShown) {
        this.#write(CLEAR_LINE);
        this.#statusShown = false;
      }
      this.#write(`${prefix}${clean}\n`);
    }
    if (this.#file) {
      try {
        this.#file.write(`${this.#now().toISOString()} ${level} ${clean}\n`);
      } catch {
        this.#file = undefined;
      }
    }
  }
}

function isStderrTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}
