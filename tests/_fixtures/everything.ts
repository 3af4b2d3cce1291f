/**
 * The MCP reference server `@modelcontextprotocol/server-everything`, run as a subprocess on a free
 * loopback port, for integration tests of the bridge against a server that is not ours.
 *
 * The server runs with `-A` because it is third-party code under test, not the bridge: the bridge
 * itself is always spawned with exact permissions (see `bridge_host.ts`).
 *
 * @module
 */

/** The npm specifier, pinned to the version in `deno.json` and `deno.lock`. */
export const EVERYTHING_SPECIFIER = "npm:@modelcontextprotocol/server-everything@2026.8.31";

/** How server-everything speaks to clients. */
export type EverythingMode = "streamableHttp" | "sse";

/** A running server-everything. */
export interface EverythingServer {
  /** The URL to give the bridge: `/mcp` (Streamable HTTP) or `/sse` (HTTP+SSE). */
  url: URL;
  /** The port it listens on. */
  port: number;
  /** Everything the server wrote so far (stdout and stderr), for diagnostics. */
  output(): string;
  /** Kills the server, waits for it to exit and for its output to be read to the end. */
  close(): Promise<void>;
}

/** Options for {@linkcode startEverything}. */
export interface EverythingOptions {
  /** How long to wait for the port to accept connections (default 20 s). */
  startTimeoutMs?: number;
}

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** A port that was free a moment ago (the server binds it right after). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** One attempt on one port; `undefined` when the process exited before listening (port taken). */
async function tryStart(
  mode: EverythingMode,
  port: number,
  deadline: number,
): Promise<EverythingServer | undefined> {
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", "--frozen", "-A", EVERYTHING_SPECIFIER, mode],
    cwd: REPO_ROOT,
    env: { PORT: String(port), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await status;
    await drained;
  };
  while (Date.now() < deadline) {
    if (exited) {
      await close();
      if (/EADDRINUSE|already in use/.test(output)) return undefined;
      throw new Error(`server-everything (${mode}) exited before listening:\n${output}`);
    }
    if (await accepts(port)) {
      return {
        url: new URL(`http://127.0.0.1:${port}${mode === "sse" ? "/sse" : "/mcp"}`),
        port,
        output: () => output,
        close,
      };
    }
    await delay(50);
  }
  await close();
  throw new Error(`server-everything (${mode}) did not listen on port ${port} in time:\n${output}`);
}

/**
 * Starts server-everything in a mode on a free port and waits until the port accepts connections.
 *
 * @example Usage
 * ```ts ignore
 * import { startEverything } from "./everything.ts";
 * const server = await startEverything("streamableHttp");
 * try {
 *   console.log(server.url.href);
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @param mode `streamableHttp` (serves `/mcp`) or `sse` (serves `GET /sse` and `POST /message`).
 * @param options The start-up bound.
 * @returns The running server.
 */
export async function startEverything(
  mode: EverythingMode,
  options: EverythingOptions = {},
): Promise<EverythingServer> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await tryStart(mode, freePort(), deadline);
    if (server) return server;
  }
  throw new Error(`server-everything (${mode}) found no free port in 3 attempts`);
}

/** An accepted answer to server-everything's elicitation form (`name` is required; the others are valid extras). */
export const EVERYTHING_ELICITED: Record<string, string | number | boolean> = {
  name: "Ada Lovelace",
  check: true,
  integer: 7,
  email: "ada@example.com",
};
