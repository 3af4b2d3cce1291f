/**
 * `mcp-bridge config <url> [--host-app <app>] [--binary|--install] [--write] [flags]`: finds what the bridge will need for
 * this server (the server itself, and its authorization server when it asks for sign-in), then prints the
 * ready-to-paste entry for each host with the least-privilege `deno run` flags (see `permission_set.ts`,
 * `host_entries.ts`). The other flags are the bridge's own, passed through to the entry.
 *
 * @module
 */

import { parseFlags } from "../cli/_parse_flags.ts";
import { discover, fetchAuthServerMetadata } from "../auth/discover.ts";
import { parseBrowserEnv } from "../auth/browser_env.ts";
import { bearerChallenge } from "../auth/www_authenticate.ts";
import { type CliOptions, parseCommandLine, UsageError } from "../cli/args.ts";
import { optionalEnv } from "../cli/env.ts";
import { isAbsolutePath, joinPath, resolvePath } from "../fs/path.ts";
import { resolveConfigDir } from "../cli/config_dir.ts";
import { parseHeaderFile } from "../cli/headers.ts";
import { Logger } from "../log/logger.ts";
import type { FetchLike } from "../transport/transport.ts";
import { ERA_DIR_NAME } from "../transport/era_file.ts";
import {
  HOST_APPS,
  type HostApp,
  hostEntry,
  installLine,
  type LaunchCommand,
  serverName,
} from "./host_entries.ts";
import { denoPermissionFlags, type PermissionPlan } from "./permission_set.ts";
import { denoRunFlags } from "./runtime_flags.ts";
import { PROXY_VARIABLES } from "../net/reach.ts";
import { keychainToolFor } from "../auth/store/keychain_tool.ts";
import { PROBE_HEADERS, probeInitializeBody } from "../jsonrpc/probe_initialize.ts";
import { hostConfigPath, writeHostConfig } from "./host_config_file.ts";

/** The module the printed entries run (the JSR package). */
export const BRIDGE_MODULE = "jsr:@mcp-bridge/mcp-bridge";

/** What `config` was asked, besides the bridge's own flags. */
export interface ConfigRequest {
  /** The hosts to print for (all when none was named). */
  hostApps: HostApp[];
  /** `--binary`: the compiled binary instead of `deno run`. */
  binary: boolean;
  /** `--bridge-module`: what `deno run` runs (default {@linkcode BRIDGE_MODULE}; a checkout's `src/main.ts`). */
  bridgeModule: string;
  /** `--name`: the server's name in the host's configuration. */
  name?: string;
  /** `--write`: merge the entry into each host's configuration file (backed up first). */
  write: boolean;
  /**
   * `--install`: print the `deno install -g` line that bakes the flags into a command of its own, and
   * entries that run that command.
   */
  install: boolean;
  /** The bridge's own arguments: the URL first, then its flags. */
  bridgeArgv: string[];
}

/** The seams of {@linkcode runConfig}. */
export interface ConfigIo {
  /** The fetch seam (discovery). */
  fetch: FetchLike;
  /** The logger (stderr). */
  log: Logger;
  /** Writes to stdout. */
  print(text: string): void;
  /** Reads an environment variable (`undefined` when unset or not permitted). */
  env(name: string): string | undefined;
  /** Reads a file a flag names. */
  readText(path: string): string;
  /** The operating system. */
  os: typeof Deno.build.os;
  /** The working directory, to make paths absolute. */
  cwd: string;
  /** Asks the user before a file is changed (on a terminal; `true` otherwise). */
  confirm(question: string): boolean;
}

/** The options only `config` takes; the rest are the bridge's. */
const CONFIG_OPTIONS = {
  "host-app": { type: "string", multiple: true },
  binary: { type: "boolean" },
  "bridge-module": { type: "string" },
  name: { type: "string" },
  write: { type: "boolean" },
  install: { type: "boolean" },
} as const;

