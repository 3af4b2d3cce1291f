/**
 * `mcp-bridge login`, `logout` and `status`: the terminal commands for stored credentials.
 *
 * @module
 */

import { formatTable } from "../client/table.ts";
import { resolveConfigDir } from "../cli/config_dir.ts";
import { optionalEnv, requireEnv } from "../cli/env.ts";
import { resolveHeaders } from "../cli/headers.ts";
import { LEGACY_VERSIONS } from "../era/versions.ts";
import { VERSION } from "../version.ts";
import { fetchAuthServerMetadata } from "./discover.ts";
import {
  createOAuthClient,
  loadStaticClient,
  type OAuthSetup,
  openStore,
  parseEnterpriseIdp,
} from "./setup.ts";
import { serverStoreKey } from "./stored_credentials.ts";
import { recordSecrets } from "./store/record.ts";
import { revokeToken } from "./token_client.ts";
import type { ClientInfo, ServerRecord } from "./types.ts";

/** Options for {@linkcode run}. */
export interface CommandOptions extends OAuthSetup {
  /** `logout --all`. */
  all: boolean;
  /** Writes to the terminal. */
  print: (text: string) => void;
}

/** Reads one line the user pastes in the terminal (never the MCP channel: this is a terminal command). */
async function readPastedLine(signal: AbortSignal): Promise<string | undefined> {
  if (!Deno.stdin.isTerminal()) return undefined;
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      text += value;
    }
    const line = text.slice(0, text.indexOf("\n")).trim();
    return line.startsWith("http") ? line : undefined;
  } finally {
    signal.removeEventListener("abort", stop);
    reader.releaseLock();
  }
}

function when(ms: number | undefined): string {
  return ms === undefined ? "" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}

/** How long `login` waits for the server's answer to its unauthenticated `initialize`. */
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Whether the server answers an MCP `initialize` without any credentials: a JSON or event-stream
 * answer (even a JSON-RPC error) says it asks for no authorization. Anything else (a 401, another
 * status, a network error) leaves the decision to the sign-in. A session the answer opened is
 * deleted again.
 */
async function answersWithoutSignIn(options: CommandOptions): Promise<boolean> {
  const version = LEGACY_VERSIONS[0]!;
  // The user's own Authorization header would hide whether the server asks for one.
  const headers = new Headers(
    resolveHeaders(options.headers, requireEnv).filter(([name]) => name.toLowerCase() !== "authorization"),
  );
  headers.set("accept", "application/json, text/event-stream");
  headers.set("content-type", "application/json");
  const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await options.fetch(options.serverUrl, {
      method: "POST",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: version,
          capabilities: {},
          clientInfo: { name: "mcp-bridge", version: VERSION },
        },
      }),
      redirect: "manual",
      signal,
    });
  } catch (error) {
    options.log.debug(
      `Checking whether ${options.serverUrl.host} needs a sign-in: ${(error as Error).message}`,
    );
    return false;
  }
  await res.body?.cancel().catch(() => {});
  const type = (res.headers.get("content-type") ?? "").toLowerCase();
  const mcp = type.startsWith("application/json") || type.startsWith("text/event-stream");
  options.log.debug(
    `Without credentials, ${options.serverUrl.host} answered HTTP ${res.status} (${type || "no type"})`,
  );
  const session = res.headers.get("mcp-session-id");
  if (session !== null) {
    headers.delete("content-type");
    headers.set("mcp-session-id", session);
    headers.set("mcp-protocol-version", version);
    await options.fetch(options.serverUrl, { method: "DELETE", headers, redirect: "manual", signal })
      .then((deleted) => deleted.body?.cancel())
      .catch(() => {});
  }
  return res.ok && mcp;
}

