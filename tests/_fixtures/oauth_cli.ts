/**
 * Helpers for OAuth integration tests that drive the real CLI (`login`, `logout`, `status` and the
 * bridge) as subprocesses: a world of a real authorization server and a protected MCP server, the
 * authorization requests the authorization server accepted, the stored record, and a one-shot
 * command runner.
 *
 * @module
 */

import { join } from "node:path";
import { bridgeArgs, type Permissions } from "./bridge_host.ts";
import { type OAuthServer, type OAuthServerOptions, startOAuthServer } from "../../src/demo/oauth_server.ts";
import {
  type ProtectedServer,
  type ProtectedServerOptions,
  serveProtected,
} from "../../src/demo/protected_server.ts";
import type { ServerRecord } from "../../src/auth/types.ts";
import { HEADLESS_BROWSER_SCRIPT } from "./browser_script.ts";

/** The headless browser as a `$BROWSER` value (one program: a wrapper script, see browser_script.ts). */
export const BROWSER: string = HEADLESS_BROWSER_SCRIPT;

/** The parameters of one authorization request the authorization server saw. */
export interface SeenAuthorization {
  /** `scope`, as sent. */
  scope?: string;
  /** `resource`, as sent. */
  resource?: string;
  /** `client_id`. */
  clientId?: string;
  /** `redirect_uri`. */
  redirectUri?: string;
  /** Every string parameter of the request, as sent (`prompt`, `ui_locales`, …). */
  query: Record<string, string>;
}

/** An authorization server, a protected MCP server and a config dir. */
export interface OAuthWorld {
  /** The authorization server. */
  as: OAuthServer;
  /** The protected MCP server. */
  mcp: ProtectedServer;
  /** The config dir (absolute, real path). */
  dir: string;
  /** The parameters of each request to the authorization endpoint, in order, as sent. */
  authorizations: SeenAuthorization[];
}

/** Options for {@linkcode withOAuthWorld}. */
export interface OAuthWorldOptions {
  /** For the authorization server. */
  as?: OAuthServerOptions;
  /** For the protected server (the issuer is filled in). */
  mcp?: Omit<ProtectedServerOptions, "issuer">;
}

interface KoaContext {
  path: string;
  query: Record<string, unknown>;
}

function seen(params: Record<string, unknown>): SeenAuthorization {
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "string") query[name] = value;
  }
  const out: SeenAuthorization = { query };
  const scope = text(params.scope);
  const resource = text(params.resource);
  const clientId = text(params.client_id);
  const redirectUri = text(params.redirect_uri);
  if (scope !== undefined) out.scope = scope;
  if (resource !== undefined) out.resource = resource;
  if (clientId !== undefined) out.clientId = clientId;
  if (redirectUri !== undefined) out.redirectUri = redirectUri;
  return out;
}

/**
 * Starts an authorization server and a protected server, makes a config dir under `.tmp/`, runs
 * `fn`, then stops both servers and removes the dir.
 *
 * @param options The servers' options.
 * @param fn The test body.
 */
export async function withOAuthWorld(
  options: OAuthWorldOptions,
  fn: (world: OAuthWorld) => Promise<void>,
): Promise<void> {
  let mcp: ProtectedServer | undefined;
  const as = await startOAuthServer({ googleAudience: () => mcp?.url.href, ...options.as });
  const authorizations: SeenAuthorization[] = [];
  // The raw query of each request to the authorization endpoint, before oidc-provider filters it (it
  // drops `offline_access` without `prompt=consent`, for example). The headless browser has no
  // session, so every authorization request either starts an interaction or fails at once; the
  // resumes after interactions are at `/auth/<uid>` and are not counted.
  const record = (ctx: KoaContext) => {
    if (ctx.path === "/auth") authorizations.push(seen(ctx.query));
  };
  as.provider.on("interaction.started", record);
  as.provider.on("authorization.error", record);
  let dir: string | undefined;
  try {
    mcp = await serveProtected({ ...(options.mcp ?? {}), issuer: as.issuer });
    await Deno.mkdir(".tmp", { recursive: true });
    dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "oauth-cli-" });
    await fn({ as, mcp, dir: await Deno.realPath(dir), authorizations });
  } finally {
    await mcp?.close();
    await as.close();
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}

/** The permissions of a bridge or command that may sign in through the headless browser. */
export function signInPermissions(dir: string): Permissions {
  return { net: ["127.0.0.1"], run: [BROWSER], env: ["BROWSER"], read: [dir], write: [dir] };
}

/** What a finished command printed. */
export interface CliResult {
  /** The exit code. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/**
 * Runs the CLI once (`login`, `logout`, `status`, …) with exact permissions and stdin closed.
 *
 * @param cliArgs The CLI arguments.
 * @param permissions The permission record.
 * @param env Extra environment.
 * @returns The exit code and output.
 */
export async function runCli(
  cliArgs: readonly string[],
  permissions: Permissions,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(cliArgs, permissions),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** The server records in a config dir: `<dir>/v1/servers/<key>.json`. */
export async function storedRecords(dir: string): Promise<{ path: string; record: ServerRecord }[]> {
  const servers = join(dir, "v1", "servers");
  const out: { path: string; record: ServerRecord }[] = [];
  try {
    for await (const entry of Deno.readDir(servers)) {
      if (!entry.isFile || !entry.name.endsWith(".json") || entry.name.startsWith(".")) continue;
      const path = join(servers, entry.name);
      out.push({ path, record: JSON.parse(await Deno.readTextFile(path)) as ServerRecord });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}

/** The only server record in a config dir (fails unless there is exactly one). */
export async function onlyRecord(dir: string): Promise<{ path: string; record: ServerRecord }> {
  const records = await storedRecords(dir);
  if (records.length !== 1) throw new Error(`Expected one stored record in ${dir}, found ${records.length}`);
  return records[0]!;
}

/** Every file under a directory, recursively. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Sleeps, with the timer cleared before returning. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls a condition every 20 ms until it holds or the time is up.
 *
 * @param condition What to wait for.
 * @param timeoutMs How long to wait.
 * @param what What is awaited, for the error.
 */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