/**
 * Splits `config`'s arguments into its own options and the bridge's command line.
 *
 * @example Usage
 * ```ts
 * import { parseConfigArgs } from "./config_command.ts";
 * import assert from "node:assert/strict";
 *
 * const request = parseConfigArgs(["https://x/mcp", "--host-app", "cursor", "--header", "A: b"]);
 * assert.deepEqual(request.hostApps, ["cursor"]);
 * assert.deepEqual(request.bridgeArgv, ["https://x/mcp", "--header", "A: b"]);
 * ```
 *
 * @param argv The arguments after `config`.
 * @returns The request.
 * @throws {TypeError} For an unknown host application.
 */
export function parseConfigArgs(argv: readonly string[]): ConfigRequest {
  const own: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0]! : "";
    if (name in CONFIG_OPTIONS) {
      own.push(arg);
      const takesValue = CONFIG_OPTIONS[name as keyof typeof CONFIG_OPTIONS].type === "string";
      if (takesValue && !arg.includes("=") && i + 1 < argv.length) own.push(argv[++i]!);
    } else rest.push(arg);
  }
  const { values } = parseFlags({ args: own, options: CONFIG_OPTIONS, strict: true });
  const apps = values["host-app"] ?? [];
  for (const app of apps) {
    if (!(HOST_APPS as readonly string[]).includes(app)) {
      throw new TypeError(`Cannot use --host-app ${app}: expected one of ${HOST_APPS.join(", ")}`);
    }
  }
  return {
    hostApps: apps.length > 0 ? apps as HostApp[] : [...HOST_APPS],
    binary: values.binary ?? false,
    bridgeModule: values["bridge-module"] ?? BRIDGE_MODULE,
    ...(values.name !== undefined ? { name: values.name } : {}),
    write: values.write ?? false,
    install: values.install ?? false,
    bridgeArgv: rest,
  };
}

/** The `${VAR}` names of a text. */
function variablesIn(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]!);
}

/**
 * Finds what the bridge will need and prints the entries.
 *
 * @example Usage
 * ```ts ignore
 * import { parseConfigArgs, runConfig } from "./config_command.ts";
 * await runConfig(parseConfigArgs(["https://mcp.example.com/mcp", "--host-app", "cursor"]), io);
 * ```
 *
 * @param request What was asked.
 * @param io The seams.
 * @returns The exit code.
 */
export async function runConfig(request: ConfigRequest, io: ConfigIo): Promise<number> {
  const parsed = parseCommandLine(request.bridgeArgv);
  if (parsed.kind !== "run") throw new UsageError("Cannot make a configuration without a server URL");
  if (request.install && request.binary) {
    throw new UsageError(
      "Cannot use --install with --binary: the binary has its permissions baked in already",
    );
  }
  const options = parsed.options;
  const plan = await planFor(options, io);
  const bridgeArgs = withAbsoluteConfigDir(request.bridgeArgv, plan.configDir, io.cwd);
  const name = request.name ?? serverName(options.serverUrl);
  const denoFlags = [...denoRunFlags(request.bridgeModule), ...denoPermissionFlags(plan)];
  const launch: LaunchCommand = request.binary
    ? { name, command: "mcp-bridge", args: bridgeArgs }
    : request.install
    ? { name, command: `mcp-bridge-${name}`, args: [] }
    : { name, command: "deno", args: ["run", ...denoFlags, request.bridgeModule, ...bridgeArgs] };
  const blocks = request.hostApps.map((app) =>
    request.hostApps.length === 1 ? hostEntry(app, launch) : `# ${app}\n${hostEntry(app, launch)}`
  );
  if (request.install) {
    // The words are printed as they are (header templates included): this is output, not a log line.
    io.print(`${installLine(name, denoFlags, request.bridgeModule, bridgeArgs)}\n\n`);
  }
  io.print(`${blocks.join("\n\n")}\n`);
  if (request.write) {
    for (const app of request.hostApps) {
      const path = hostConfigPath(app, io.os, io.env, io.cwd);
      if (path === undefined) {
        io.log.info(`${app} is configured with a command: run the line above`);
        continue;
      }
      if (!io.confirm(`Add "${launch.name}" to ${path}?`)) continue;
      const { backup } = await writeHostConfig(path, app, launch);
      io.log.info(`Added "${launch.name}" to ${path}${backup ? ` (the old file is in ${backup})` : ""}`);
    }
  }
  if (request.install) {
    io.log.info(`Run the deno install line first: it installs "mcp-bridge-${name}", which the entries run`);
  } else if (!request.binary) {
    io.log.info(
      "To bake these flags into a command of its own (deno install -g), run this again with --install",
    );
  }
  const toSet = plan.envVars.filter((name) => name !== "BROWSER" && !PROXY_VARIABLES.includes(name));
  if (toSet.length > 0) {
    io.log.info(`Set ${toSet.join(", ")} in the host's environment for this server (its "env" setting)`);
  }
  return 0;
}

