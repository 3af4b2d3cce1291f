/**
 * The command line: `mcp-bridge <server-url> [callback-port] [flags]` and its subcommands.
 * Pure: argv in, options or a usage error out.
 *
 * @module
 */

import { type FlagValues, parseFlags } from "./_parse_flags.ts";
import { type HeaderTemplate, parseHeader } from "./headers.ts";
import { parseDuration } from "./duration.ts";
import { parseSize } from "./size.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../net/bounded_body.ts";
import { TRANSPORT_MODES, type TransportMode } from "../transport/fallback.ts";
import { isLoopbackHost } from "../net/address.ts";
import { type NetworkSettings, parseProxy } from "../net/http_client.ts";
import { splitCommand } from "./command_split.ts";
import { didYouMean, urlWithScheme } from "./suggest.ts";
import { DEFAULT_RECONNECT, type ReconnectSettings } from "../transport/reconnect.ts";
import { DEFAULT_LIVENESS, DEFAULT_PING_INTERVAL_MS, type LivenessSettings } from "../transport/liveness.ts";

/** The subcommands. */
export type Command = "bridge" | "client" | "login" | "logout" | "status";

/** The OAuth settings from the command line. */
export interface AuthOptions {
  /** The callback port (positional or `--callback-port`); absent: derived from the store key. */
  callbackPort: number | undefined;
  /** `--host`: the redirect URI's host (default `localhost`). */
  host: string;
  /** `--callback-path` (default `/oauth/callback`). */
  callbackPath: string;
  /** `--auth-success-url`. */
  authSuccessUrl: string | undefined;
  /** `--auth-timeout` in milliseconds (default 300 s). */
  authTimeoutMs: number;
  /** `--static-oauth-client-metadata`: JSON text or `@file`. */
  staticClientMetadata: string | undefined;
  /** `--static-oauth-client-info`: JSON text or `@file`, `${VAR}` expanded later. */
  staticClientInfo: string | undefined;
  /** `--client-metadata-url`. */
  clientMetadataUrl: string | undefined;
  /** Which grant signs in. */
  grant:
    | "authorization_code"
    | "client_credentials"
    | "device_code"
    | "workload_identity"
    | "enterprise_managed";
  /** `--token-endpoint` (with `--client-credentials` or `--workload-token-file`). */
  tokenEndpoint: string | undefined;
  /** `--workload-token-file`: the workload's identity token (workload identity federation). */
  workloadTokenFile: string | undefined;
  /** `--workload-token-command`: a program that prints the workload's identity token (no shell). */
  workloadTokenCommand: string[] | undefined;
  /** `--enterprise-idp`: JSON text or `@file` (enterprise-managed authorization), `${VAR}` expanded later. */
  enterpriseIdp: string | undefined;
  /** `--store`: where credentials live (default `file`; `keychain` falls back to it with a warning). */
  store: "file" | "keychain" | "memory";
  /** `--idp-profile`: an identity provider's quirks (default `auto`: recognised by the issuer). */
  idpProfile: "auto" | "none" | "entra" | "auth0" | "google";
  /** `--use-id-token`. */
  useIdToken: boolean;
  /** `--resource` (a URI), `null` when disabled (`--resource ""` or `--disable-resource-parameter`). */
  resource: string | null | undefined;
  /** `--authorize-param` pairs. */
  authorizeParams: [string, string][];
  /** `--no-browser`: print the URL instead of opening a browser. */
  noBrowser: boolean;
}

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
  /** `--protocol`: the server's era, detected (`auto`, default) or forced. */
  protocol: "auto" | "legacy" | "modern";
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
  /** `--max-message-size`: the largest message, JSON body or SSE event accepted from the server. */
  maxMessageBytes: number;
  /** `--proxy`, `--ca-file`, `--client-cert`, `--client-key`. */
  network: NetworkSettings;
  /** `--no-reconnect`, `--reconnect-max-delay`, `--reconnect-max-duration` (and up-mcp-bridge's forms). */
  reconnect: ReconnectSettings;
  /** `--header-command`: the credential helper, as a program and its arguments. */
  headerCommand?: string[];
  /** `--disable-cookies`: do not keep the server's cookies. */
  disableCookies: boolean;
  /** `--stall-probe`, `--keep-alive`, `--ping-interval`: when to check the server with a ping. */
  liveness: LivenessSettings;
  /** `--headers-timeout`: the longest wait for a response's headers (none by default). */
  headersTimeoutMs?: number;
  /** `--request-timeout`: the longest wait for the answer to a host request (none by default). */
  requestTimeoutMs?: number;
  /** `--body-timeout`: the longest wait for the next chunk of a response (none by default). */
  bodyTimeoutMs?: number;
  /** OAuth settings. */
  auth: AuthOptions;
  /** `logout --all`. */
  all: boolean;
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

