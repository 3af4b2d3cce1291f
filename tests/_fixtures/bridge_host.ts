/**
 * Test fixtures that play the host: the MCP SDK's `Client` over stdio spawning the real CLI with an
 * exact permission record (never `-A`), and a raw spawner for byte-level tests.
 *
 * @module
 */

import { Client, type ClientOptions } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

/** The CLI entry point. */
export const MAIN: string = new URL("../../src/main.ts", import.meta.url).pathname;

/** The permissions granted to the bridge process, turned into exact `--allow-*` flags. */
export interface Permissions {
  /** `--allow-net` entries (`host:port`). */
  net?: string[];
  /** `--allow-env` entries. */
  env?: string[];
  /** `--allow-read` paths. */
  read?: string[];
  /** `--allow-write` paths. */
  write?: string[];
  /** `--allow-run` programs. */
  run?: string[];
}

/**
 * Turns a permission record into Deno flags.
 *
 * @param permissions The record.
 * @returns The flags.
 */
export function permissionFlags(permissions: Permissions): string[] {
  const flags = ["--no-prompt"];
  for (const [name, list] of Object.entries(permissions) as [string, string[] | undefined][]) {
    if (list && list.length > 0) flags.push(`--allow-${name}=${list.join(",")}`);
  }
  return flags;
}

/** The `deno run` arguments for the bridge (`denoFlags`: more of Deno's own, such as `--preload`). */
export function bridgeArgs(
  cliArgs: readonly string[],
  permissions: Permissions,
  denoFlags: readonly string[] = [],
): string[] {
  return ["run", "--quiet", "--frozen", ...denoFlags, ...permissionFlags(permissions), MAIN, ...cliArgs];
}

/** The net permission for a server URL. */
export function netFor(url: URL | string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
}

/**
 * The SDK's stdio transport, as a subclass: a 2026-07-28 client then sends its `server/discover` probe
 * over this very connection instead of spawning a second bridge for it (the SDK does that only for the
 * base class, and leaves a 2 s timer behind when it disposes of that sibling).
 */
class HostTransport extends StdioClientTransport {}

/** A host connected to the bridge. */
export interface Host {
  /** The SDK client. */
  client: Client;
  /** Everything the bridge wrote to stderr so far. */
  stderr(): string;
  /** The bridge's pid. */
  pid: number | null;
  /**
   * Sends the bridge a signal (`SIGSTOP` and `SIGCONT` to pause it, as a sleeping computer would). The
   * SDK's child process handle cannot: its `kill()` closes the pipes. A `deno eval` sends it instead (the
   * tests may run `deno`, which holds every permission of its own).
   */
  signal(signal: "SIGSTOP" | "SIGCONT" | "SIGTERM"): Promise<void>;
  /** Every message the host received from the bridge, in order. */
  received: Record<string, unknown>[];
  /** Every message the host sent to the bridge, in order. */
  sent: Record<string, unknown>[];
  /** Closes the client (stdin EOF) and waits for the bridge to exit. */
  close(): Promise<void>;
}

/** Options for {@linkcode connectHost}. */
export interface HostOptions {
  /** Extra CLI arguments after the URL. */
  args?: string[];
  /** The permission record (default: net access to the server only). */
  permissions?: Permissions;
  /** The client's options (capabilities). */
  clientOptions?: ClientOptions;
  /** Environment variables for the bridge. */
  env?: Record<string, string>;
  /** Called before connecting, to register handlers on the client. */
  setup?: (client: Client) => void;
  /** Speak MCP 2026-07-28 (the SDK client pinned to it: `server/discover`, per-request `_meta`). */
  modern?: boolean;
  /** The exact command to start instead of `deno run <permissions> src/main.ts <url> <args>` (a printed host entry). */
  launch?: { command: string; args: readonly string[] };
  /** The bridge's working directory (default: the test's). */
  cwd?: string;
}

/** The client options of a host pinned to MCP 2026-07-28. */
export const MODERN_HOST: ClientOptions = { versionNegotiation: { mode: { pin: "2026-07-28" } } };

interface ChildLike {
  stdin?: { end(): void } | null;
  exitCode: number | null;
  once(event: "close", listener: () => void): void;
}

/**
 * Starts the bridge for a server URL and connects the SDK client to it (initialize included).
 * A failed connect rejects with the client's error and the bridge's stderr, after the bridge exited.
 *
 * The transport's `close()` is replaced, on this instance, by one that ends the bridge's stdin
 * and waits for the exit: the SDK's own races the exit against a 2 s timer it never clears (the
 * client calls it itself when `initialize` fails), which the op sanitizer rightly reports.
 *
 * @param url The remote server.
 * @param options Arguments, permissions, client options.
 * @returns The connected host.
 */