/** A JSON flag's object, inline or `@file` (`undefined` when it cannot be read: the bridge reports it when it runs). */
function jsonFlag(text: string | undefined, io: ConfigIo): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text.startsWith("@") ? io.readText(text.slice(1)) : text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The permission plan: discovery of the authorization server, then what the flags name. */
async function planFor(options: CliOptions, io: ConfigIo): Promise<PermissionPlan> {
  const authUrls = await authorizationUrls(options, io);
  const signsIn = authUrls.length > 0;
  const grant = options.auth.grant;
  // `--enterprise-idp` without an ID token: the user signs in at the identity provider in the browser.
  const idpSignIn = grant === "enterprise_managed" &&
    jsonFlag(options.auth.enterpriseIdp, io)?.id_token === undefined;
  const browserSignIn = signsIn && (grant === "authorization_code" || idpSignIn);
  // The proxy variables: readable, the bridge knows whether it connects directly (see `reach.ts`).
  const envVars: string[] = options.network.proxy === undefined ? [...PROXY_VARIABLES] : [];
  const readFiles: string[] = [];
  const runPrograms: string[] = [];
  const absolute = (path: string) => isAbsolutePath(path) ? path : resolvePath(io.cwd, path);
  for (const header of options.headers) envVars.push(...variablesIn(header.template));
  for (const path of options.headerFiles) {
    readFiles.push(absolute(path));
    for (const header of parseHeaderFile(io.readText(path), path)) {
      envVars.push(...variablesIn(header.template));
    }
  }
  for (const text of [options.auth.staticClientInfo, options.auth.staticClientMetadata]) {
    if (text === undefined) continue;
    if (text.startsWith("@")) readFiles.push(absolute(text.slice(1)));
    else envVars.push(...variablesIn(text));
  }
  for (const path of [options.network.caFile, options.network.clientCert, options.network.clientKey]) {
    if (path !== undefined) readFiles.push(absolute(path));
  }
  // Files named inside the JSON flags: a private key, the enterprise IdP's ID token; and the IdP itself.
  const key = jsonFlag(options.auth.staticClientInfo, io)?.private_key;
  if (typeof key === "string" && key.startsWith("@")) readFiles.push(absolute(key.slice(1)));
  const idp = jsonFlag(options.auth.enterpriseIdp, io);
  if (options.auth.enterpriseIdp?.startsWith("@")) {
    readFiles.push(absolute(options.auth.enterpriseIdp.slice(1)));
  }
  if (typeof idp?.id_token === "string" && idp.id_token.startsWith("@")) {
    readFiles.push(absolute(idp.id_token.slice(1)));
  }
  for (const url of [idp?.token_endpoint, idp?.issuer]) {
    if (typeof url === "string" && URL.canParse(url)) authUrls.push(new URL(url));
  }
  // A browser sign-in at the identity provider fetches its token endpoint and key set, which may be on
  // other hosts than its issuer (Google's are).
  if (idpSignIn && typeof idp?.issuer === "string" && URL.canParse(idp.issuer)) {
    authUrls.push(...await identityProviderUrls(idp.issuer, options, io));
  }
  if (options.auth.workloadTokenFile !== undefined) readFiles.push(absolute(options.auth.workloadTokenFile));
  if (options.auth.workloadTokenCommand) runPrograms.push(options.auth.workloadTokenCommand[0]!);
  if (options.auth.store === "keychain") {
    // secret-tool, security or powershell.exe: the program the bridge will query and run.
    const tool = keychainToolFor(io.os);
    if (tool) runPrograms.push(tool.program);
  }
  if (options.headerCommand) runPrograms.push(options.headerCommand[0]!);
  if (browserSignIn && !options.auth.noBrowser) {
    const browser = io.env("BROWSER");
    if (browser !== undefined) {
      envVars.push("BROWSER");
      for (const entry of parseBrowserEnv(browser, io.os)) {
        if (entry.kind === "program") runPrograms.push(entry.command);
      }
    } else runPrograms.push(io.os === "darwin" ? "open" : io.os === "windows" ? "rundll32" : "xdg-open");
  }
  // The config dir holds the credentials when someone signs in, the debug log, and the era memory: a server
  // that speaks only the 2025 era is not probed with server/discover again at each start (one round trip).
  let configDir: string | undefined;
  let configGrant: string | undefined;
  const needsDir = signsIn || options.debug;
  // Only a bridge that probes (`--protocol auto`, Streamable HTTP first) remembers the era.
  const remembersEra = options.protocol === "auto" &&
    (options.transport === "http-first" || options.transport === "http-only");
  if (needsDir || remembersEra) {
    const dir = resolveConfigDir(options.configDir, io.os, io.env);
    if (!("missing" in dir)) {
      configDir = absolute(dir.path);
      // Only the era memory: the bridge may not read the credentials of the other servers.
      if (!needsDir) configGrant = joinPath(configDir, ERA_DIR_NAME);
    } else if (needsDir) {
      throw new TypeError(
        `Cannot find the config dir: pass --config-dir <absolute path>, or run config with --allow-env=${dir.missing}`,
      );
    } else {
      io.log.warn(
        `Cannot find the config dir, so the entry has none and the bridge probes the server's protocol era at ` +
          `every start: pass --config-dir <absolute path>, or run config with --allow-env=${dir.missing}`,
      );
    }
  }
  return {
    serverUrl: options.serverUrl,
    authUrls,
    browserSignIn,
    ...(options.auth.callbackPort !== undefined ? { callbackPort: options.auth.callbackPort } : {}),
    ...(options.auth.host === "127.0.0.1" ? { callbackIpv4Only: true } : {}),
    ...(configDir !== undefined ? { configDir } : {}),
    ...(configGrant !== undefined ? { configGrant } : {}),
    envVars,
    readFiles,
    runPrograms,
    ...(options.network.proxy !== undefined ? { proxyUrl: new URL(options.network.proxy) } : {}),
  };
}