async function login(options: CommandOptions): Promise<number> {
  if (await answersWithoutSignIn(options)) {
    options.print(
      `The server at ${options.serverUrl.href} needs no sign-in: it answered without asking for authorization\n`,
    );
    return 0;
  }
  const oauth = await createOAuthClient({
    ...options,
    pastedRedirect: (signal) => {
      if (!Deno.stdin.isTerminal()) return Promise.resolve(undefined);
      options.log.notice(
        "If the browser cannot reach this machine (SSH), paste the address it ended on here and press Enter",
      );
      return readPastedLine(signal);
    },
  });
  const record = await oauth.login();
  options.print(
    `Signed in to ${options.serverUrl.host} (issuer ${record.issuer ?? "?"}, scopes ${
      record.requested_scope ?? "default"
    }, expires ${when(record.tokens?.expires_at) || "unknown"})\n`,
  );
  return 0;
}

/**
 * Revokes the stored tokens at the stored issuer's own `revocation_endpoint`: its metadata is fetched
 * from the issuer itself (its `issuer` checked exactly, its endpoints checked as server-supplied
 * URLs), never taken from what the MCP server names today, so that nothing reaches another issuer.
 */
async function revokeAll(record: ServerRecord, options: CommandOptions): Promise<void> {
  const tokens = record.tokens;
  if (!tokens) return;
  const log = options.log;
  for (const secret of recordSecrets(record)) log.addSecret(secret);
  const issuer = record.issuer;
  if (issuer === undefined) {
    log.warn(
      `Cannot revoke the tokens of ${record.server_url}: no issuer is stored with them; deleting them only`,
    );
    return;
  }
  let client: ClientInfo | undefined = record.client;
  if (!client && options.auth.staticClientInfo) {
    const own = await loadStaticClient(options.auth.staticClientInfo, log);
    const bound = record.static_client;
    if (
      own.client_secret !== undefined && !options.auth.tokenEndpoint && bound !== undefined &&
      (bound.client_id !== own.client_id || bound.issuer !== issuer)
    ) {
      log.warn(
        `Not revoking the tokens of ${record.server_url}: ` +
          (bound.client_id !== own.client_id
            ? `they belong to client ${bound.client_id}, not to the client of --static-oauth-client-info`
            : `the client secret of --static-oauth-client-info belongs to ${bound.issuer}, not ${issuer}`),
      );
      return;
    }
    client = { ...own, source: "static" };
  }
  if (!client) return;
  const serverUrl = new URL(record.server_url);
  let endpoint: string | undefined;
  try {
    const metadata = await fetchAuthServerMetadata(
      { fetch: options.fetch, serverUrl, allowHttp: options.allowHttp, log },
      issuer,
    );
    endpoint = metadata.revocation_endpoint;
  } catch (error) {
    log.warn(`Cannot revoke the tokens of ${record.server_url} at ${issuer}: ${(error as Error).message}`);
    return;
  }
  if (!endpoint) {
    log.info(`${issuer} offers no revocation: deleting the tokens only`);
    return;
  }
  for (
    const [token, hint] of [[tokens.refresh_token, "refresh_token"], [
      tokens.access_token,
      "access_token",
    ]] as const
  ) {
    if (!token) continue;
    try {
      await revokeToken(options.fetch, {
        revocationEndpoint: endpoint,
        client,
        token,
        tokenTypeHint: hint,
        allowHttp: options.allowHttp,
        serverUrl,
        onSecret: (secret) => log.addSecret(secret),
      });
    } catch (error) {
      log.warn(`Revoking the ${hint.replace("_", " ")} failed: ${(error as Error).message}`);
    }
  }
}

/**
 * Ends the session at an enterprise identity provider the bridge signed in at: its refresh token is
 * revoked at the provider's own revocation endpoint (from its metadata, found from the stored issuer),
 * as the client the session belongs to (with the secret of `--enterprise-idp` only for that client).
 */
