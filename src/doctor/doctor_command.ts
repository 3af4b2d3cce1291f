/**
 * `mcp-bridge doctor <url> [bridge flags] [--json]`: a step-by-step diagnosis for a host that says
 * "server disconnected". Each step first asks the runtime for the permission it needs, and names the
 * flag when it is missing. The observations are made here; what they mean is `verdicts.ts`, how they are
 * shown `render.ts`.
 *
 * @module
 */

import { PROBE_HEADERS, probeInitializeBody } from "../jsonrpc/probe_initialize.ts";
import { discover } from "../auth/discover.ts";
import { bearerChallenge } from "../auth/www_authenticate.ts";
import { FileStore } from "../auth/store/file_store.ts";
import {
  type CliOptions,
  parseCommandLine,
  parseServerUrl,
  serverUrlArgument,
  UsageError,
} from "../cli/args.ts";
import { readHeaderFiles } from "../cli/header_files.ts";
import { resolveHeaders } from "../cli/headers.ts";
import { resolveConfigDir } from "../cli/config_dir.ts";
import { optionalEnv, requireEnv } from "../cli/env.ts";
import { HOST_APPS } from "../config/host_entries.ts";
import { hostConfigPath } from "../config/host_config_file.ts";
import { Logger } from "../log/logger.ts";
import { neutralise } from "../log/neutralise.ts";
import { createNetworkFetch } from "../net/http_client.ts";
import { PROXY_VARIABLES } from "../net/reach.ts";
import { networkReason } from "../transport/_http.ts";
import type { FetchLike } from "../transport/transport.ts";
import { readFirstMessage } from "./first_message.ts";
import { renderJson, renderSteps, useColour } from "./render.ts";
import { exitCode, type Step, step, STEP_NAMES } from "./step.ts";
import {
  connectErrorKind,
  type CredentialOutcome,
  credentialsStep,
  deniedNetHost,
  discoveryStep,
  type FetchOutcome,
  type HostConfigFinding,
  hostConfigsStep,
  type InitializeAnswer,
  initializeStep,
  netHost,
  type ProxyOutcome,
  proxyStep,
  type TcpOutcome,
  tcpStep,
  tlsStep,
} from "./verdicts.ts";

/** The longest wait for the TCP connection. */
export const TCP_TIMEOUT_MS = 5_000;

/** What `doctor` was asked. */
export interface DoctorRequest {
  /** `--json`: one JSON document instead of the table. */
  json: boolean;
  /** The bridge's own arguments: the URL first, then its flags. */
  bridgeArgv: string[];
}

/**
 * Splits `doctor`'s arguments into its own option (`--json`) and the bridge's command line.
 *
 * @example Usage
 * ```ts
 * import { parseDoctorArgs } from "./doctor_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseDoctorArgs(["https://x/mcp", "--json", "--proxy", "http://p:1"]), {
 *   json: true,
 *   bridgeArgv: ["https://x/mcp", "--proxy", "http://p:1"],
 * });
 * ```
 *
 * @param argv The arguments after `doctor`.
 * @returns The request.
 */
export function parseDoctorArgs(argv: readonly string[]): DoctorRequest {
  return { json: argv.includes("--json"), bridgeArgv: argv.filter((arg) => arg !== "--json") };
}

async function granted(descriptor: Deno.PermissionDescriptor): Promise<boolean> {
  return (await Deno.permissions.query(descriptor)).state === "granted";
}

async function proxyInUse(options: CliOptions): Promise<ProxyOutcome> {
  if (options.network.proxy !== undefined) return { kind: "flag", proxy: options.network.proxy };
  const unreadable: string[] = [];
  for (const variable of PROXY_VARIABLES) {
    if (!(await granted({ name: "env", variable }))) unreadable.push(variable);
  }
  for (const variable of PROXY_VARIABLES) {
    if (unreadable.includes(variable)) continue;
    const value = Deno.env.get(variable);
    if (value) return { kind: "env", variable, proxy: value };
  }
  return unreadable.length > 0 ? { kind: "unreadable", variables: unreadable } : { kind: "none" };
}

