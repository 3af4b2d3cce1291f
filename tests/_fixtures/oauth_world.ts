/**
 * Fixtures for OAuth integration tests: a "world" of an authorization server (oidc-provider), an MCP
 * server protected by it, and a temporary config directory; bridges started in that world with
 * exact permissions and the headless browser as `$BROWSER`; small helpers to wait, to read the
 * credential store and to talk JSON-RPC to a raw bridge.
 *
 * @module
 */

import { join } from "node:path";
import {
  connectHost,
  type Host,
  type Permissions,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
} from "./bridge_host.ts";
import { type OAuthServer, type OAuthServerOptions, startOAuthServer } from "../../src/demo/oauth_server.ts";
import { type ProtectedServer, serveProtected } from "../../src/demo/protected_server.ts";
import type { ServerRecord } from "../../src/auth/types.ts";
import { HEADLESS_BROWSER_SCRIPT, NEVER_FINISHING_BROWSER_SCRIPT } from "./browser_script.ts";

/** `$BROWSER`: the headless browser, which follows the authorization URL and delivers the callback. */
export const BROWSER: string = HEADLESS_BROWSER_SCRIPT;

/** `$BROWSER` for a user who never finishes: it stops just before the callback (and exits 0). */
export const NEVER_FINISHING_BROWSER: string = NEVER_FINISHING_BROWSER_SCRIPT;

/** An authorization server, a protected MCP server and a config directory. */
export interface World {
  /** The authorization server. */
  as: OAuthServer;
  /** The protected MCP server. */
  mcp: ProtectedServer;
  /** The config directory (a real path under `.tmp/`). */
  dir: string;
}

/** Options for {@linkcode withWorld}. */
export interface WorldOptions {
  /** The access token lifetime in seconds. */
  accessTokenTtl?: number;
  /** Scopes every MCP request needs. */
  requiredScope?: string;
  /** The temporary directory's name prefix. */
  prefix?: string;
  /** More authorization server options. */
  as?: OAuthServerOptions;
}

/**
 * Runs `fn` in a fresh world, then stops both servers and removes the config directory.
 *
 * @param options Token lifetime, scope, directory prefix.
 * @param fn The test.
 */
export async function withWorld(options: WorldOptions, fn: (world: World) => Promise<void>): Promise<void> {
  const as = await startOAuthServer({
    ...(options.as ?? {}),
    ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
  });
  try {
    const mcp = await serveProtected({
      issuer: as.issuer,
      ...(options.requiredScope ? { requiredScope: options.requiredScope } : {}),
    });
    try {
      const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: options.prefix ?? "oauth-e2e-" });
      try {
        await fn({ as, mcp, dir: await Deno.realPath(dir) });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    } finally {
      await mcp.close();
    }
  } finally {
    await as.close();
  }
}

/**
 * The exact permissions of a bridge in a world: loopback network, the browser program, `BROWSER`,
 * and the config directory.
 *
 * @param world The world.
 * @param browser The `$BROWSER` program (default {@linkcode BROWSER}).
 * @returns The permission record.
 */
export function permissions(world: World, browser: string = BROWSER): Permissions {
  return {
    net: ["127.0.0.1"],
    run: [browser],
    env: ["BROWSER"],
    read: [world.dir],
    write: [world.dir],
  };
}

/** The bridge's command line in a world (after the server URL). */
export function bridgeCliArgs(world: World, args: string[] = []): string[] {
  return ["--config-dir", world.dir, "--host", "127.0.0.1", "--debug", ...args];
}

/**
 * Starts a bridge in a world and connects the SDK client to it (initialize included).
 *
 * @param world The world.
 * @param args Extra CLI arguments.
 * @param browser `$BROWSER` (default {@linkcode BROWSER}).
 * @returns The connected host.
 */
export async function bridge(world: World, args: string[] = [], browser: string = BROWSER): Promise<Host> {
  return await connectHost(world.mcp.url, {
    args: bridgeCliArgs(world, args),
    permissions: permissions(world, browser),
    env: { BROWSER: browser },
  });
}

/**
 * Spawns a bridge in a world with raw stdio (nothing is sent yet).
 *
 * @param world The world.
 * @param browser `$BROWSER` (default {@linkcode BROWSER}).
 * @param args Extra CLI arguments.
 * @returns The raw bridge.
 */
export function rawBridge(world: World, browser: string = BROWSER, args: string[] = []): RawBridge {
  return spawnRaw([world.mcp.url.href, ...bridgeCliArgs(world, args)], permissions(world, browser), {
    BROWSER: browser,
  });
}

/**
 * Reads stdout lines of a raw bridge until the response with `id`, skipping server requests and
 * notifications.
 *
 * @param raw The bridge.
 * @param id The request id.
 * @param timeoutMs How long to wait in all.
 * @returns The response.
 */
export async function readResponse(
  raw: RawBridge,
  id: number | string,
  timeoutMs: number,
): Promise<StdoutMessage> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const left = Math.max(1, Math.round(deadline - performance.now()));
    const message = JSON.parse(await raw.readLine(left)) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

/**
 * Sends a request to a raw bridge and waits for its response.
 *
 * @param raw The bridge.
 * @param id The request id.
 * @param method The method.
 * @param params The params.
 * @param timeoutMs How long to wait.
 * @returns The response.
 */
export async function rawRequest(
  raw: RawBridge,
  id: number,
  method: string,
  params: Record<string, unknown>,
  timeoutMs = 15_000,
): Promise<StdoutMessage> {
  await raw.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
  return await readResponse(raw, id, timeoutMs);
}

/**
 * Stops a raw bridge: closes its stdin, waits up to `graceMs` for it to exit, then SIGKILLs it;
 * returns once its output is fully read.
 *
 * @param raw The bridge.
 * @param graceMs How long it may take to exit by itself.
 */
export async function stopRaw(raw: RawBridge, graceMs = 2_000): Promise<void> {
  await raw.closeStdin();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    raw.status.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!exited) {
    try {
      raw.kill("SIGKILL");
    } catch {
      // It exited meanwhile.
    }
  }
  await raw.status;
  await raw.done;
}

/** Sleeps (the timer is always cleared when the promise settles). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` every 25 ms until it holds, failing after `timeoutMs` with `what` and `detail()`.
 *
 * @param what What is awaited (for the error).
 * @param condition The condition.
 * @param timeoutMs How long to wait.
 * @param detail More context for the error (e.g. stderr).
 */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs: number,
  detail: () => string = () => "",
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    }
    await sleep(25);
  }
}

/**
 * Lists every file under a directory, recursively (directories included).
 *
 * @param dir The directory.
 * @returns The paths.
 */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(path, ...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

/**
 * The one server record in a world's store.
 *
 * @param world The world.
 * @returns The record.
 */
export async function storedRecord(world: World): Promise<ServerRecord> {
  const dir = join(world.dir, "v1", "servers");
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".json") && !entry.name.startsWith(".")) names.push(entry.name);
  }
  if (names.length !== 1) throw new Error(`Expected one server record in ${dir}, found ${names.join(", ")}`);
  return JSON.parse(await Deno.readTextFile(join(dir, names[0]!))) as ServerRecord;
}

/**
 * The lock files in a world's store (`<dir>/v1/locks/*.lock`), by file name.
 *
 * @param world The world.
 * @returns The names.
 */
export async function lockFiles(world: World): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(world.dir, "v1", "locks"))) {
      if (entry.isFile && entry.name.endsWith(".lock")) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