import { DEFAULT_CONNECT_TIMEOUT_MS } from "../transport/transport.ts";
export { DEFAULT_CONNECT_TIMEOUT_MS };

/** The options the command line takes, in {@linkcode parseFlags} form. */
export const OPTIONS = {
  // Implemented.
  header: { type: "string", multiple: true },
  "header-file": { type: "string", multiple: true },
  "header-command": { type: "string" },
  "allow-http": { type: "boolean" },
  transport: { type: "string" },
  protocol: { type: "string" },
  debug: { type: "boolean" },
  silent: { type: "boolean" },
  "ignore-tool": { type: "string", multiple: true },
  "include-tool": { type: "string", multiple: true },
  "config-dir": { type: "string" },
  "connect-timeout": { type: "string" },
  "max-message-size": { type: "string" },
  proxy: { type: "string" },
  "ca-file": { type: "string" },
  "client-cert": { type: "string" },
  "client-key": { type: "string" },
  "no-reconnect": { type: "boolean" },
  "reconnect-max-delay": { type: "string" },
  "reconnect-max-duration": { type: "string" },
  // up-mcp-bridge's reconnection flags (times in milliseconds), for drop-in use.
  "auto-reconnect": { type: "boolean" },
  "max-reconnect-attempts": { type: "string" },
  "reconnect-delay": { type: "string" },
  "max-reconnect-delay": { type: "string" },
  "max-reconnect-duration": { type: "string" },
  // mcp-remote's switch for the proxy variables, which mcp-bridge always honours: accepted, changes nothing.
  "enable-proxy": { type: "boolean" },
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
  "workload-token-file": { type: "string" },
  "workload-token-command": { type: "string" },
  "enterprise-idp": { type: "string" },
  "idp-profile": { type: "string" },
  store: { type: "string" },
  "token-endpoint": { type: "string" },
  "use-id-token": { type: "boolean" },
  resource: { type: "string" },
  "disable-resource-parameter": { type: "boolean" },
  "authorize-param": { type: "string", multiple: true },
  "no-browser": { type: "boolean" },
  all: { type: "boolean" },
  "headers-timeout": { type: "string" },
  "body-timeout": { type: "string" },
  ipv4: { type: "boolean" },
  "keep-alive": { type: "boolean" },
  "ping-interval": { type: "string" },
  "stall-probe": { type: "string" },
  "request-timeout": { type: "string" },
  "disable-cookies": { type: "boolean" },
} as const;

/** The default `--auth-timeout`. */
export const DEFAULT_AUTH_TIMEOUT_MS = 300_000;

/** Authorization request parameters the flow sets itself. */
const OWNED_AUTHORIZE_PARAMS = [
  "client_id",
  "redirect_uri",
  "response_type",
  "state",
  "code_challenge",
  "code_challenge_method",
];

function parsePort(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`Cannot parse ${what} "${text}": expected a number from 1 to 65535`);
  }
  return Number(text);
}

function durationFlag(text: string | undefined, flag: string, fallback: number, zeroIsNone = false): number {
  if (text === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new UsageError(`Cannot use --${flag}: ${(error as Error).message}`);
  }
  if (ms === 0 && zeroIsNone) return 0;
  if (ms <= 0) throw new UsageError(`Cannot use --${flag}: it must be positive`);
  if (ms > MAX_TIMER_MS) {
    throw new UsageError(`Cannot use --${flag}: it must be at most 596h (the longest timer there is)`);
  }
  return ms;
}

/** A timeout where `0` means none, as in mcp-remote (`--headers-timeout 0`, `--body-timeout 0`). */
function optionalTimeoutFlag(text: string | undefined, flag: string): number | undefined {
  const ms = durationFlag(text, flag, 0, true);
  return ms === 0 ? undefined : ms;
}