async function tcpConnect(url: URL): Promise<TcpOutcome> {
  if (!(await granted({ name: "net", host: netHost(url) }))) return { kind: "no-permission" };
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const attempt = Deno.connect({ hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), TCP_TIMEOUT_MS)));
  try {
    const result = await Promise.race([attempt, late]);
    if (result === "late") {
      attempt.then((conn) => conn.close(), () => {});
      return { kind: "timeout", message: "no answer" };
    }
    result.close();
    return { kind: "open" };
  } catch (error) {
    const { name, message } = error as Error;
    return { kind: connectErrorKind(name, message), message: neutralise(message) };
  } finally {
    clearTimeout(timer);
  }
}

const INITIALIZE_BODY = probeInitializeBody("mcp-bridge-doctor");

/** The unauthenticated initialize POST, and the `WWW-Authenticate` of a 401. */
async function initialize(
  url: URL,
  fetch: FetchLike,
  timeoutMs: number,
  userHeaders: readonly [string, string][],
): Promise<{ outcome: FetchOutcome; answer?: InitializeAnswer; challenge?: string | null }> {
  if (!(await granted({ name: "net", host: netHost(url) }))) return { outcome: { kind: "no-permission" } };
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      // The user's headers (an API key, a static token) go with it, as the bridge would send them.
      headers: [...userHeaders, ...Object.entries(PROBE_HEADERS)],
      body: INITIALIZE_BODY,
      redirect: "manual",
      signal,
    });
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${timeoutMs / 1000} s` : networkReason(error);
    return { outcome: { kind: "error", reason: neutralise(reason) } };
  }
  const answer: InitializeAnswer = { status: res.status, contentType: res.headers.get("content-type") };
  if (res.ok) {
    try {
      const message = await readFirstMessage(res);
      if (message !== undefined) answer.message = message;
    } catch {
      // No message: the step says so.
    }
    const session = res.headers.get("mcp-session-id");
    if (session) {
      // The session the probe opened is closed again (a server without DELETE answers 405: fine).
      await fetch(url, { method: "DELETE", headers: [...userHeaders, ["mcp-session-id", session]], signal })
        .then((r) => r.body?.cancel(), () => {});
    }
  } else await res.body?.cancel().catch(() => {});
  return { outcome: { kind: "response" }, answer, challenge: res.headers.get("www-authenticate") };
}

async function discovery(
  options: CliOptions,
  fetch: FetchLike,
  challengeHeader: string | null | undefined,
  log: Logger,
): Promise<Step> {
  const challenge = bearerChallenge(challengeHeader ?? null);
  try {
    const found = await discover({
      fetch,
      serverUrl: options.serverUrl,
      ...(challenge ? { challenge } : {}),
      allowHttp: options.allowHttp,
      log,
    });
    const metadata = found.metadata;
    const fetched = [
      found.issuer,
      metadata.token_endpoint,
      metadata.registration_endpoint,
      metadata.revocation_endpoint,
    ].filter((u): u is string => typeof u === "string");
    const missing = new Set<string>();
    for (const text of fetched) {
      const host = netHost(new URL(text));
      if (!(await granted({ name: "net", host }))) missing.add(host);
    }
    return discoveryStep({
      issuer: found.issuer,
      ...(metadata.code_challenge_methods_supported
        ? { pkceMethods: metadata.code_challenge_methods_supported }
        : {}),
      ...(metadata.registration_endpoint ? { registrationEndpoint: metadata.registration_endpoint } : {}),
      cimd: metadata.client_id_metadata_document_supported === true,
      staticClient: options.auth.staticClientInfo !== undefined,
      missingHosts: [...missing],
    });
  } catch (error) {
    const message = neutralise((error as Error).message);
    const host = deniedNetHost(message);
    return host !== undefined
      ? step(
        STEP_NAMES.discovery,
        "fail",
        `no permission to fetch ${host}`,
        `run again with --allow-net=${host}`,
      )
      : step(
        STEP_NAMES.discovery,
        "fail",
        `discovery failed: ${message}`,
        "check the server's OAuth metadata",
      );
  }
}

async function credentials(options: CliOptions, log: Logger): Promise<CredentialOutcome> {
  const dir = resolveConfigDir(options.configDir, Deno.build.os, optionalEnv);
  if ("missing" in dir) return { kind: "no-dir", variable: dir.missing };
  if (!(await granted({ name: "read", path: dir.path }))) return { kind: "no-read", dir: dir.path };
  try {
    const entries = await new FileStore({ dir: dir.path, log }).list();
    return {
      kind: "records",
      dir: dir.path,
      // Only what the step shows: never a token or a secret.
      records: entries.filter(({ record }) => record.server_url === options.serverUrl.href).map((
        { record },
      ) => ({
        ...(record.issuer !== undefined ? { issuer: record.issuer } : {}),
        hasAccessToken: record.tokens?.access_token !== undefined,
        ...(record.tokens?.expires_at !== undefined ? { expiresAt: record.tokens.expires_at } : {}),
        refreshable: record.tokens?.refresh_token !== undefined,
      })),
    };
  } catch (error) {
    return { kind: "error", message: neutralise((error as Error).message) };
  }
}

async function hostConfigs(url: URL, cwd: string): Promise<HostConfigFinding[]> {
  const findings: HostConfigFinding[] = [];
  const spellings = [url.href, url.href.replace(/\/$/, "")];
  for (const app of HOST_APPS) {
    let path: string | undefined;
    try {
      path = hostConfigPath(app, Deno.build.os, optionalEnv, cwd);
    } catch (error) {
      const variable = /--allow-env=(\w+)/.exec((error as Error).message)?.[1] ?? "HOME";
      findings.push({ app, kind: "no-env", variable });
      continue;
    }
    if (path === undefined) continue; // Claude Code keeps its servers itself (`claude mcp list`).
    if (!(await granted({ name: "read", path }))) {
      findings.push({ app, kind: "no-read", path });
      continue;
    }
    try {
      const text = await Deno.readTextFile(path);
      findings.push({ app, kind: spellings.some((s) => text.includes(s)) ? "mentions" : "no-mention", path });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) findings.push({ app, kind: "absent", path });
      else findings.push({ app, kind: "error", path, message: neutralise((error as Error).message) });
    }
  }
  return findings;
}

/** The seams of {@linkcode runDoctor}. */
export interface DoctorIo {
  /** Reads the file a network flag names (`--ca-file`, …). */
  readFlagFile(path: string, flag: string): string;
  /** The logger (stderr) for discovery and the store. */
  log: Logger;
  /** The working directory (VS Code's file belongs to the workspace). */
  cwd: string;
  /** The clock. */
  now(): number;
}

/**
 * Runs every step against the real network and files.
 *
 * @example Usage
 * ```ts ignore
 * import { runDoctor } from "./doctor_command.ts";
 * const steps = await runDoctor(["https://mcp.example.com/mcp"], io);
 * ```
 *
 * @param bridgeArgv The URL and the bridge's flags.
 * @param io The seams.
 * @returns The steps, in order.
 * @throws {UsageError} For flags the bridge would refuse.
 */
export async function runDoctor(bridgeArgv: readonly string[], io: DoctorIo): Promise<Step[]> {
  const text = serverUrlArgument(bridgeArgv);
  try {
    parseServerUrl(text, bridgeArgv.includes("--allow-http"));
  } catch (error) {
    return [
      step(
        STEP_NAMES.url,
        "fail",
        text === "" ? "no server URL" : (error as Error).message,
        "pass the MCP endpoint's full URL, e.g. https://mcp.example.com/mcp",
      ),
    ];
  }
  const parsed = parseCommandLine(bridgeArgv);
  if (parsed.kind !== "run") throw new UsageError("Cannot diagnose without a server URL");
  const options = parsed.options;
  const url = options.serverUrl;
  const steps: Step[] = [step(STEP_NAMES.url, "ok", `${url.protocol.slice(0, -1)}, host ${url.host}`)];
  let userHeaders: [string, string][] = [];
  if (options.headers.length > 0 || options.headerFiles.length > 0) {
    try {
      userHeaders = resolveHeaders([...readHeaderFiles(options.headerFiles), ...options.headers], requireEnv);
      for (const [, value] of userHeaders) io.log.addSecret(value);
    } catch (error) {
      // The bridge would stop here too, with the same message.
      steps.push(
        step(STEP_NAMES.headers, "fail", neutralise((error as Error).message), "fix the header flags"),
      );
      return steps;
    }
    steps.push(step(STEP_NAMES.headers, "ok", `sent: ${userHeaders.map(([name]) => name).join(", ")}`));
  }

  const proxy = await proxyInUse(options);
  const viaProxy = proxy.kind === "flag" || proxy.kind === "env";
  const tcp = viaProxy ? { kind: "proxy" as const, proxy: proxyStep(proxy).detail } : await tcpConnect(url);
  steps.push(tcpStep(url, tcp, TCP_TIMEOUT_MS));

  const network = createNetworkFetch(options.network, io.readFlagFile, (value) => io.log.addSecret(value));
  let probe: Awaited<ReturnType<typeof initialize>>;
  try {
    probe = tcp.kind === "open" || tcp.kind === "proxy"
      ? await initialize(url, network.fetch, Math.min(options.connectTimeoutMs, 30_000), userHeaders)
      : { outcome: { kind: "skipped", why: "not sent: the server cannot be reached" } };
    steps.push(tlsStep(url, probe.outcome));
    steps.push(proxyStep(proxy));
    steps.push(initializeStep(url, probe.outcome, probe.answer));
    const signInNeeded = probe.answer?.status === 401;
    steps.push(
      signInNeeded ? await discovery(options, network.fetch, probe.challenge, io.log) : step(
        STEP_NAMES.discovery,
        "skip",
        probe.answer ? "the server did not ask to sign in" : "not checked: no answer from the server",
      ),
    );
    const asked = probe.answer ? signInNeeded : undefined;
    steps.push(credentialsStep(url.href, await credentials(options, io.log), asked, io.now()));
  } finally {
    network.close();
  }
  steps.push(hostConfigsStep(url.href, await hostConfigs(url, io.cwd)));
  return steps;
}

/**
 * `mcp-bridge doctor …` from the command line: the real network, files, stdout and stderr.
 *
 * @example Usage
 * ```ts ignore
 * import { doctorMain } from "./doctor_command.ts";
 * Deno.exit(await doctorMain(["https://mcp.example.com/mcp"], console.log));
 * ```
 *
 * @param argv The arguments after `doctor`.
 * @param print Writes to stdout.
 * @param readFlagFile Reads the file a network flag names (the permission checked first).
 * @returns 0 when the bridge can use the server, 1 when it cannot, 2 for a usage error.
 */
export async function doctorMain(
  argv: readonly string[],
  print: (text: string) => void,
  readFlagFile: (path: string, flag: string) => string,
): Promise<number> {
  const log = new Logger({ level: "error" });
  const request = parseDoctorArgs(argv);
  let steps: Step[];
  try {
    steps = await runDoctor(request.bridgeArgv, { readFlagFile, log, cwd: Deno.cwd(), now: Date.now });
  } catch (error) {
    log.error(`Cannot diagnose: ${(error as Error).message}`);
    return 2;
  }
  const server = serverUrlArgument(request.bridgeArgv);
  print(
    request.json
      ? renderJson(server, steps)
      : renderSteps(steps, { colour: useColour(Deno.stdout.isTerminal(), optionalEnv("NO_COLOR")) }),
  );
  return exitCode(steps);
}
