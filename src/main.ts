/**
 * mcp-bridge: connects a stdio MCP host to a remote MCP server.
 *
 * Run it as the host's server command:
 *
 * ```sh
 * deno run --allow-net=mcp.example.com:443 jsr:@mcp-bridge/mcp-bridge https://mcp.example.com/mcp
 * ```
 *
 * This module only wires the pieces together.
 *
 * @module
 */

import { type CliOptions, parseCommandLine, UsageError } from "./cli/args.ts";
import { resolveConfigDir } from "./cli/config_dir.ts";
import { optionalEnv, requireEnv } from "./cli/env.ts";
import { type HeaderTemplate, resolveHeaders } from "./cli/headers.ts";
import { readHeaderFiles } from "./cli/header_files.ts";
import { LazyAuthHook } from "./auth/lazy_hook.ts";
import { mayHaveStoredRecord } from "./auth/stored_credentials.ts";
import { HeaderCommandHook } from "./auth/header_command.ts";
import { Bridge } from "./bridge/bridge.ts";
import { serveStdio } from "./bridge/serve_stdio.ts";
import { ToolFilter } from "./bridge/tool_filter.ts";
import { Logger } from "./log/logger.ts";
import { neutralise } from "./log/neutralise.ts";
import { LineWriter } from "./stdio/stdout_writer.ts";
import { createRemoteTransport } from "./transport/remote.ts";
import { FileEraMemory } from "./transport/era_file.ts";
import type { EraMemory } from "./transport/era_memory.ts";
import type { AuthHook, MessageSink, RemoteTransport, ResponseBytesSink } from "./transport/transport.ts";
import { createNetworkFetch, type NetworkFetch } from "./net/http_client.ts";
import { VERSION, versionText } from "./version.ts";

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/** Reads the file a network flag names, after checking the permission (named when missing). */
function readFlagFile(path: string, flag: string): string {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new UsageError(`Cannot read ${flag} ${path}: run again with --allow-read=${path}`);
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw new UsageError(`Cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Builds the transport strategy for the options (no request is sent until the first message).
 *
 * @param options The command line.
 * @param headers The final headers.
 * @param sink Where server messages go.
 * @param log The logger.
 * @returns The transport.
 */
function createTransport(
  options: CliOptions,
  headers: [string, string][],
  sink: MessageSink,
  log: Logger,
  auth: AuthHook | undefined,
  network: NetworkFetch,
  eraMemory: EraMemory | undefined,
  sinkBytes?: ResponseBytesSink,
): RemoteTransport {
  return createRemoteTransport({
    url: options.serverUrl,
    sink,
    ...(sinkBytes ? { sinkBytes } : {}),
    headers,
    fetch: network.fetch,
    freshFetch: network.fresh,
    renewConnections: network.renew,
    reach: network.reach,
    log,
    ...(auth ? { auth } : {}),
    mode: options.transport,
    protocol: options.protocol,
    connectTimeoutMs: options.connectTimeoutMs,
    maxMessageBytes: options.maxMessageBytes,
    reconnect: options.reconnect,
    liveness: options.liveness,
    ...(options.headersTimeoutMs !== undefined ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.bodyTimeoutMs } : {}),
    cookies: !options.disableCookies,
    ...(eraMemory ? { eraMemory } : {}),
  });
}

/**
 * Runs mcp-bridge with command-line arguments.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--version"]));
 * ```
 *
 * @param args The arguments after the program name.
 * @returns The exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  if (args[0] === "config") {
    // Loaded only for this command: nothing of it is on the bridge's start-up path.
    const { configMain } = await import("./config/config_command.ts");
    return await configMain(args.slice(1), writeStdout);
  }
  if (args[0] === "doctor") {
    // Loaded only for this command: nothing of it is on the bridge's start-up path.
    const { doctorMain } = await import("./doctor/doctor_command.ts");
    return await doctorMain(args.slice(1), writeStdout, readFlagFile);
  }
  const early = new Logger({ level: "error" });
  let options: CliOptions;
  let headers: [string, string][];
  let templates: HeaderTemplate[];
  try {
    const parsed = parseCommandLine(args);
    if (parsed.kind === "help") {
      // Loaded only for --help: its text is not on the bridge's start-up path.
      writeStdout((await import("./cli/help.ts")).HELP);
      return 0;
    }
    if (parsed.kind === "version") {
      writeStdout(versionText(Deno.build));
      return 0;
    }
    options = parsed.options;
    templates = [...readHeaderFiles(options.headerFiles), ...options.headers];
    headers = resolveHeaders(templates, requireEnv);
  } catch (error) {
    early.error((error as Error).message);
    return 2;
  }

  const log = new Logger({ level: options.debug ? "debug" : options.silent ? "error" : "info" });
  for (const [, value] of headers) log.addSecret(value);
  let network: NetworkFetch;
  try {
    network = createNetworkFetch(options.network, readFlagFile, (value) => log.addSecret(value));
  } catch (error) {
    log.error((error as Error).message);
    return 2;
  }
  const fetch = network.fetch;
  let closeDebugLog: (() => void) | undefined;
  const configDir = resolveConfigDir(options.configDir, Deno.build.os, optionalEnv);
  if (options.debug) {
    const dir = configDir;
    if ("missing" in dir) {
      log.warn(`No debug log file: run again with --config-dir, or --allow-env=${dir.missing}`);
    } else {
      // Loaded only with --debug: the file helpers are not on the bridge's start-up path.
      const { openDebugLog } = await import("./log/debug_file.ts");
      const opened = openDebugLog(dir.path);
      if ("problem" in opened) log.warn(opened.problem);
      else {
        log.setFile(opened.sink);
        closeDebugLog = opened.close;
        for (const warning of opened.warnings) log.warn(warning);
        log.debug(`mcp-bridge ${VERSION} debug log: ${opened.path}`);
      }
    }
  }
  log.debug(
    `Server ${options.serverUrl.href}, transport ${options.transport}, headers: ${
      headers.map(([name]) => name).join(", ") || "none"
    }`,
  );
  const filter = new ToolFilter(options.ignoreTools, options.includeTools);
  // A 2025-era server is remembered in the config dir (when the bridge may read and write there), so it is
  // not probed with server/discover at every start.
  const eraMemory = "path" in configDir
    ? new FileEraMemory({ dir: configDir.path, serverUrl: options.serverUrl, log })
    : undefined;
  // With the user's own Authorization header there is no OAuth at all: no discovery, no store.
  const ownAuthorization = headers.some(([name]) => name.toLowerCase() === "authorization");
  const shutdown = new AbortController();
  const oauthSetup = {
    signal: shutdown.signal,
    serverUrl: options.serverUrl,
    auth: options.auth,
    allowHttp: options.allowHttp,
    configDir: options.configDir,
    headers: templates,
    fetch,
    log,
  };
  const auth = options.headerCommand
    ? new HeaderCommandHook(options.headerCommand, (value) => log.addSecret(value))
    : ownAuthorization
    ? undefined
    : new LazyAuthHook(
      () => import("./auth/setup.ts").then((m) => m.createOAuthClient(oauthSetup)),
      log,
      // Nothing stored for this server: the OAuth code loads on its first 401, not before the first request.
      // A keychain record cannot be seen without the OAuth code: with --store keychain, always load it.
      () =>
        options.auth.store === "keychain"
          ? Promise.resolve(true)
          : mayHaveStoredRecord(oauthSetup, options.configDir),
    );
  try {
    if (options.command === "login" || options.command === "logout" || options.command === "status") {
      const commands = await import("./auth/commands.ts");
      // What these commands print comes partly from servers (issuers, URLs): cleaned like the log.
      const print = (text: string) => writeStdout(log.redact(neutralise(text, "\n")));
      return await commands.run(options.command, { ...oauthSetup, all: options.all, print });
    }
    if (auth instanceof LazyAuthHook) auth.warmUp();
    if (options.command === "client") {
      const { runClient } = await import("./client/client_command.ts");
      return await runClient({
        serverUrl: options.serverUrl,
        filter,
        log,
        print: writeStdout,
        connect: (sink) => createTransport(options, headers, sink, log, auth, network, eraMemory),
      });
    }
    const out = new LineWriter(Deno.stdout);
    const bridge: Bridge = new Bridge({
      transport: createTransport(
        options,
        headers,
        (text, envelope) => bridge.fromServer(text, envelope),
        log,
        auth,
        network,
        eraMemory,
        (bytes, id) => bridge.fromServerBytes(bytes, id),
      ),
      out,
      log,
      filter,
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    return await serveStdio({ bridge, stdin: Deno.stdin, out, log, onStop: () => shutdown.abort() });
  } finally {
    network.close();
    closeDebugLog?.();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