function httpsUrlFlag(text: string | undefined, flag: string, allowHttp: boolean): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Cannot use --${flag} "${text}": it is not an absolute URL`);
  }
  if (url.username || url.password || url.hash) {
    throw new UsageError(`Cannot use --${flag}: the URL must not contain credentials or a fragment`);
  }
  if (
    url.protocol !== "https:" && !(url.protocol === "http:" && (allowHttp || isLoopbackHost(url.hostname)))
  ) {
    throw new UsageError(
      `Cannot use --${flag} "${text}": it must be https (http only on loopback or with --allow-http)`,
    );
  }
  return url.href;
}

function commandFlag(text: string): string[] {
  try {
    return splitCommand(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** up-mcp-bridge's times: a whole number of milliseconds. */
function millisecondsFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_TIMER_MS) {
    throw new UsageError(`Cannot use --${flag} "${text}": expected a number of milliseconds`);
  }
  return Number(text);
}

/** `--stall-probe` (0 turns it off), `--keep-alive` and `--ping-interval` (seconds, as mcp-remote's). */
function livenessSettings(values: Record<string, unknown>): LivenessSettings {
  const stall = values["stall-probe"] as string | undefined;
  const probeAfterMs = stall === undefined
    ? DEFAULT_LIVENESS.probeAfterMs
    : /^0+(\.0*)?(ms|s|m|h)?$/.test(stall.trim())
    ? 0
    : durationFlag(stall, "stall-probe", DEFAULT_LIVENESS.probeAfterMs);
  const interval = values["ping-interval"] as string | undefined;
  const pingIntervalMs = interval !== undefined
    ? durationFlag(interval, "ping-interval", DEFAULT_PING_INTERVAL_MS)
    : values["keep-alive"] === true
    ? DEFAULT_PING_INTERVAL_MS
    : undefined;
  return { ...DEFAULT_LIVENESS, probeAfterMs, pingIntervalMs };
}

function reconnectSettings(values: Record<string, unknown>): ReconnectSettings {
  const text = (flag: string) => values[flag] as string | undefined;
  if (text("max-reconnect-attempts") !== undefined && !/^\d+$/.test(text("max-reconnect-attempts")!)) {
    throw new UsageError(
      `Cannot use --max-reconnect-attempts "${text("max-reconnect-attempts")}": expected a number`,
    );
  }
  const maxDelayMs = text("reconnect-max-delay") !== undefined
    ? durationFlag(text("reconnect-max-delay"), "reconnect-max-delay", DEFAULT_RECONNECT.maxDelayMs)
    : millisecondsFlag(text("max-reconnect-delay"), "max-reconnect-delay") ?? DEFAULT_RECONNECT.maxDelayMs;
  const maxDurationMs = text("reconnect-max-duration") !== undefined
    ? durationFlag(text("reconnect-max-duration"), "reconnect-max-duration", DEFAULT_RECONNECT.maxDurationMs)
    : millisecondsFlag(text("max-reconnect-duration"), "max-reconnect-duration") ??
      DEFAULT_RECONNECT.maxDurationMs;
  const initialDelayMs = Math.min(
    millisecondsFlag(text("reconnect-delay"), "reconnect-delay") ?? DEFAULT_RECONNECT.initialDelayMs,
    maxDelayMs,
  );
  return { enabled: values["no-reconnect"] !== true, initialDelayMs, maxDelayMs, maxDurationMs };
}

const COMMANDS: readonly Command[] = ["client", "login", "logout", "status"];

/** The words `mcp-bridge <word>` knows, for "did you mean" (`config`, `doctor`: dispatched by main.ts first). */
const KNOWN_WORDS: readonly string[] = [...COMMANDS, "config", "doctor", "help"];

/** The usage error for an option `parseFlags` refused, with the closest known option when one is near. */
function optionError(error: Error & { code?: string }, argv: readonly string[]): UsageError {
  const unknown = error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ? /^Unknown option '([^']+)'/.exec(error.message)?.[1]
    : undefined;
  if (unknown === undefined) {
    const message = error.message.replace(/\. To specify a positional argument.*$/s, "");
    return new UsageError(`${message}: see mcp-bridge --help`);
  }
  const names = Object.keys(OPTIONS);
  // `-header` is read as the short options -h -e -a …: name the word that was typed instead.
  const single = unknown.startsWith("--")
    ? undefined
    : argv.find((arg) => /^-[a-z][a-z-]+$/i.test(arg) && arg.includes(unknown.slice(1)));
  const typed = single ?? unknown;
  const word = typed.replace(/^--?/, "");
  const guess = single !== undefined && names.includes(word) ? word : didYouMean(word, names);
  return new UsageError(
    guess !== undefined
      ? `Unknown option ${typed}: did you mean --${guess}?`
      : `Unknown option ${typed}: see mcp-bridge --help`,
  );
}

/**
 * Refuses a first argument that is a plain word but no command (`clinet`): it can be no server URL
 * either, and reading it as one would blame the wrong argument.
 */
function checkNotACommand(word: string): void {
  if (!/^[a-z][a-z_-]*$/i.test(word)) return;
  const guess = didYouMean(word, KNOWN_WORDS);
  if (guess !== undefined) throw new UsageError(`Unknown command "${word}": did you mean ${guess}?`);
  const url = urlWithScheme(word);
  if (url !== undefined) {
    throw new UsageError(`Cannot parse server URL "${word}": the scheme is missing: did you mean ${url}?`);
  }
  throw new UsageError(
    `Unknown command "${word}": expected ${KNOWN_WORDS.join(", ")} or a server URL (https://…/mcp)`,
  );
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
    const suggestion = urlWithScheme(text);
    throw new UsageError(
      suggestion !== undefined
        ? `Cannot parse server URL "${text}": the scheme is missing: did you mean ${suggestion}?`
        : `Cannot parse server URL "${text}": expected an absolute https:// URL`,
    );
  }
  if (url.protocol === "http:") {
    if (!allowHttp && !isLoopbackHost(url.hostname)) {
      throw new UsageError(
        `Cannot use plain http for "${url.host}": use https, or pass --allow-http if you trust the network`,
      );
    }
  } else if (url.protocol !== "https:") {
    // `localhost:3000/mcp` parses, with "localhost:" as its scheme.
    const suggestion = urlWithScheme(text);
    if (suggestion !== undefined) {
      throw new UsageError(
        `Cannot parse server URL "${text}": the scheme is missing: did you mean ${suggestion}?`,
      );
    }
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
 * The first positional argument (the server URL, for commands given without their command word),
 * with the values of flags skipped as the full parser skips them; `""` when there is none. For
 * diagnosing a command line that {@linkcode parseCommandLine} may refuse.
 *
 * @example Usage
 * ```ts
 * import { serverUrlArgument } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(serverUrlArgument(["--header", "X-A: 1", "https://example.com/mcp"]), "https://example.com/mcp");
 * assert.equal(serverUrlArgument(["--debug"]), "");
 * ```
 *
 * @param argv The arguments.
 * @returns The first positional argument, or `""`.
 */
export function serverUrlArgument(argv: readonly string[]): string {
  const { positionals } = parseFlags({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
  });
  return positionals[0] ?? "";
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
    parsed = parseFlags({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw optionError(error as Error & { code?: string }, argv);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  let rest = positionals;
  let command: Command = "bridge";
  if (rest[0] === "help") return { kind: "help" };
  if (rest[0] !== undefined && (COMMANDS as string[]).includes(rest[0])) {
    command = rest[0] as Command;
    rest = rest.slice(1);
  } else if (rest[0] !== undefined) {
    checkNotACommand(rest[0]);
  }
  const all = values.all ?? false;
  if (all && command !== "logout") {
    throw new UsageError("Option --all goes with logout: mcp-bridge logout --all");
  }
  const needsUrl = command !== "status" && !(command === "logout" && all);
  if (needsUrl && rest.length === 0) {
    throw new UsageError(
      `Missing the server URL: mcp-bridge ${command === "bridge" ? "" : `${command} `}<server-url> [flags]`,
    );
  }
  const maxPositionals = command === "bridge" || command === "login" ? 2 : needsUrl ? 1 : 0;
  if (rest.length > maxPositionals) {
    throw new UsageError(`Unexpected argument "${rest[rest.length - 1]}": see mcp-bridge --help`);
  }
  let callbackPort: number | undefined;
  if (rest.length === 2) callbackPort = parsePort(rest[1]!, "callback port");
  if (values["callback-port"] !== undefined) {
    const flagPort = parsePort(values["callback-port"], "--callback-port");
    if (callbackPort !== undefined && callbackPort !== flagPort) {
      throw new UsageError(
        `Two callback ports given (${callbackPort} and --callback-port ${flagPort}): keep one`,
      );
    }
    callbackPort = flagPort;
  }

  const allowHttp = values["allow-http"] ?? false;
  const serverUrl = needsUrl ? parseServerUrl(rest[0]!, allowHttp) : new URL("https://status.invalid/");

  const transport = (values.transport ?? "http-first") as TransportMode;
  if (!TRANSPORT_MODES.includes(transport)) {
    throw new UsageError(
      `Cannot use --transport "${values.transport}": expected one of ${TRANSPORT_MODES.join(", ")}`,
    );
  }
  const protocol = (values.protocol ?? "auto") as "auto" | "legacy" | "modern";
  if (!["auto", "legacy", "modern"].includes(protocol)) {
    throw new UsageError(`Cannot use --protocol "${values.protocol}": expected auto, legacy or modern`);
  }

  const headersTimeoutMs = optionalTimeoutFlag(values["headers-timeout"], "headers-timeout");
  const bodyTimeoutMs = optionalTimeoutFlag(values["body-timeout"], "body-timeout");
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

  if (values.proxy !== undefined) {
    try {
      parseProxy(values.proxy);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if ((values["client-cert"] === undefined) !== (values["client-key"] === undefined)) {
    throw new UsageError("Cannot use a client certificate: --client-cert and --client-key go together");
  }
  const reconnect = reconnectSettings(values);
  let maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  if (values["max-message-size"] !== undefined) {
    try {
      maxMessageBytes = parseSize(values["max-message-size"]);
    } catch (error) {
      throw new UsageError(`Cannot use --max-message-size: ${(error as Error).message}`);
    }
    if (maxMessageBytes < 1024 || maxMessageBytes > 2 * 1024 ** 3) {
      throw new UsageError("Cannot use --max-message-size: it must be between 1KiB and 2GiB");
    }
  }

  let headers: HeaderTemplate[];
  try {
    headers = (values.header ?? []).map((h) => parseHeader(h, "--header"));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const auth = parseAuthOptions(values, allowHttp, callbackPort, headers);

  return {
    kind: "run",
    options: {
      auth,
      all,
      command,
      serverUrl,
      headers,
      headerFiles: values["header-file"] ?? [],
      allowHttp,
      transport,
      protocol,
      debug: values.debug ?? false,
      silent: values.silent ?? false,
      ignoreTools: values["ignore-tool"] ?? [],
      includeTools: values["include-tool"] ?? [],
      configDir: values["config-dir"],
      connectTimeoutMs,
      maxMessageBytes,
      reconnect,
      liveness: livenessSettings(values),
      disableCookies: values["disable-cookies"] ?? false,
      ...(values["header-command"] !== undefined
        ? { headerCommand: commandFlag(values["header-command"]) }
        : {}),
      ...(values["request-timeout"] !== undefined
        ? { requestTimeoutMs: durationFlag(values["request-timeout"], "request-timeout", 0) }
        : {}),
      ...(headersTimeoutMs !== undefined ? { headersTimeoutMs } : {}),
      ...(bodyTimeoutMs !== undefined ? { bodyTimeoutMs } : {}),
      network: {
        ...(values.proxy !== undefined ? { proxy: values.proxy } : {}),
        ...(values["ca-file"] !== undefined ? { caFile: values["ca-file"] } : {}),
        ...(values["client-cert"] !== undefined ? { clientCert: values["client-cert"] } : {}),
        ...(values["client-key"] !== undefined ? { clientKey: values["client-key"] } : {}),
        ...(values.ipv4 ? { ipv4: true } : {}),
      },
    },
  };
}

type Values = FlagValues<typeof OPTIONS>;

/** A Client ID Metadata Document URL: https with a path (SEP-991), never plain http. */
function clientMetadataUrl(text: string | undefined): string | undefined {
  const url = httpsUrlFlag(text, "client-metadata-url", false);
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" || parsed.pathname === "/") {
    throw new UsageError(`Cannot use --client-metadata-url "${text}": it must be https with a path`);
  }
  return url;
}

const STORE_KINDS = ["file", "keychain", "memory"] as const;

function storeFlag(text: string | undefined): AuthOptions["store"] {
  if (text === undefined) return "file";
  const found = STORE_KINDS.find((kind) => kind === text);
  if (!found) throw new UsageError(`Cannot use --store "${text}": expected one of ${STORE_KINDS.join(", ")}`);
  return found;
}

const IDP_PROFILE_NAMES = ["auto", "none", "entra", "auth0", "google"] as const;

function idpProfileFlag(text: string | undefined): AuthOptions["idpProfile"] {
  if (text === undefined) return "auto";
  const found = IDP_PROFILE_NAMES.find((name) => name === text);
  if (!found) {
    throw new UsageError(
      `Cannot use --idp-profile "${text}": expected one of ${IDP_PROFILE_NAMES.join(", ")}`,
    );
  }
  return found;
}

function parseAuthOptions(
  values: Values,
  allowHttp: boolean,
  callbackPort: number | undefined,
  headers: HeaderTemplate[],
): AuthOptions {
  const host = values.host ?? "localhost";
  // The listener binds exactly these (localhost: 127.0.0.1 and ::1); any other loopback address in
  // the redirect URI would name a port another local program could hold.
  if (host !== "localhost" && host !== "127.0.0.1") {
    throw new UsageError(
      `Cannot use --host "${host}": the redirect URI must be on this machine (localhost or 127.0.0.1)`,
    );
  }
  const callbackPath = values["callback-path"] ?? "/oauth/callback";
  if (!callbackPath.startsWith("/") || /[?#\s]/.test(callbackPath)) {
    throw new UsageError(
      `Cannot use --callback-path "${callbackPath}": it must start with "/" and have no query`,
    );
  }
  const grants = ([
    "client-credentials",
    "device-code",
    "workload-token-file",
    "workload-token-command",
    "enterprise-idp",
  ] as const)
    .filter((
      name,
    ) => values[name] !== undefined && values[name] !== false);
  if (grants.length > 1) {
    throw new UsageError(`Options ${grants.map((g) => `--${g}`).join(" and ")} exclude each other: keep one`);
  }
  if (values["workload-token-file"] === "") {
    throw new UsageError("Option --workload-token-file needs the path of the token file");
  }
  if (
    values["token-endpoint"] !== undefined && !values["client-credentials"] &&
    values["workload-token-file"] === undefined && values["workload-token-command"] === undefined
  ) {
    throw new UsageError(
      "Option --token-endpoint goes with --client-credentials, --workload-token-file or --workload-token-command",
    );
  }
  let resource: string | null | undefined = values.resource;
  if (resource === "") resource = null;
  if (values["disable-resource-parameter"]) resource = null;
  if (typeof resource === "string" && !URL.canParse(resource)) {
    throw new UsageError(`Cannot use --resource "${resource}": it is not an absolute URI`);
  }
  const authorizeParams: [string, string][] = (values["authorize-param"] ?? []).map((pair) => {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`Cannot parse --authorize-param "${pair}": expected name=value`);
    const name = pair.slice(0, eq);
    if (OWNED_AUTHORIZE_PARAMS.includes(name)) {
      throw new UsageError(`Cannot set --authorize-param ${name}: mcp-bridge sets it itself`);
    }
    if (name === "resource") throw new UsageError("Cannot set --authorize-param resource: use --resource");
    return [name, pair.slice(eq + 1)];
  });
  const hasAuthorization = headers.some((h) => h.name.toLowerCase() === "authorization");
  if (
    hasAuthorization &&
    (values["client-credentials"] || values["device-code"] || values["static-oauth-client-info"] ||
      values["workload-token-file"] !== undefined || values["workload-token-command"] !== undefined ||
      values["enterprise-idp"] !== undefined)
  ) {
    throw new UsageError("An Authorization header and OAuth sign-in options exclude each other: keep one");
  }
  return {
    callbackPort,
    host,
    callbackPath,
    authSuccessUrl: httpsUrlFlag(values["auth-success-url"], "auth-success-url", allowHttp),
    authTimeoutMs: durationFlag(values["auth-timeout"], "auth-timeout", DEFAULT_AUTH_TIMEOUT_MS),
    staticClientMetadata: values["static-oauth-client-metadata"],
    staticClientInfo: values["static-oauth-client-info"],
    clientMetadataUrl: clientMetadataUrl(values["client-metadata-url"]),
    grant: values["client-credentials"]
      ? "client_credentials"
      : values["device-code"]
      ? "device_code"
      : values["workload-token-file"] !== undefined || values["workload-token-command"] !== undefined
      ? "workload_identity"
      : values["enterprise-idp"] !== undefined
      ? "enterprise_managed"
      : "authorization_code",
    workloadTokenFile: values["workload-token-file"],
    workloadTokenCommand: values["workload-token-command"] !== undefined
      ? commandFlag(values["workload-token-command"])
      : undefined,
    enterpriseIdp: values["enterprise-idp"],
    idpProfile: idpProfileFlag(values["idp-profile"]),
    store: storeFlag(values.store),
    tokenEndpoint: httpsUrlFlag(values["token-endpoint"], "token-endpoint", allowHttp),
    useIdToken: values["use-id-token"] ?? false,
    resource,
    authorizeParams,
    noBrowser: values["no-browser"] ?? false,
  };
}