/**
 * Asks the server without credentials: a 401 means sign-in, and discovery names the authorization server
 * whose endpoints the bridge will fetch (the authorization endpoint is opened in the browser, not fetched).
 */
async function authorizationUrls(options: CliOptions, io: ConfigIo): Promise<URL[]> {
  const hasAuthorization = options.headers.some((h) => h.name.toLowerCase() === "authorization");
  if (hasAuthorization || options.headerCommand) return [];
  const clientGrant = options.auth.grant === "client_credentials" ||
    options.auth.grant === "workload_identity";
  if (clientGrant && options.auth.tokenEndpoint !== undefined) {
    return [new URL(options.auth.tokenEndpoint)];
  }
  const res = await io.fetch(options.serverUrl, {
    method: "POST",
    headers: PROBE_HEADERS,
    body: probeInitializeBody("mcp-bridge-config"),
    redirect: "manual",
  });
  await res.body?.cancel().catch(() => {});
  if (res.status !== 401) {
    io.log.info(
      `The server at ${options.serverUrl.host} answered HTTP ${res.status} without asking to sign in`,
    );
    return [];
  }
  const found = await discover({
    fetch: io.fetch,
    serverUrl: options.serverUrl,
    ...(() => {
      const challenge = bearerChallenge(res.headers.get("www-authenticate"));
      return challenge ? { challenge } : {};
    })(),
    allowHttp: options.allowHttp,
    log: io.log,
  });
  io.log.info(`The server signs in with the authorization server ${found.issuer}`);
  const urls = [new URL(found.issuer)];
  for (
    const name of [
      "token_endpoint",
      "registration_endpoint",
      "revocation_endpoint",
      "device_authorization_endpoint",
    ]
  ) {
    const value = (found.metadata as Record<string, unknown>)[name];
    if (typeof value === "string") urls.push(new URL(value));
  }
  return urls;
}