export async function connectHost(url: URL | string, options: HostOptions = {}): Promise<Host> {
  const permissions = options.permissions ?? { net: [netFor(url)] };
  const transport = new HostTransport({
    command: options.launch?.command ?? "deno",
    args: options.launch
      ? [...options.launch.args]
      : bridgeArgs([String(url), ...(options.args ?? [])], permissions),
    env: { ...(options.env ?? {}), NO_COLOR: "1" },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr += new TextDecoder().decode(chunk);
  });
  const internals = transport as unknown as { _process?: ChildLike };
  let closing: Promise<void> | undefined;
  transport.close = () => {
    closing ??= (async () => {
      const child = internals._process;
      if (child && child.exitCode === null) {
        const closed = new Promise<void>((resolve) => child.once("close", resolve));
        child.stdin?.end();
        await closed;
      }
    })();
    return closing;
  };
  const received: Record<string, unknown>[] = [];
  const sent: Record<string, unknown>[] = [];
  recordTraffic(transport, received, sent);
  const clientOptions = options.modern ? { ...MODERN_HOST, ...options.clientOptions } : options.clientOptions;
  const client = new Client({ name: "test-host", version: "1.0.0" }, clientOptions);
  options.setup?.(client);
  let exited!: () => void;
  const exit = new Promise<void>((resolve) => (exited = resolve));
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close(); // waits for the bridge to exit
    throw new HostConnectError(error as Error, stderr);
  }
  const previous = transport.onclose;
  transport.onclose = () => {
    previous?.();
    exited();
  };
  return {
    client,
    stderr: () => stderr,
    pid: transport.pid,
    signal: async (signal) => {
      const pid = transport.pid;
      if (pid === null) throw new Error("The bridge has no process to signal");
      const sent = await new Deno.Command("deno", {
        args: ["eval", `Deno.kill(${pid}, ${JSON.stringify(signal)})`],
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!sent.success) throw new Error(`Cannot send ${signal}: ${new TextDecoder().decode(sent.stderr)}`);
    },
    received,
    sent,
    close: async () => {
      await transport.close();
      await exit;
      await client.close();
    },
  };
}

/** Records what passes through a client transport, both ways, without changing it. */
function recordTraffic(
  transport: StdioClientTransport,
  received: Record<string, unknown>[],
  sent: Record<string, unknown>[],
): void {
  const send = transport.send.bind(transport);
  transport.send = (message, ...rest) => {
    sent.push(message as Record<string, unknown>);
    return send(message, ...rest);
  };
  type OnMessage = StdioClientTransport["onmessage"];
  let handler: OnMessage;
  Object.defineProperty(transport, "onmessage", {
    configurable: true,
    get: () => handler,
    set: (next: OnMessage) => {
      handler = next && ((message, ...rest) => {
        received.push(message as Record<string, unknown>);
        next(message, ...rest);
      });
    },
  });
}

/** A connect that failed: the client's error, with what the bridge wrote to stderr. */
export class HostConnectError extends Error {
  /** The SDK client's error. */
  readonly clientError: Error;
  /** Everything the bridge wrote to stderr. */
  readonly stderr: string;
  /**
   * @param clientError The SDK client's error.
   * @param stderr The bridge's stderr.
   */
  constructor(clientError: Error, stderr: string) {
    super(`${clientError.message}\n--- bridge stderr ---\n${stderr}`);
    this.clientError = clientError;
    this.stderr = stderr;
  }
}

/**
 * Runs `fn` with a server (started by `start`) and a host connected to it through the bridge, then
 * stops both, whatever happens.
 *
 * @param start Starts the server.
 * @param hostOptions Arguments, permissions, client options.
 * @param fn The test body.
 */
export async function withServerAndHost<S extends { url: URL; close(): Promise<void> }>(
  start: () => Promise<S>,
  hostOptions: HostOptions,
  fn: (server: S, host: Host) => Promise<void>,
): Promise<void> {
  const server = await start();
  try {
    const host = await connectHost(server.url, hostOptions);
    try {
      await fn(server, host);
    } finally {
      await host.close();
    }
  } finally {
    await server.close();
  }
}

