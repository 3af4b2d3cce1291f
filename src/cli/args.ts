/**
 * The command line: `mcp-bridge <server-url> [callback-port] [flags]` and its subcommands.
 * Pure: argv in, options or a usage error out.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type HeaderTemplate, parseHeader } from "./headers.ts";
import { parseDuration } from "./duration.ts";
import { TRANSPORT_MODES, type TransportMode } from "../transport/fallback.ts";

/** The subcommands. */
export type Command = "bridge" | "client";

/** Everything the command line decides. */
export interface CliOptions {
  /** `bridge` (the stdio bridge, default) or `client` (the troubleshooting client). */
  command: Command;
  /** The remote MCP server. */
  serverUrl: URL;
  /** `--header` values, in order, before interpolation. */
  headers: HeaderTemplate[];
  /** `--header-file` paths, in order. */
  headerFiles: string[];
  /** `--allow-http`. */
  allowHttp: boolean;
  /** `--transport`. */
  transport: TransportMode;
  /** `--debug`. */
  debug: boolean;
  /** `--silent`. */
  silent: boolean;
  /** `--ignore-tool` globs. */
  ignoreTools: string[];
  /** `--include-tool` globs. */
  includeTools: string[];
  /** `--config-dir`. */
  configDir: string | undefined;
  /** `--connect-timeout`, in milliseconds. */
  connectTimeoutMs: number;
}

/** What the command line asks for. */
export type ParsedCommandLine =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; options: CliOptions };

/** A command line that cannot be run. Exit code 2. */
export class UsageError extends Error {
  /** @param message What is wrong and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The longest delay a timer supports (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default `--connect-timeout`: how long connection set-up may take. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

const OPTIONS = {
  // Implemented.
  header: { type: "string", multiple: true },
  "header-file": { type: "string", multiple: true },
  "allow-http": { type: "boolean" },
  transport: { type: "string" },
  protocol: { type: "string" },
  debug: { type: "boolean" },
  silent: { type: "boolean" },
  "ignore-tool": { type: "string", multiple: true },
  "include-tool": { type: "string", multiple: true },
  "config-dir": { type: "string" },
  "connect-timeout": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  // Accepted for mcp-remote compatibility; implemented by later releases.
  host: { type: "string" },
  "callback-port": { type: "string" },
  "callback-path": { type: "string" },
  "auth-success-url": { type: "string" },
  "auth-timeout": { type: "string" },
  "static-oauth-client-metadata": { type: "string" },
  "static-oauth-client-info": { type: "string" },
  "client-metadata-url": { type: "string" },
  "device-code": { type: "boolean" },
  "client-credentials": { type: "boolean" },
  "token-endpoint": { type: "string" },
  "use-id-token": { type: "boolean" },
  resource: { type: "string" },
  "disable-resource-parameter": { type: "boolean" },
  "authorize-param": { type: "string", multiple: true },
  "no-browser": { type: "boolean" },
  "headers-timeout": { type: "string" },
  "body-timeout": { type: "string" },
  ipv4: { type: "boolean" },
  "enable-proxy": { type: "boolean" },
  "keep-alive": { type: "boolean" },
  "ping-interval": { type: "string" },
  "disable-cookies": { type: "boolean" },
} as const;

/** Flags accepted for mcp-remote compatibility that this release does not implement yet, by area. */
export const NOT_IMPLEMENTED: Readonly<Record<string, string>> = {
  host: "OAuth sign-in",
  "callback-port": "OAuth sign-in",
  "callback-path": "OAuth sign-in",
  "auth-success-url": "OAuth sign-in",
  "auth-timeout": "OAuth sign-in",
  "static-oauth-client-metadata": "OAuth sign-in",
  "static-oauth-client-info": "OAuth sign-in",
  "client-metadata-url": "OAuth sign-in",
  "device-code": "OAuth sign-in",
  "client-credentials": "OAuth sign-in",
  "token-endpoint": "OAuth sign-in",
  "use-id-token": "OAuth sign-in",
  resource: "OAuth sign-in",
  "disable-resource-parameter": "OAuth sign-in",
  "authorize-param": "OAuth sign-in",
  "no-browser": "OAuth sign-in",
  "headers-timeout": "network tuning",
  "body-timeout": "network tuning",
  ipv4: "network tuning",
  "enable-proxy": "proxy support",
  "keep-alive": "reconnection and keep-alive",
  "ping-interval": "reconnection and keep-alive",
  "disable-cookies": "cookie handling",
};

const SUBCOMMANDS_LATER = ["login", "logout", "status"];

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Whether a host name is a loopback address (plain http is allowed there without `--allow-http`).
 *
 * @example Usage
 * ```ts
 * import { isLoopbackHost } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackHost("127.0.0.1"), true);
 * assert.equal(isLoopbackHost("example.com"), false);
 * ```
 *
 * @param hostname `URL.hostname`.
 * @returns True for `localhost`, `127.0.0.0/8` and `[::1]`.
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

/**
 * Checks a server URL: absolute, `https:` (or `http:` on loopback, or anywhere with `--allow-http`).
 *
 * @example Usage
 * ```ts
 * import { parseServerUrl } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseServerUrl("https://example.com/mcp", false).host, "example.com");
 * assert.throws(() => parseServerUrl("http://example.com/mcp", false), /--allow-http/);
 * ```
 *
 * @param text The URL as written.
 * @param allowHttp `--allow-http`.
 * @returns The URL.
 * @throws {UsageError} When it is not acceptable.
 */
export function parseServerUrl(text: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Cannot parse server URL "${text}": expected an absolute https:// URL`);
  }
  if (url.protocol === "http:") {
    if (!allowHttp && !isLoopbackHost(url.hostname)) {
      throw new UsageError(
        `Cannot use plain http for "${url.host}": use https, or pass --allow-http if you trust the network`,
      );
    }
  } else if (url.protocol !== "https:") {
    throw new UsageError(`Cannot use server URL "${text}": the scheme must be https: (or http:)`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      `Cannot use server URL "${url.host}": credentials in the URL are not allowed, use --header`,
    );
  }
  url.hash = "";
  return url;
}