async function revokeIdpSession(record: ServerRecord, options: CommandOptions): Promise<void> {
  const session = record.idp;
  const token = session?.tokens.refresh_token;
  if (!session || !token) return;
  const log = options.log;
  const serverUrl = new URL(session.issuer);
  try {
    let secret: string | undefined;
    if (options.auth.enterpriseIdp !== undefined) {
      const flag = parseEnterpriseIdp(options.auth.enterpriseIdp);
      if (flag.clientId === session.client_id && flag.issuer === session.issuer) secret = flag.clientSecret;
    }
    if (secret !== undefined) log.addSecret(secret);
    const metadata = await fetchAuthServerMetadata(
      { fetch: options.fetch, serverUrl, allowHttp: options.allowHttp, log },
      session.issuer,
    );
    if (!metadata.revocation_endpoint) {
      log.info(`The identity provider ${session.issuer} offers no revocation: its session is forgotten only`);
      return;
    }
    await revokeToken(options.fetch, {
      revocationEndpoint: metadata.revocation_endpoint,
      client: {
        client_id: session.client_id,
        ...(secret !== undefined ? { client_secret: secret } : {}),
        token_endpoint_auth_method: secret !== undefined ? "client_secret_basic" : "none",
        source: "static",
      },
      token,
      tokenTypeHint: "refresh_token",
      allowHttp: options.allowHttp,
      serverUrl,
      onSecret: (value) => log.addSecret(value),
    });
  } catch (error) {
    log.warn(
      `Cannot end the session at the identity provider ${session.issuer}: ${(error as Error).message}`,
    );
  }
}

/**
 * Throws unless the config dir can be found: without it the store would be an empty one in memory,
 * and "No stored credentials" a wrong answer.
 */
function requireConfigDir(options: CommandOptions): void {
  const dir = resolveConfigDir(options.configDir, Deno.build.os, optionalEnv);
  if ("missing" in dir) {
    throw new Error(
      `Cannot find the config dir where credentials are stored: run again with --allow-env=${dir.missing} ` +
        "to use the default one, or with --config-dir <dir>",
    );
  }
}

async function logout(options: CommandOptions): Promise<number> {
  requireConfigDir(options);
  const store = await openStore(options.configDir, options.log, options.auth.store);
  const entries = options.all ? await store.list() : await (async () => {
    const key = await serverStoreKey(options);
    const record = await store.read(key);
    return record ? [{ key, record }] : [];
  })();
  if (entries.length === 0) {
    options.print(
      options.all ? "No stored credentials\n" : `No stored credentials for ${options.serverUrl.href}\n`,
    );
    return 0;
  }
  for (const { key, record } of entries) {
    await revokeAll(record, options);
    await revokeIdpSession(record, options);
    await store.delete(key);
    options.print(`Signed out of ${record.server_url}\n`);
  }
  return 0;
}

async function status(options: CommandOptions): Promise<number> {
  requireConfigDir(options);
  const store = await openStore(options.configDir, options.log, options.auth.store);
  const entries = await store.list();
  if (entries.length === 0) {
    options.print("No stored credentials\n");
    return 0;
  }
  const now = Date.now();
  options.print(formatTable(
    ["server", "issuer", "client id", "scopes", "access token", "last refresh", "stored in"],
    entries.map(({ record, where }) => [
      record.server_url,
      record.issuer ?? "",
      record.client?.client_id ?? "",
      record.requested_scope ?? record.tokens?.scope ?? "",
      !record.tokens
        ? "none"
        : record.tokens.expires_at === undefined
        ? "valid (no expiry)"
        : record.tokens.expires_at > now
        ? `expires ${when(record.tokens.expires_at)}`
        : `expired ${when(record.tokens.expires_at)}${record.tokens.refresh_token ? " (refreshable)" : ""}`,
      when(record.last_refresh),
      where ?? "",
    ]),
    80,
  ));
  return 0;
}

/**
 * Runs a credential command.
 *
 * @example Usage
 * ```ts ignore
 * import { run } from "./commands.ts";
 * const code = await run("status", { ...setup, all: false, print: console.log });
 * ```
 *
 * @param command `login`, `logout` or `status`.
 * @param options The command line and seams.
 * @returns The exit code.
 */
export async function run(command: "login" | "logout" | "status", options: CommandOptions): Promise<number> {
  try {
    if (command === "login") return await login(options);
    if (command === "logout") return await logout(options);
    return await status(options);
  } catch (error) {
    options.log.error((error as Error).message);
    return 1;
  }
}
