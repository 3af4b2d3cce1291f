/**
 * What each step of `mcp-bridge doctor` concludes from what was observed: the observations come from
 * `doctor_command.ts` (the I/O), the steps from here. Pure.
 *
 * @module
 */

import { describeNetworkSetupFailure } from "../transport/http_errors.ts";
import { type Step, step, STEP_NAMES } from "./step.ts";

/**
 * The `host:port` Deno's `--allow-net` needs for a URL (the default port of its scheme when none is given).
 *
 * @example Usage
 * ```ts
 * import { netHost } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(netHost(new URL("https://mcp.example.com/mcp")), "mcp.example.com:443");
 * assert.equal(netHost(new URL("http://[::1]:8080/")), "[::1]:8080");
 * ```
 *
 * @param url The URL.
 * @returns `host:port`.
 */
export function netHost(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

/** What opening a TCP connection to the server's host gave. */
export type TcpOutcome =
  | { kind: "open" }
  | { kind: "no-permission" }
  | { kind: "proxy"; proxy: string }
  | { kind: "dns" | "refused" | "timeout" | "other"; message: string };

/**
 * The TCP step.
 *
 * @example Usage
 * ```ts
 * import { tcpStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * const url = new URL("https://mcp.example.com/mcp");
 * assert.equal(tcpStep(url, { kind: "open" }).status, "ok");
 * const denied = tcpStep(url, { kind: "no-permission" });
 * assert.equal(denied.status, "fail");
 * assert.match(denied.next!, /--allow-net=mcp\.example\.com:443/);
 * ```
 *
 * @param url The server URL.
 * @param outcome What happened.
 * @param timeoutMs The longest wait, for the detail.
 * @returns The step.
 */
export function tcpStep(url: URL, outcome: TcpOutcome, timeoutMs = 5_000): Step {
  const host = netHost(url);
  switch (outcome.kind) {
    case "open":
      return step(STEP_NAMES.tcp, "ok", `${host} accepts connections`);
    case "proxy":
      return step(STEP_NAMES.tcp, "skip", `connections go through the proxy ${outcome.proxy}`);
    case "no-permission":
      return step(
        STEP_NAMES.tcp,
        "fail",
        `no permission to connect to ${host}`,
        `run again with --allow-net=${host}`,
      );
    case "dns":
      return step(
        STEP_NAMES.tcp,
        "fail",
        `cannot resolve ${url.hostname} (DNS: ${outcome.message})`,
        "check the host name in the URL, and this machine's DNS or VPN",
      );
    case "refused":
      return step(
        STEP_NAMES.tcp,
        "fail",
        `${host} refused the connection (${outcome.message})`,
        "check that the server runs and listens on that port, and the port in the URL",
      );
    case "timeout":
      return step(
        STEP_NAMES.tcp,
        "fail",
        `no answer from ${host} within ${timeoutMs / 1000} s`,
        "check the network, a firewall or VPN, or whether a proxy is needed (--proxy)",
      );
    default:
      return step(
        STEP_NAMES.tcp,
        "fail",
        `cannot connect to ${host}: ${outcome.message}`,
        "check the URL and your network",
      );
  }
}

/**
 * Sorts a connection error into DNS failure, refusal, or something else.
 *
 * @example Usage
 * ```ts
 * import { connectErrorKind } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(connectErrorKind("ConnectionRefused", "Connection refused (os error 111)"), "refused");
 * assert.equal(connectErrorKind("Error", "failed to lookup address information: Name or service not known"), "dns");
 * ```
 *
 * @param errorName The error's name (`ConnectionRefused`, …).
 * @param message Its message.
 * @returns The kind.
 */
export function connectErrorKind(errorName: string, message: string): "dns" | "refused" | "other" {
  if (errorName === "ConnectionRefused" || /refused/i.test(message)) return "refused";
  if (/lookup|resolve|name or service|nodename|no such host|dns|getaddrinfo/i.test(message)) return "dns";
  return "other";
}

/** What the unauthenticated initialize POST gave at the network level. */
export type FetchOutcome =
  | { kind: "response" }
  | { kind: "no-permission" }
  | { kind: "skipped"; why: string }
  | { kind: "error"; reason: string };

/**
 * The TLS step: `skip` for http, `ok` once an https response arrived, `fail` naming the fix for a
 * certificate error (see `describeNetworkSetupFailure`).
 *
 * @example Usage
 * ```ts
 * import { tlsStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * const url = new URL("https://mcp.corp/mcp");
 * const bad = tlsStep(url, { kind: "error", reason: "invalid peer certificate: UnknownIssuer" });
 * assert.equal(bad.status, "fail");
 * assert.match(bad.next!, /--ca-file/);
 * assert.equal(tlsStep(new URL("http://127.0.0.1:1/"), { kind: "response" }).status, "skip");
 * ```
 *
 * @param url The server URL.
 * @param outcome What the fetch gave.
 * @returns The step.
 */
export function tlsStep(url: URL, outcome: FetchOutcome): Step {
  if (url.protocol !== "https:") return step(STEP_NAMES.tls, "skip", "plain http: no TLS");
  if (outcome.kind === "response") {
    return step(STEP_NAMES.tls, "ok", `the certificate of ${url.host} is trusted`);
  }
  if (outcome.kind === "error") {
    const described = describeNetworkSetupFailure(netHost(url), outcome.reason);
    if (described !== undefined) {
      const at = described.lastIndexOf(": ");
      return step(STEP_NAMES.tls, "fail", described.slice(0, at), described.slice(at + 2));
    }
    if (/certificate|tls|handshake|ssl/i.test(outcome.reason)) {
      return step(
        STEP_NAMES.tls,
        "fail",
        outcome.reason,
        "check the server's certificate, or pass --ca-file <pem>",
      );
    }
    return step(STEP_NAMES.tls, "skip", `not known: the request failed (${outcome.reason})`);
  }
  return step(STEP_NAMES.tls, "skip", "not checked: no request was sent");
}

/** Which proxy the bridge would use. */
export type ProxyOutcome =
  | { kind: "flag"; proxy: string }
  | { kind: "env"; variable: string; proxy: string }
  | { kind: "none" }
  | { kind: "unreadable"; variables: string[] };

/**
 * The proxy step (a proxy's credentials are never shown).
 *
 * @example Usage
 * ```ts
 * import { proxyStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(proxyStep({ kind: "none" }).status, "ok");
 * assert.match(proxyStep({ kind: "unreadable", variables: ["HTTPS_PROXY"] }).next!, /--allow-env=HTTPS_PROXY/);
 * assert.doesNotMatch(proxyStep({ kind: "flag", proxy: "http://u:secret@p:3128" }).detail, /secret/);
 * ```
 *
 * @param outcome What was found.
 * @returns The step.
 */
export function proxyStep(outcome: ProxyOutcome): Step {
  switch (outcome.kind) {
    case "flag":
      return step(STEP_NAMES.proxy, "ok", `--proxy ${withoutCredentials(outcome.proxy)}`);
    case "env":
      return step(
        STEP_NAMES.proxy,
        "ok",
        `${outcome.variable}=${withoutCredentials(outcome.proxy)} (the runtime uses it for every request)`,
      );
    case "none":
      return step(STEP_NAMES.proxy, "ok", "none: the bridge connects directly");
    case "unreadable":
      return step(
        STEP_NAMES.proxy,
        "skip",
        "cannot tell whether a proxy variable is set",
        `run again with --allow-env=${outcome.variables.join(",")}`,
      );
  }
}

/**
 * A proxy URL without its user name and password.
 *
 * @example Usage
 * ```ts
 * import { withoutCredentials } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(withoutCredentials("http://u:p@proxy:3128"), "http://proxy:3128");
 * ```
 *
 * @param text The proxy URL.
 * @returns The URL's scheme, host and port (the text itself when it is no URL, cut after any `@`).
 */
export function withoutCredentials(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}`;
  } catch {
    return text.slice(text.lastIndexOf("@") + 1);
  }
}

/** What the unauthenticated initialize POST got back. */
export interface InitializeAnswer {
  /** The HTTP status. */
  status: number;
  /** The `Content-Type`. */
  contentType: string | null;
  /** The JSON-RPC message of the answer (from JSON or the first SSE event), when one was read. */
  message?: unknown;
}

/**
 * The initialize step.
 *
 * @example Usage
 * ```ts
 * import { initializeStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * const url = new URL("https://mcp.example.com/mcp");
 * const ok = initializeStep(url, { kind: "response" }, {
 *   status: 200,
 *   contentType: "application/json",
 *   message: { jsonrpc: "2.0", id: 0, result: { protocolVersion: "2025-11-25", serverInfo: { name: "x", version: "1" } } },
 * });
 * assert.equal(ok.status, "ok");
 * assert.match(ok.detail, /protocol 2025-11-25, server x 1/);
 * assert.match(initializeStep(url, { kind: "response" }, { status: 401, contentType: null }).detail, /sign in/);
 * assert.equal(initializeStep(url, { kind: "response" }, { status: 404, contentType: "text/html" }).status, "fail");
 * ```
 *
 * @param url The server URL.
 * @param outcome What the fetch gave at the network level.
 * @param answer The answer, when one arrived.
 * @returns The step.
 */
export function initializeStep(url: URL, outcome: FetchOutcome, answer?: InitializeAnswer): Step {
  const name = STEP_NAMES.initialize;
  if (outcome.kind === "no-permission") {
    return step(
      name,
      "fail",
      `no permission to fetch ${url.host}`,
      `run again with --allow-net=${netHost(url)}`,
    );
  }
  if (outcome.kind === "skipped") return step(name, "skip", outcome.why);
  if (outcome.kind === "error" || answer === undefined) {
    const reason = outcome.kind === "error" ? outcome.reason : "no answer";
    return step(name, "fail", `the request failed: ${reason}`, "see the TCP and TLS steps");
  }
  const type = answer.contentType?.split(";")[0]?.trim() || "no content type";
  const head = `HTTP ${answer.status} (${type})`;
  if (answer.status === 401) {
    return step(name, "ok", `${head}: the server asks to sign in`);
  }
  if (answer.status === 404 || answer.status === 405 || answer.status === 501) {
    return step(
      name,
      "fail",
      `${head}: there is no MCP endpoint at ${url.pathname}`,
      "check the server URL (often ending in /mcp or /sse)",
    );
  }
  if (answer.status === 403) {
    return step(name, "fail", `${head}: the server refuses access`, "ask its operator, or check --header");
  }
  if (answer.status >= 200 && answer.status < 300) {
    if (!/json|event-stream/i.test(type)) {
      return step(
        name,
        "fail",
        `${head}: neither JSON nor an event stream`,
        "check that the URL is the MCP endpoint (often ending in /mcp or /sse)",
      );
    }
    const message = answer.message as
      | {
        result?: { protocolVersion?: unknown; serverInfo?: { name?: unknown; version?: unknown } };
        error?: { message?: unknown };
      }
      | undefined;
    if (message?.error !== undefined) {
      return step(name, "warn", `${head}: the server answered an error: ${String(message.error.message)}`);
    }
    const result = message?.result;
    if (result === undefined) return step(name, "warn", `${head}: no initialize result could be read`);
    const info = result.serverInfo;
    const server = info ? `, server ${String(info.name ?? "?")} ${String(info.version ?? "")}`.trimEnd() : "";
    return step(name, "ok", `${head}: protocol ${String(result.protocolVersion ?? "?")}${server}`);
  }
  if (answer.status >= 500) {
    return step(name, "fail", `${head}: the server failed`, "try again later, or contact its operator");
  }
  return step(name, "fail", `${head}: not an MCP answer`, "check the server URL and flags");
}

/** What discovery found, reduced to what the step reports. */
export interface DiscoverySummary {
  /** The authorization server's issuer. */
  issuer: string;
  /** `code_challenge_methods_supported`. */
  pkceMethods?: readonly string[];
  /** `registration_endpoint`. */
  registrationEndpoint?: string;
  /** `client_id_metadata_document_supported`. */
  cimd: boolean;
  /** Whether `--static-oauth-client-info` gives a client id. */
  staticClient: boolean;
  /** The hosts (`host:port`) the bridge will fetch during sign-in that it has no `--allow-net` for. */
  missingHosts: readonly string[];
}

/**
 * The discovery step, when the server asks to sign in.
 *
 * @example Usage
 * ```ts
 * import { discoveryStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * const good = discoveryStep({ issuer: "https://as.example.com", pkceMethods: ["S256"], registrationEndpoint: "https://as.example.com/register", cimd: false, staticClient: false, missingHosts: [] });
 * assert.equal(good.status, "ok");
 * assert.match(good.detail, /PKCE S256: yes/);
 * const blocked = discoveryStep({ issuer: "https://as.example.com", pkceMethods: ["S256"], cimd: true, staticClient: false, missingHosts: ["as.example.com:443"] });
 * assert.equal(blocked.status, "fail");
 * assert.match(blocked.next!, /--allow-net=as\.example\.com:443/);
 * ```
 *
 * @param found What was found.
 * @returns The step.
 */
export function discoveryStep(found: DiscoverySummary): Step {
  const name = STEP_NAMES.discovery;
  const s256 = found.pkceMethods?.includes("S256") ?? false;
  const parts = [
    `authorization server ${found.issuer}`,
    `PKCE S256: ${
      s256 ? "yes" : found.pkceMethods ? `no (${found.pkceMethods.join(", ") || "none"})` : "not advertised"
    }`,
    `registration: ${found.registrationEndpoint ?? "none"}`,
    `client ID metadata documents: ${found.cimd ? "yes" : "no"}`,
  ];
  const detail = parts.join("; ");
  if (!s256) {
    return step(
      name,
      "fail",
      detail,
      "the authorization server must support PKCE S256: contact its operator",
    );
  }
  if (found.missingHosts.length > 0) {
    return step(name, "fail", detail, `run again with --allow-net=${found.missingHosts.join(",")}`);
  }
  if (!found.registrationEndpoint && !found.cimd && !found.staticClient) {
    return step(
      name,
      "warn",
      detail,
      "the bridge cannot register itself: pass --static-oauth-client-info with a client id from the operator",
    );
  }
  return step(name, "ok", detail);
}

/**
 * The host of a permission error (`Requires net access to "host:port"`, or discovery's `--allow-net=host:port`).
 *
 * @example Usage
 * ```ts
 * import { deniedNetHost } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(deniedNetHost('Requires net access to "as.example.com:443", run again with the --allow-net flag'), "as.example.com:443");
 * assert.equal(deniedNetHost("Cannot reach as:1 for authorization: add --allow-net=as:1"), "as:1");
 * assert.equal(deniedNetHost("Connection refused"), undefined);
 * ```
 *
 * @param message The error message.
 * @returns The `host:port`, or `undefined`.
 */
export function deniedNetHost(message: string): string | undefined {
  return /net access to "([^"]+)"/.exec(message)?.[1] ?? /--allow-net=([^\s,"]+)/.exec(message)?.[1];
}

/** A stored record of this server, reduced to what the step shows (no secret). */
export interface CredentialSummary {
  /** The issuer the tokens are from. */
  issuer?: string;
  /** Whether an access token is stored. */
  hasAccessToken: boolean;
  /** When it expires (ms since the epoch), when known. */
  expiresAt?: number;
  /** Whether a refresh token is stored. */
  refreshable: boolean;
}

/** What the credential store gave for this server. */
export type CredentialOutcome =
  | { kind: "records"; records: CredentialSummary[]; dir: string }
  | { kind: "no-dir"; variable: string }
  | { kind: "no-read"; dir: string }
  | { kind: "error"; message: string };

function inMinutes(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

/**
 * The stored credentials step.
 *
 * @example Usage
 * ```ts
 * import { credentialsStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * const now = 1_000_000;
 * const expired = credentialsStep("https://x/mcp", { kind: "records", dir: "/c", records: [{ hasAccessToken: true, expiresAt: now - 60_000, refreshable: false }] }, true, now);
 * assert.equal(expired.status, "warn");
 * assert.match(expired.next!, /mcp-bridge login https:\/\/x\/mcp/);
 * assert.match(credentialsStep("https://x/mcp", { kind: "no-read", dir: "/c" }, true, now).next!, /--allow-read=\/c/);
 * ```
 *
 * @param server The server URL.
 * @param outcome What the store gave.
 * @param signInNeeded Whether the server asked to sign in (`undefined`: unknown, it did not answer).
 * @param now The clock.
 * @returns The step.
 */
export function credentialsStep(
  server: string,
  outcome: CredentialOutcome,
  signInNeeded: boolean | undefined,
  now: number,
): Step {
  const name = STEP_NAMES.credentials;
  switch (outcome.kind) {
    case "no-dir":
      return step(
        name,
        "skip",
        "cannot find the config dir",
        `run again with --allow-env=${outcome.variable}, or with --config-dir <dir>`,
      );
    case "no-read":
      return step(name, "skip", `cannot read ${outcome.dir}`, `run again with --allow-read=${outcome.dir}`);
    case "error":
      return step(name, "warn", `cannot list the stored credentials: ${outcome.message}`);
  }
  const records = outcome.records;
  if (records.length === 0) {
    return signInNeeded
      ? step(
        name,
        "ok",
        `none in ${outcome.dir}: the bridge opens the browser to sign in on first use`,
        `or sign in now: mcp-bridge login ${server}`,
      )
      : signInNeeded === false
      ? step(name, "ok", "none (the server did not ask to sign in)")
      : step(
        name,
        "skip",
        `none in ${outcome.dir} (whether the server asks to sign in is unknown: it did not answer)`,
      );
  }
  const describe = (r: CredentialSummary): string => {
    const from = r.issuer ? ` from ${r.issuer}` : "";
    if (!r.hasAccessToken) return `a client registration${from}, no token`;
    if (r.expiresAt === undefined) return `an access token${from} (no expiry)`;
    return r.expiresAt > now
      ? `an access token${from}, expires in ${inMinutes(r.expiresAt - now)}`
      : `an access token${from}, expired ${inMinutes(now - r.expiresAt)} ago${
        r.refreshable ? " (refreshable)" : ""
      }`;
  };
  const detail = records.map(describe).join("; ");
  const usableRecord = records.some((r) =>
    r.hasAccessToken && (r.refreshable || r.expiresAt === undefined || r.expiresAt > now)
  );
  return usableRecord || !signInNeeded
    ? step(name, "ok", detail)
    : step(name, "warn", detail, `sign in again: mcp-bridge login ${server}`);
}

/** One host application's configuration file, and what it holds about this server. */
export type HostConfigFinding =
  | { app: string; kind: "mentions" | "absent" | "no-mention"; path: string }
  | { app: string; kind: "no-read"; path: string }
  | { app: string; kind: "no-env"; variable: string }
  | { app: string; kind: "error"; path: string; message: string };

/**
 * The host config files step: which hosts' files mention this server, and which could not be read.
 *
 * @example Usage
 * ```ts
 * import { hostConfigsStep } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 *
 * const found = hostConfigsStep("https://x/mcp", [{ app: "cursor", kind: "mentions", path: "/h/.cursor/mcp.json" }]);
 * assert.equal(found.status, "ok");
 * const unread = hostConfigsStep("https://x/mcp", [{ app: "cursor", kind: "no-read", path: "/h/.cursor/mcp.json" }]);
 * assert.equal(unread.status, "skip");
 * assert.match(unread.next!, /--allow-read=\/h\/\.cursor\/mcp\.json/);
 * ```
 *
 * @param server The server URL.
 * @param findings One per host application.
 * @returns The step.
 */
export function hostConfigsStep(server: string, findings: readonly HostConfigFinding[]): Step {
  const name = STEP_NAMES.hostConfigs;
  const mentions = findings.filter((f) => f.kind === "mentions") as { app: string; path: string }[];
  const noRead = findings.filter((f) => f.kind === "no-read") as { app: string; path: string }[];
  const noEnv = findings.filter((f) => f.kind === "no-env") as { app: string; variable: string }[];
  const errors = findings.filter((f) => f.kind === "error") as {
    app: string;
    path: string;
    message: string;
  }[];
  const unread = [
    ...noRead.map((f) => f.app),
    ...noEnv.map((f) => f.app),
    ...errors.map((f) => `${f.app} (${f.message})`),
  ];
  const flags = [
    ...(noRead.length > 0 ? [`--allow-read=${noRead.map((f) => f.path).join(",")}`] : []),
    ...(noEnv.length > 0 ? [`--allow-env=${[...new Set(noEnv.map((f) => f.variable))].join(",")}`] : []),
  ];
  const notRead = unread.length > 0 ? `; not read: ${unread.join(", ")}` : "";
  const toRead = flags.length > 0 ? `to look in the others, run again with ${flags.join(" ")}` : undefined;
  if (mentions.length > 0) {
    return step(
      name,
      "ok",
      `mentioned in ${mentions.map((f) => `${f.app} (${f.path})`).join(", ")}${notRead}`,
      toRead,
    );
  }
  if (unread.length === findings.length) {
    return step(
      name,
      "skip",
      `not read: ${unread.join(", ")}`,
      toRead ? `run again with ${flags.join(" ")}` : undefined,
    );
  }
  return step(
    name,
    "warn",
    `no host's file mentions this server${notRead}`,
    `add it with: mcp-bridge config ${server} --host-app <app> --write${toRead ? `; ${toRead}` : ""}`,
  );
}