/**
 * Parses the command line.
 *
 * @example Usage
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseCommandLine(["https://example.com/mcp", "--header", "X-A: 1"]);
 * assert.equal(parsed.kind, "run");
 * if (parsed.kind === "run") assert.equal(parsed.options.headers[0]?.name, "X-A");
 * ```
 *
 * @param argv The arguments after the program name.
 * @returns What to do.
 * @throws {UsageError} When the command line cannot be run.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(`${message}: see mcp-bridge --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  for (const [flag, area] of Object.entries(NOT_IMPLEMENTED)) {
    if ((values as Record<string, unknown>)[flag] !== undefined) {
      throw new UsageError(
        `Option --${flag} is not implemented yet: ${area} arrives in a later release of mcp-bridge`,
      );
    }
  }

  let rest = positionals;
  let command: Command = "bridge";
  if (rest[0] === "client") {
    command = "client";
    rest = rest.slice(1);
  } else if (rest[0] !== undefined && SUBCOMMANDS_LATER.includes(rest[0])) {
    throw new UsageError(
      `Command "${rest[0]}" is not implemented yet: OAuth sign-in arrives in a later release`,
    );
  }
  if (rest.length === 0) throw new UsageError("Missing the server URL: mcp-bridge <server-url> [flags]");
  if (rest.length > 2 || (command === "client" && rest.length > 1)) {
    throw new UsageError(`Unexpected argument "${rest[rest.length - 1]}": see mcp-bridge --help`);
  }
  if (rest.length === 2) {
    const port = rest[1]!;
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw new UsageError(`Cannot parse callback port "${port}": expected a number from 1 to 65535`);
    }
    throw new UsageError(
      `The callback port argument is not implemented yet: OAuth sign-in arrives in a later release of mcp-bridge`,
    );
  }

  const allowHttp = values["allow-http"] ?? false;
  const serverUrl = parseServerUrl(rest[0]!, allowHttp);

  const transport = (values.transport ?? "http-first") as TransportMode;
  if (!TRANSPORT_MODES.includes(transport)) {
    throw new UsageError(
      `Cannot use --transport "${values.transport}": expected one of ${TRANSPORT_MODES.join(", ")}`,
    );
  }
  if (values.protocol !== undefined && values.protocol !== "legacy") {
    if (values.protocol === "auto" || values.protocol === "modern") {
      throw new UsageError(
        `Option --protocol ${values.protocol} is not implemented yet: the 2026-07-28 era arrives in a later release`,
      );
    }
    throw new UsageError(`Cannot use --protocol "${values.protocol}": expected legacy, auto or modern`);
  }

  let connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
  if (values["connect-timeout"] !== undefined) {
    try {
      connectTimeoutMs = parseDuration(values["connect-timeout"]);
    } catch (error) {
      throw new UsageError(`Cannot use --connect-timeout: ${(error as Error).message}`);
    }
    if (connectTimeoutMs <= 0) throw new UsageError("Cannot use --connect-timeout: it must be positive");
    if (connectTimeoutMs > MAX_TIMER_MS) {
      throw new UsageError(
        "Cannot use --connect-timeout: it must be at most 596h (the longest timer there is)",
      );
    }
  }

  let headers: HeaderTemplate[];
  try {
    headers = (values.header ?? []).map((h) => parseHeader(h, "--header"));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  return {
    kind: "run",
    options: {
      command,
      serverUrl,
      headers,
      headerFiles: values["header-file"] ?? [],
      allowHttp,
      transport,
      debug: values.debug ?? false,
      silent: values.silent ?? false,
      ignoreTools: values["ignore-tool"] ?? [],
      includeTools: values["include-tool"] ?? [],
      configDir: values["config-dir"],
      connectTimeoutMs,
    },
  };
}