/** A bridge process driven byte by byte. */
export interface RawBridge {
  /** Writes raw bytes (or text) to the bridge's stdin. */
  write(data: string | Uint8Array): Promise<void>;
  /** Reads the next stdout line, failing after `timeoutMs`. */
  readLine(timeoutMs?: number): Promise<string>;
  /** Every stdout byte so far, decoded. */
  stdout(): string;
  /** Every stderr byte so far, decoded. */
  stderr(): string;
  /** Closes stdin. */
  closeStdin(): Promise<void>;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Waits for the exit status. */
  status: Promise<Deno.CommandStatus>;
  /** Waits until stdout and stderr are fully read. */
  done: Promise<void>;
  /** The process id. */
  pid: number;
}

/**
 * Spawns the bridge with piped stdio, for tests that need exact bytes.
 *
 * @param cliArgs The CLI arguments.
 * @param permissions The permission record.
 * @param env Extra environment.
 * @param denoFlags More of Deno's own flags (before the permissions).
 * @returns The process handle.
 */
export function spawnRaw(
  cliArgs: readonly string[],
  permissions: Permissions,
  env: Record<string, string> = {},
  denoFlags: readonly string[] = [],
): RawBridge {
  const child = new Deno.Command("deno", {
    args: bridgeArgs(cliArgs, permissions, denoFlags),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const writer = child.stdin.getWriter();
  let out = "";
  let err = "";
  let lineWaiters: (() => void)[] = [];
  let finished = false;
  const pump = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      onText(decoder.decode(chunk, { stream: true }));
      const waiters = lineWaiters;
      lineWaiters = [];
      waiters.forEach((w) => w());
    }
  };
  const done = Promise.all([
    pump(child.stdout, (t) => (out += t)),
    pump(child.stderr, (t) => (err += t)),
  ]).then(() => {
    finished = true;
    const waiters = lineWaiters;
    lineWaiters = [];
    waiters.forEach((w) => w());
  });
  let consumed = 0;
  return {
    write: async (data) => {
      await writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
    },
    readLine: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const nl = out.indexOf("\n", consumed);
        if (nl !== -1) {
          const line = out.slice(consumed, nl);
          consumed = nl + 1;
          return line;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No stdout line within ${timeoutMs} ms; stderr:\n${err}`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          lineWaiters.push(resolve);
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
        if (!out.includes("\n", consumed) && finished) {
          throw new Error(`The bridge exited without another line; stderr:\n${err}`);
        }
      }
    },
    stdout: () => out,
    stderr: () => err,
    closeStdin: async () => {
      await writer.close().catch(() => {});
    },
    kill: (signal = "SIGTERM") => child.kill(signal),
    status: child.status,
    done,
    pid: child.pid,
  };
}

/** One JSON-RPC message as read from the bridge's stdout. */
export type StdoutMessage = {
  jsonrpc: "2.0";
  id?: string | number | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

/**
 * Parses everything a bridge wrote to stdout, failing unless every line is one JSON-RPC 2.0 message
 * (a request, a notification or a response) and the output ends with a newline.
 *
 * @param stdout The bridge's stdout text.
 * @returns The messages, in order.
 */
export function stdoutMessages(stdout: string): StdoutMessage[] {
  if (stdout === "") return [];
  if (!stdout.endsWith("\n")) throw new Error(`stdout does not end with a newline: ${stdout.slice(-200)}`);
  return stdout.slice(0, -1).split("\n").map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`stdout carries a line that is not JSON: ${line.slice(0, 200)}`);
    }
    const m = value as Record<string, unknown>;
    const ok = typeof m === "object" && m !== null && !Array.isArray(m) && m.jsonrpc === "2.0" &&
      (typeof m.method === "string" || ("id" in m && ("result" in m || "error" in m)));
    if (!ok) throw new Error(`stdout carries a line that is not a JSON-RPC message: ${line.slice(0, 200)}`);
    return m as StdoutMessage;
  });
}

/**
 * The host's `initialize` request as one line.
 *
 * @param id The request id.
 * @param protocolVersion The version the host asks for.
 * @returns The line, newline included.
 */
export function initializeLine(id: string | number = 1, protocolVersion = "2025-11-25"): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw-host", version: "1.0.0" } },
  }) + "\n";
}

/** The host's `notifications/initialized` as one line. */
export const INITIALIZED_LINE: string = '{"jsonrpc":"2.0","method":"notifications/initialized"}\n';

/**
 * Closes the bridge's stdin and waits for it to exit and for its output to be read.
 *
 * @param raw The bridge.
 * @returns The exit status.
 */
export async function finishRaw(raw: RawBridge): Promise<Deno.CommandStatus> {
  await raw.closeStdin();
  const status = await raw.status;
  await raw.done;
  return status;
}