/** The endpoints of an enterprise identity provider the bridge fetches: none when its metadata cannot be had. */
async function identityProviderUrls(issuer: string, options: CliOptions, io: ConfigIo): Promise<URL[]> {
  try {
    const metadata = await fetchAuthServerMetadata(
      { fetch: io.fetch, serverUrl: new URL(issuer), allowHttp: options.allowHttp, log: io.log },
      issuer,
    );
    return [metadata.token_endpoint, metadata.jwks_uri]
      .filter((value): value is string => typeof value === "string" && URL.canParse(value))
      .map((value) => new URL(value));
  } catch (error) {
    io.log.warn(
      `Cannot read the identity provider's metadata (${(error as Error).message}): only ${issuer} is granted`,
    );
    return [];
  }
}

/** The bridge's arguments with `--config-dir` absolute (and present, when a dir is needed). */
function withAbsoluteConfigDir(
  argv: readonly string[],
  configDir: string | undefined,
  cwd: string,
): string[] {
  const out: string[] = [];
  let named = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--config-dir" && i + 1 < argv.length) {
      named = true;
      const path = argv[++i]!;
      out.push(arg, isAbsolutePath(path) ? path : resolvePath(cwd, path));
    } else if (arg.startsWith("--config-dir=")) {
      named = true;
      const path = arg.slice("--config-dir=".length);
      out.push(`--config-dir=${isAbsolutePath(path) ? path : resolvePath(cwd, path)}`);
    } else out.push(arg);
  }
  if (!named && configDir !== undefined) out.push("--config-dir", configDir);
  return out;
}

/**
 * `mcp-bridge config …` from the command line: the real network, stderr, stdout and environment.
 *
 * @example Usage
 * ```ts ignore
 * import { configMain } from "./config_command.ts";
 * Deno.exit(await configMain(["https://mcp.example.com/mcp", "--host-app", "cursor"], console.log));
 * ```
 *
 * @param argv The arguments after `config`.
 * @param print Writes to stdout.
 * @returns The exit code: 0, 1 when discovery failed, 2 for a usage error.
 */
export async function configMain(argv: readonly string[], print: (text: string) => void): Promise<number> {
  const log = new Logger({ level: "info" });
  let request: ConfigRequest;
  try {
    request = parseConfigArgs(argv);
  } catch (error) {
    log.error((error as Error).message);
    return 2;
  }
  try {
    return await runConfig(request, {
      fetch,
      log,
      print,
      env: optionalEnv,
      readText: (path) => Deno.readTextFileSync(path),
      os: Deno.build.os,
      cwd: Deno.cwd(),
      // The browser-style prompt reads the terminal; without one the flag itself is the consent.
      confirm: (question) => !Deno.stdin.isTerminal() || globalThis.confirm(question),
    });
  } catch (error) {
    log.error(`Cannot make the configuration: ${(error as Error).message}`);
    // A network failure (fetch's TypeError) is not a usage error.
    return error instanceof UsageError ? 2 : 1;
  }
}
