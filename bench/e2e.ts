/**
 * The end-to-end benchmark: one workload run through (a) the MCP SDK's own Streamable HTTP client
 * (no bridge), (b) mcp-bridge with the recommended V8 flags (as users are told to run it), (c) the same
 * bridge without them and (d) mcp-remote, against two MCP servers on 127.0.0.1: a 2025-era
 * one (sessions, `initialize`) and a 2026-07-28 one (`createMcpHandler`: no sessions, `_meta` on
 * every request), which the bridge serves to the same 2025-era host by translating. The clients
 * alternate, for a few rounds. A minimal Deno proxy (`bench/floor_proxy.ts`) runs the same workload
 * against the 2025-era server as the floor of any Deno bridge. It prints markdown tables and writes
 * `bench/RESULTS.md`.
 *
 * ```sh
 * deno task bench              # deno bench of the hot functions, then this with 5 rounds
 * deno run --frozen --v8-flags=--expose-gc --allow-net=127.0.0.1 --allow-run --allow-env --allow-read \
 *   --allow-write=./bench,./.tmp,/tmp/mcp-bridge-bench bench/e2e.ts --rounds 5
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { McpServer } from "@modelcontextprotocol/server";
import { createExampleServer, type RunningServer, serveExample } from "../src/demo/example_server.ts";
import { LAZY_IMPORTS_FLAG, v8FlagsArgument } from "../src/config/runtime_flags.ts";
import { denoPermissionFlags } from "../src/config/permission_set.ts";
import { PROXY_VARIABLES } from "../src/net/reach.ts";
import { ERA_DIR_NAME } from "../src/transport/era_file.ts";
import { buildBundle } from "../scripts/bundle.ts";
import { blobText, registerBenchTools, serveModernBench } from "./modern_server.ts";

// ---------------------------------------------------------------------------------------------
// Workload and limits
// ---------------------------------------------------------------------------------------------

const MIB = 1024 * 1024;
const WARMUP_CALLS = 20;
const SEQUENTIAL_CALLS = 500;
const CONCURRENT_CALLS = 2000;
const IN_FLIGHT = 64;
const BLOB_CALLS = 20;
const BLOB_BYTES = MIB;
const NOTIFICATIONS = 1000;
/** How long the bridge idles after `initialize` + `tools/list` before its `VmRSS` is read. */
const IDLE_SETTLE_MS = 500;
/**
 * Starts of each client per server and round that only connect and close, before the round's workloads, the
 * clients taking turns. With the workload's own start, the cold start is the median of `rounds × (this + 1)`
 * starts: one start per round moved the median by 10 to 15 ms between runs (measured over eight runs).
 */
const COLD_STARTS_PER_ROUND = 3;
/**
 * V8's `gc()`, exposed by `--v8-flags=--expose-gc` (`deno task bench`): the harness collects its own garbage
 * before every timed start, and lets {@linkcode SETTLE_AFTER_GC_MS} pass for what V8 finishes in the
 * background. The harness serves both servers and hosts every client, so a collection of its heap during a
 * start (after the in-process client's workload, say) would fall into that client's time to `initialize`.
 */
const collectGarbage = (globalThis as { gc?: () => void }).gc;
const SETTLE_AFTER_GC_MS = 10;
/** The idle-RSS target, MiB ("what ten idle bridges cost"). */
const IDLE_RSS_LIMIT_MIB = 45;

const CALL_TIMEOUT_MS = 30_000;
const PHASE_TIMEOUT_MS = {
  connect: 30_000,
  warmup: 30_000,
  sequential: 60_000,
  concurrent: 60_000,
  blob: 60_000,
  notify: 60_000,
  close: 10_000,
} as const;
/** The whole run is abandoned (everything killed) after this long, plus {@linkcode WATCHDOG_PER_ROUND_MS} a round. */
const WATCHDOG_BASE_MS = 5 * 60_000;
/** A round takes about a minute (measured: 53 to 61 s). */
const WATCHDOG_PER_ROUND_MS = 2 * 60_000;

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const MAIN = `${ROOT}/src/main.ts`;
/**
 * Where the bundle and the floor proxy run from: outside the checkout, so that Deno finds no deno.json above
 * them, as for `jsr:@mcp-bridge/mcp-bridge` (a remote module). Deno looks for one from a local main module's
 * directory up: inside the checkout every start read the project's config (its import map, its lockfile),
 * about 5 ms more (measured), which no user pays.
 */
const OUTSIDE_DIR = "/tmp/mcp-bridge-bench";
/** The bundle users run (`jsr:@mcp-bridge/mcp-bridge`, `deno task bundle`), built from the source by this run. */
const BUNDLE_DIR = `${OUTSIDE_DIR}/bundle`;
const BUNDLE = `${BUNDLE_DIR}/main.js`;
/**
 * The working directory of every Deno process but `source`: a host starts the bridge where no deno.json is
 * (Claude Desktop: `/`), so no project config or lockfile is read; `source` runs in the checkout.
 */
const USER_CWD = "/";
/** `bench/floor_proxy.ts`, copied beside the bundle by this run. */
const FLOOR_PROXY = `${OUTSIDE_DIR}/floor_proxy.ts`;
const REMOTE_DIR = `${ROOT}/.tmp/bench-mcp-remote`;
const REMOTE_VERSION = "0.15.1";
const REMOTE_PROXY = `${REMOTE_DIR}/node_modules/mcp-remote/dist/proxy.js`;
const REMOTE_CONFIG_DIR = `${ROOT}/.tmp/bench-mcp-auth`;
const RESULTS_FILE = `${ROOT}/bench/RESULTS.md`;

/**
 * `bridge` runs with the recommended V8 flags (`v8FlagsArgument()`, what every printed host entry uses);
 * `bridge-plain` is the same bridge without them, to show what the flags buy. Ratios and targets use `bridge`.
 */
type Kind = "direct" | "bridge" | "bridge-plain" | "remote";
const KINDS: readonly Kind[] = ["direct", "bridge", "bridge-plain", "remote"];
/**
 * Every client that runs, with `floor`: the least a Deno proxy can do (`bench/floor_proxy.ts`, with the
 * recommended V8 flags), run against the 2025-era server only (it cannot translate), to show what Deno
 * itself costs for the same workload. Its numbers are a floor, reported apart from the client columns.
 */
type RunKind = Kind | "floor" | "source" | "remote-module";
/** The kinds that run a bridge process (whose `/proc` numbers are read). */
type BridgeKind = Exclude<RunKind, "direct">;
/** The server's protocol era: 2025 (`initialize`, sessions) or 2026-07-28 (`server/discover`, `_meta`). */
type Era = "legacy" | "modern";
const ERAS: readonly Era[] = ["legacy", "modern"];
const ERA_TITLE: Record<Era, string> = { legacy: "2025-era server", modern: "2026-07-28 server" };
const MODERN_VERSION = "2026-07-28";
const LABEL: Record<Kind, string> = {
  direct: "direct SDK client",
  bridge: "mcp-bridge",
  "bridge-plain": "mcp-bridge (no V8 flags)",
  remote: `mcp-remote ${REMOTE_VERSION}`,
};
const FLOOR_LABEL = "minimal Deno proxy (floor)";
/** mcp-bridge run from its TypeScript source in a checkout, to show what the bundle buys. */
const SOURCE_LABEL = "mcp-bridge from source";
/** The same bundle imported over HTTP and run from Deno's remote-module cache, as `jsr:` modules are. */
const REMOTE_MODULE_LABEL = "mcp-bridge as a cached remote module";
/** Where the harness serves the bundle for `remote-module` (set once the server runs). */
let bundleOrigin: URL | undefined;
const labelOf = (kind: RunKind): string =>
  kind === "floor"
    ? FLOOR_LABEL
    : kind === "source"
    ? SOURCE_LABEL
    : kind === "remote-module"
    ? REMOTE_MODULE_LABEL
    : LABEL[kind];

// ---------------------------------------------------------------------------------------------
// Small helpers (exported ones are pure and documented)
// ---------------------------------------------------------------------------------------------

const encoder = new TextEncoder();

function print(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

function progress(text: string): void {
  const bytes = encoder.encode(`${text}\n`);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/**
 * The nearest-rank percentile of a list of numbers.
 *
 * @example Usage
 * ```ts
 * import { percentile } from "./e2e.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
 * assert.equal(percentile([], 50), NaN);
 * ```
 *
 * @param values The samples (not modified).
 * @param p The percentile, 0 to 100.
 * @returns The value, `NaN` for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * The median of the finite numbers in a list (the mean of the middle two for an even count).
 *
 * @example Usage
 * ```ts
 * import { median } from "./e2e.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(median([3, NaN, 1, 2]), 2);
 * assert.equal(median([1, 2, 3, 4]), 2.5);
 * ```
 *
 * @param values The samples; `NaN` (a failed round) is left out.
 * @returns The median, `NaN` when no value is finite.
 */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/**
 * Parses the output of `cat /proc/<pid>/status /proc/<pid>/stat`: the peak and current resident set
 * size and the CPU time of a Linux process.
 *
 * @example Usage
 * ```ts
 * import { parseProcessStats } from "./e2e.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "Name:\tdeno\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n" +
 *   "7 (my prog) S 1 7 7 0 -1 0 0 0 0 0 30 12 0 0\n";
 * assert.deepEqual(parseProcessStats(text, 7, 100), { peakRssMiB: 50, rssMiB: 40, cpuMs: 420 });
 * ```
 *
 * @param text The two files, concatenated.
 * @param pid The process id (finds the `stat` line).
 * @param clockTicks Clock ticks per second (`getconf CLK_TCK`, almost always 100).
 * @returns `VmHWM` and `VmRSS` in MiB (`rssMiB` is `NaN` without a `VmRSS` line) and `utime + stime` in
 *   milliseconds, or `undefined` when unreadable.
 */
export function parseProcessStats(
  text: string,
  pid: number,
  clockTicks: number,
): ProcessStats | undefined {
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  const stat = text.split("\n").find((line) => line.startsWith(`${pid} (`));
  if (!hwm || stat === undefined) return undefined;
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return {
    peakRssMiB: Number(hwm[1]) / 1024,
    rssMiB: rss ? Number(rss[1]) / 1024 : NaN,
    cpuMs: ((utime + stime) * 1000) / clockTicks,
  };
}

/** What {@linkcode parseProcessStats} reads: `VmHWM`, `VmRSS` (MiB) and `utime + stime` (ms). */
export interface ProcessStats {
  /** `VmHWM`, MiB. */
  peakRssMiB: number;
  /** `VmRSS` at the time of reading, MiB. */
  rssMiB: number;
  /** `utime + stime`, ms. */
  cpuMs: number;
}

/**
 * Reads another process's `/proc` files through `cat`: Deno grants `/proc/<pid>` reads only with
 * `--allow-all`, and the bench task grants `--allow-run` instead.
 */
async function readProcessStats(
  pid: number,
  clockTicks: number,
): Promise<ProcessStats | undefined> {
  const text = await commandOutput("cat", [`/proc/${pid}/status`, `/proc/${pid}/stat`], 5000);
  return text === undefined ? undefined : parseProcessStats(text, pid, clockTicks);
}

/**
 * Races a promise against a timer that is always cleared.
 *
 * @example Usage
 * ```ts
 * import { withTimeout } from "./e2e.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await withTimeout(Promise.resolve(1), 100, "one"), 1);
 * ```
 *
 * @param promise The work.
 * @param ms The limit.
 * @param what Named in the error.
 * @returns The promise's value; rejects after `ms` milliseconds.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a promise at most `ms` milliseconds; `true` when it settled in time. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  try {
    await withTimeout(promise.then(() => {}, () => {}), ms, "wait");
    return true;
  } catch {
    return false;
  }
}

/** How close to a target a floor may be and still say nothing either way (rounds differ by more). */
const FLOOR_NOISE_SHARE = 0.05;

/**
 * Formats a number for the results table.
 *
 * @example Usage
 * ```ts
 * import { fmt } from "./e2e.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fmt(1234.567), "1235");
 * assert.equal(fmt(1.2345), "1.23");
 * assert.equal(fmt(NaN), "n/a");
 * ```
 *
 * @param value The number.
 * @returns About three significant digits, or `n/a`.
 */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

async function commandOutput(cmd: string, args: string[], timeoutMs = 10_000): Promise<string | undefined> {
  try {
    const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, timeoutMs);
    const out = await child.output().finally(() => clearTimeout(timer));
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/**
 * The example server plus the benchmark's tools: `blob` (a text result of a given size) and
 * `notify` (interleaved progress and log notifications, numbered, before the result).
 *
 * @example Usage
 * ```ts ignore
 * import { createBenchServer } from "./e2e.ts";
 * const server = createBenchServer();
 * ```
 *
 * @returns A server not yet connected to a transport.
 */
export function createBenchServer(): McpServer {
  const server = createExampleServer();
  registerBenchTools(server);
  return server;
}

// ---------------------------------------------------------------------------------------------
// Connecting the three clients
// ---------------------------------------------------------------------------------------------

/** Receives the notifications of the `notify` phase. */
interface NotificationRecorder {
  token: string;
  /** Arrival order, coded: progress i → 2(i-1), log i → 2(i-1)+1. */
  arrivals: number[];
  expected: number;
  done: Promise<void>;
  resolve: () => void;
}

interface Connection {
  kind: RunKind;
  client: Client;
  pid: number | null;
  recorder: NotificationRecorder | undefined;
  stderr(): string;
  close(): Promise<void>;
}

/** Everything that must be stopped if the run is cut short. */
const live = new Set<() => Promise<void>>();

function bridgeEnv(kind: RunKind): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  const denoDir = kind === "bridge-plain" ? plainDenoDir : Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return env;
}

/**
 * The Deno dir of `bridge-plain`. V8 rejects a code cache made under other flags, and Deno keeps one code
 * cache per module: the same modules run alternately with and without `--v8-flags` would each find the
 * other's cache and compile everything again at every start (measured here: 165 ms → 225 ms from spawn to
 * the `initialize` result). A user runs one set of flags, so each variant gets its own code cache: the
 * plain one a Deno dir of its own whose directories (the npm packages, the transpiled sources, downloads)
 * are links to the real one's, and whose SQLite caches, the code cache among them, are its own.
 */
let plainDenoDir: string | undefined;

async function preparePlainDenoDir(): Promise<void> {
  const info = JSON.parse(await commandOutput(Deno.execPath(), ["info", "--json"]) ?? "{}") as {
    denoDir?: string;
  };
  const real = Deno.env.get("DENO_DIR") ?? info.denoDir;
  if (!real) throw new Error("Cannot find the Deno dir (deno info --json names none)");
  const dir = `${ROOT}/.tmp/bench-deno-dir-plain`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  // `ln` (the bench may run programs): Deno.symlink needs an unscoped --allow-write.
  for await (const entry of Deno.readDir(real)) {
    if (!entry.isDirectory) continue;
    const made = await new Deno.Command("ln", {
      args: ["-s", `${real}/${entry.name}`, `${dir}/${entry.name}`],
    })
      .output();
    if (!made.success) {
      throw new Error(`Cannot link ${dir}/${entry.name}: ${new TextDecoder().decode(made.stderr)}`);
    }
  }
  plainDenoDir = dir;
}

/** The permission flags of the bridges and the floor, as the setup text shows them. */
const PERMISSIONS_SHOWN = "--allow-net=127.0.0.1:<port> --allow-read=<dir>/eras --allow-write=<dir>/eras " +
  "--allow-env=<the proxy variables>";

/** Where each kind of bridge keeps its config dir (the era memory), made afresh by every run. */
const CONFIG_ROOT = `${ROOT}/.tmp/bench-config`;

/** The config dir of a kind (the floor gets one too, which it never uses: the same flags). */
function configDirOf(kind: BridgeKind): string {
  return `${CONFIG_ROOT}/${kind}`;
}

/**
 * A `deno run` of `module` against the server at `url`, as a host spawns it: `--quiet --no-prompt`, the
 * recommended V8 flags unless `plain`, `extra` flags, then the permission flags that `mcp-bridge config`
 * prints for a server without sign-in (`denoPermissionFlags`: the server's `host:port`, the config dir,
 * the proxy variables), and `--config-dir` (not for the floor proxy, which takes the URL only).
 */
function denoRun(
  kind: BridgeKind,
  url: URL,
  module: string,
  cwd: string,
  options: { extra?: string[]; plain?: boolean; configDir?: string } = {},
) {
  const configDir = options.configDir ?? configDirOf(kind);
  const permissions = denoPermissionFlags({
    serverUrl: url,
    authUrls: [],
    browserSignIn: false,
    configDir,
    configGrant: `${configDir}/${ERA_DIR_NAME}`,
    envVars: PROXY_VARIABLES,
    readFiles: [],
    runPrograms: [],
  });
  return {
    command: Deno.execPath(),
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      ...(options.plain ? [] : [v8FlagsArgument()]),
      ...(options.extra ?? []),
      ...permissions,
      module,
      url.href,
      ...(kind === "floor" ? [] : ["--config-dir", configDir]),
    ],
    env: bridgeEnv(kind),
    cwd,
  };
}

function stdioParams(kind: BridgeKind, url: URL, era: Era, configDir?: string) {
  if (kind === "remote-module") {
    // `jsr:` runs remote modules from Deno's cache; served here over HTTP (hence --allow-import, which jsr.io
    // needs not: it is allowed by default), fetched once by the warm-up, then from the cache.
    const origin = bundleOrigin!;
    return denoRun(kind, url, new URL("main.js", origin).href, USER_CWD, {
      extra: [LAZY_IMPORTS_FLAG, `--allow-import=${origin.host}`],
    });
  }
  // A developer's run: the TypeScript modules, in the checkout (its deno.json and lockfile).
  if (kind === "source") return denoRun(kind, url, MAIN, ROOT, { extra: ["--frozen"] });
  if (kind === "floor" || kind === "bridge" || kind === "bridge-plain") {
    // Exactly as users are told to run it (README, printed host entries); plain: without the flags.
    return denoRun(kind, url, kind === "floor" ? FLOOR_PROXY : BUNDLE, USER_CWD, {
      plain: kind === "bridge-plain",
      // A jsr: program loads its modules from jsr.io, which Deno allows by default; the bundle's own files
      // stand in for it here: read access to them is what loading a part late needs (LAZY_IMPORTS_FLAG).
      ...(kind === "floor" ? {} : { extra: [LAZY_IMPORTS_FLAG, `--allow-read=${BUNDLE_DIR}`] }),
      ...(configDir ? { configDir } : {}),
    });
  }
  return {
    command: "node",
    // mcp-remote speaks only the 2025 era unless told to probe (`--protocol auto`, its opt-in to the
    // SDK's version negotiation); the bridge probes by default (`--protocol auto`).
    args: [REMOTE_PROXY, url.href, "--allow-http", ...(era === "modern" ? ["--protocol", "auto"] : [])],
    env: { MCP_REMOTE_CONFIG_DIR: REMOTE_CONFIG_DIR, NO_COLOR: "1" },
    cwd: ROOT,
  };
}

/**
 * The host. Over stdio it is always a 2025-era client (that is what the bridges serve); the direct
 * client against the 2026-07-28 server pins that revision (the SDK's `Client` speaks 2025 unless
 * `versionNegotiation` says otherwise), so it sends `server/discover` and the `_meta` envelope itself.
 */
function newClient(kind: RunKind, era: Era): {
  client: Client;
  holder: { recorder: NotificationRecorder | undefined };
} {
  const holder: { recorder: NotificationRecorder | undefined } = { recorder: undefined };
  const client = new Client(
    { name: "mcp-bridge-bench", version: "1.0.0" },
    kind === "direct" && era === "modern" ? { versionNegotiation: { mode: { pin: MODERN_VERSION } } } : {},
  );
  // Our own progress handler (replacing the SDK's per-request one): the SDK drops progress that it
  // dispatches after the response, so counting arrivals here is what measures the bridge.
  client.setNotificationHandler("notifications/progress", (n) => {
    const r = holder.recorder;
    if (!r || n.params.progressToken !== r.token) return;
    r.arrivals.push(2 * (n.params.progress - 1));
    if (r.arrivals.length >= r.expected) r.resolve();
  });
  client.setNotificationHandler("notifications/message", (n) => {
    const r = holder.recorder;
    const seq = (n.params.data as { seq?: unknown } | undefined)?.seq;
    if (!r || n.params.logger !== "bench" || typeof seq !== "number") return;
    r.arrivals.push(2 * (seq - 1) + 1);
    if (r.arrivals.length >= r.expected) r.resolve();
  });
  return { client, holder };
}

/** Connects one client; returns the connection and the cold-start time (spawn → initialize result). */
async function connect(
  kind: RunKind,
  url: URL,
  era: Era,
  configDir?: string,
): Promise<{ connection: Connection; coldMs: number }> {
  const { client, holder } = newClient(kind, era);
  let exited!: () => void;
  const exit = new Promise<void>((resolve) => (exited = resolve));
  client.onclose = () => exited();
  let stderr = "";
  let pid: number | null = null;
  let transport: StdioClientTransport | StreamableHTTPClientTransport;
  if (kind === "direct") {
    transport = new StreamableHTTPClientTransport(url);
  } else {
    const stdio = new StdioClientTransport({ ...stdioParams(kind, url, era, configDir), stderr: "pipe" });
    const decoder = new TextDecoder();
    stdio.stderr?.on("data", (chunk: Uint8Array) => {
      stderr = (stderr + decoder.decode(chunk, { stream: true })).slice(-16_384);
    });
    transport = stdio;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closing ??= (async () => {
      const p = pid ?? (transport instanceof StdioClientTransport ? transport.pid : null);
      await withTimeout(client.close(), PHASE_TIMEOUT_MS.close, "close").catch(() => {});
      if (kind !== "direct" && p !== null && !(await settledWithin(exit, 1000))) {
        try {
          Deno.kill(p, "SIGKILL");
        } catch { /* already gone */ }
        await settledWithin(exit, 2000);
      }
      live.delete(close);
    })();
  live.add(close);
  collectGarbage?.();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_AFTER_GC_MS));
  const start = performance.now();
  try {
    await withTimeout(client.connect(transport), PHASE_TIMEOUT_MS.connect, "connect");
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}${stderr ? `\n--- stderr ---\n${stderr}` : ""}`);
  }
  const coldMs = performance.now() - start;
  if (transport instanceof StdioClientTransport) pid = transport.pid;
  const negotiated = client.getNegotiatedProtocolVersion();
  const expected = kind === "direct" && era === "modern" ? MODERN_VERSION : undefined;
  if (expected !== undefined ? negotiated !== expected : negotiated === MODERN_VERSION) {
    await close();
    throw new Error(`the host negotiated ${negotiated ?? "nothing"}, not ${expected ?? "a 2025 revision"}`);
  }
  const connection: Connection = {
    kind,
    client,
    pid,
    get recorder() {
      return holder.recorder;
    },
    set recorder(r) {
      holder.recorder = r;
    },
    stderr: () => stderr,
    close,
  };
  return { connection, coldMs };
}

// ---------------------------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------------------------

/** One client's numbers in one round. */
interface Sample {
  kind: RunKind;
  era: Era;
  round: number;
  /** The median of this round's starts (`aloneColdMs` and `workloadColdMs`). */
  coldMs: number;
  /** This round's starts of this client alone (see `coldStartsAlone`), spawn → initialize result (ms). */
  aloneColdMs: number[];
  /** The start of this round's workload (ms; `NaN` when it failed). */
  workloadColdMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  callsPerS: number;
  mibPerS: number;
  notifyMs: number;
  ordered: boolean | undefined;
  peakRssMiB: number;
  /** `VmRSS` of the bridge process after `initialize` + `tools/list` and a short idle, MiB. */
  idleRssMiB: number;
  cpuMs: number;
  /** CPU time of the bridge process in each timed phase (ms), for the per-unit comparison. */
  phaseCpuMs: Record<Phase, number>;
  error?: string;
}

type Phase = "sequential" | "concurrent" | "blob" | "notify";

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const first = content?.[0];
  if (first?.type !== "text" || typeof first.text !== "string") {
    throw new Error(`unexpected tool result: ${JSON.stringify(result).slice(0, 200)}`);
  }
  return first.text;
}

async function echo(client: Client, text: string): Promise<void> {
  const result = await client.callTool({ name: "echo", arguments: { text } }, { timeout: CALL_TIMEOUT_MS });
  const got = textOf(result);
  if (got !== text) throw new Error(`echo returned ${JSON.stringify(got)} for ${JSON.stringify(text)}`);
}

async function phaseSequential(client: Client): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL_CALLS; i++) {
    const start = performance.now();
    await echo(client, `sequential ${i}`);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

async function phaseConcurrent(client: Client): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < CONCURRENT_CALLS) {
      const i = next++;
      await echo(client, `concurrent ${i}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return (CONCURRENT_CALLS * 1000) / (performance.now() - start);
}

async function phaseBlob(client: Client): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < BLOB_CALLS; i++) {
    const result = await client.callTool({ name: "blob", arguments: { bytes: BLOB_BYTES } }, {
      timeout: CALL_TIMEOUT_MS,
    });
    const length = textOf(result).length;
    if (length !== BLOB_BYTES) throw new Error(`blob returned ${length} characters, not ${BLOB_BYTES}`);
  }
  return (BLOB_CALLS * BLOB_BYTES) / MIB / ((performance.now() - start) / 1000);
}

async function phaseNotify(connection: Connection, token: string): Promise<{ ms: number; ordered: boolean }> {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const recorder: NotificationRecorder = { token, arrivals: [], expected: 2 * NOTIFICATIONS, done, resolve };
  connection.recorder = recorder;
  try {
    const start = performance.now();
    const result = await connection.client.callTool(
      { name: "notify", arguments: { n: NOTIFICATIONS }, _meta: { progressToken: token } },
      { timeout: CALL_TIMEOUT_MS },
    );
    if (textOf(result) !== String(NOTIFICATIONS)) throw new Error("notify returned an unexpected result");
    // Notifications are dispatched on microtasks and may trail the response a little.
    if (!(await settledWithin(done, 5000))) {
      throw new Error(`received ${recorder.arrivals.length} of ${recorder.expected} notifications`);
    }
    const ms = performance.now() - start;
    const ordered = recorder.arrivals.length === recorder.expected &&
      recorder.arrivals.every((code, k) => code === k);
    return { ms, ordered };
  } finally {
    connection.recorder = undefined;
  }
}

/**
 * `COLD_STARTS_PER_ROUND` starts of each client against one server, the clients taking turns (the order
 * rotates by one at every turn, so that no client always follows the same one): each connects, is timed to
 * the `initialize` result and is closed. A start that fails is recorded in `failures` (the run fails), and
 * that client is not started alone again in this round.
 */
async function coldStartsAlone(
  kinds: readonly RunKind[],
  era: Era,
  url: URL,
  round: number,
  failures: string[],
): Promise<Map<RunKind, number[]>> {
  const out = new Map<RunKind, number[]>(kinds.map((kind) => [kind, []]));
  const failed = new Set<RunKind>();
  for (let i = 0; i < COLD_STARTS_PER_ROUND; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(k + i) % kinds.length]!;
      if (failed.has(kind)) continue;
      try {
        const { connection, coldMs } = await connect(kind, url, era);
        await connection.close();
        out.get(kind)!.push(coldMs);
      } catch (error) {
        failed.add(kind);
        failures.push(
          `round ${round}, ${ERA_TITLE[era]}, ${labelOf(kind)}: start ${i + 1} of ${COLD_STARTS_PER_ROUND} ` +
            `(alone) failed: ${(error as Error).message.split("\n")[0]}`,
        );
      }
    }
  }
  return out;
}

async function runOnce(
  kind: RunKind,
  era: Era,
  url: URL,
  round: number,
  clockTicks: number,
  aloneColdMs: number[] = [],
): Promise<Sample> {
  const sample: Sample = {
    kind,
    era,
    round,
    coldMs: median(aloneColdMs),
    aloneColdMs,
    workloadColdMs: NaN,
    p50Ms: NaN,
    p90Ms: NaN,
    p99Ms: NaN,
    callsPerS: NaN,
    mibPerS: NaN,
    notifyMs: NaN,
    ordered: undefined,
    peakRssMiB: NaN,
    idleRssMiB: NaN,
    cpuMs: NaN,
    phaseCpuMs: { sequential: NaN, concurrent: NaN, blob: NaN, notify: NaN },
  };
  let connection: Connection | undefined;
  let phase = "connect";
  // The bridge's CPU time so far (outside the timed work: `cat` runs between phases).
  const cpuNow = async () =>
    connection?.pid == null ? NaN : (await readProcessStats(connection.pid, clockTicks))?.cpuMs ?? NaN;
  let cpuMark = NaN;
  const cpuPhase = async (name: Phase) => {
    const now = await cpuNow();
    sample.phaseCpuMs[name] = now - cpuMark;
    cpuMark = now;
  };
  try {
    const connected = await connect(kind, url, era);
    connection = connected.connection;
    sample.workloadColdMs = connected.coldMs;
    sample.coldMs = median([...aloneColdMs, connected.coldMs]);
    const client = connection.client;

    // Idle RSS: what a bridge costs once the host has listed the tools and gone quiet.
    phase = "idle";
    await withTimeout(client.listTools(), CALL_TIMEOUT_MS, "tools/list");
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    if (connection.pid !== null) {
      sample.idleRssMiB = (await readProcessStats(connection.pid, clockTicks))?.rssMiB ?? NaN;
    }

    phase = "warmup";
    await withTimeout(
      (async () => {
        for (let i = 0; i < WARMUP_CALLS; i++) await echo(client, `warmup ${i}`);
      })(),
      PHASE_TIMEOUT_MS.warmup,
      phase,
    );

    phase = "sequential";
    cpuMark = await cpuNow();
    const latencies = await withTimeout(phaseSequential(client), PHASE_TIMEOUT_MS.sequential, phase);
    await cpuPhase("sequential");
    sample.p50Ms = percentile(latencies, 50);
    sample.p90Ms = percentile(latencies, 90);
    sample.p99Ms = percentile(latencies, 99);

    phase = "concurrent";
    sample.callsPerS = await withTimeout(phaseConcurrent(client), PHASE_TIMEOUT_MS.concurrent, phase);
    await cpuPhase("concurrent");

    phase = "blob";
    sample.mibPerS = await withTimeout(phaseBlob(client), PHASE_TIMEOUT_MS.blob, phase);
    await cpuPhase("blob");

    phase = "notify";
    const notified = await withTimeout(
      phaseNotify(connection, `bench-${era}-${kind}-${round}`),
      PHASE_TIMEOUT_MS.notify,
      phase,
    );
    sample.notifyMs = notified.ms;
    sample.ordered = notified.ordered;
    await cpuPhase("notify");

    phase = "stats";
    if (connection.pid !== null) {
      const stats = await readProcessStats(connection.pid, clockTicks);
      if (stats) {
        sample.peakRssMiB = stats.peakRssMiB;
        sample.cpuMs = stats.cpuMs;
      }
    }
  } catch (error) {
    const stderr = connection?.stderr().trim();
    sample.error = `${phase}: ${(error as Error).message}${
      stderr && !(error as Error).message.includes("--- stderr ---")
        ? `\n--- stderr (tail) ---\n${stderr.slice(-2000)}`
        : ""
    }`;
  } finally {
    await connection?.close();
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Runtime floors: what an idle Deno and an idle Node cost before any MCP work
// ---------------------------------------------------------------------------------------------

interface Floor {
  startMs: number;
  peakRssMiB: number;
  /** `VmRSS` while idle (after the first output), MiB. */
  rssMiB: number;
  cpuMs: number;
}

/** A bare Deno script's memory after some `fetch` work against the 2025-era server (no bridge code). */
interface FetchFloor {
  /** `VmHWM`, MiB. */
  peakRssMiB: number;
  /** `VmRSS` 500 ms (`IDLE_SETTLE_MS`) after the last call, MiB. */
  rssMiB: number;
}

/** The bare-`fetch` scripts: how many echo calls, how many in flight, with or without the V8 flags. */
const FETCH_FLOORS = {
  sequential: { calls: 2000, inFlight: 1, flags: false },
  sequentialFlags: { calls: 2000, inFlight: 1, flags: true },
  concurrent: { calls: CONCURRENT_CALLS, inFlight: IN_FLIGHT, flags: false },
  concurrentFlags: { calls: CONCURRENT_CALLS, inFlight: IN_FLIGHT, flags: true },
  /** One fetch (`initialize`) and nothing else, with the recommended flags: the idle cost of `fetch`. */
  oneFlags: { calls: 0, inFlight: 1, flags: true },
} as const;
type FetchFloorName = keyof typeof FETCH_FLOORS;

interface Floors {
  deno?: Floor;
  /** An idle `deno eval` with the recommended V8 flags. */
  denoFlags?: Floor;
  node?: Floor;
  /** What the SDK's stdio host transport alone reads of 1 MiB lines, in MiB/s. */
  hostMiBPerS?: number;
  /** Bare Deno scripts doing echo calls with `fetch` (no bridge), median of 3 each. */
  fetch: Partial<Record<FetchFloorName, FetchFloor>>;
  /**
   * The minimal Deno proxy (`bench/floor_proxy.ts`, recommended V8 flags) through the whole workload
   * against the 2025-era server, in every round: medians, CPU per unit, failed rounds.
   */
  proxy?: { medians: Record<Metric["key"], number>; unit: UnitCpu; failed: number };
  /** mcp-bridge from its TypeScript source (`src/main.ts` in the checkout), 2025-era server, every round. */
  source?: { medians: Record<Metric["key"], number>; failed: number };
  /** The bundle as a cached remote module (served by the harness over HTTP), 2025-era server, every round. */
  remoteModule?: { medians: Record<Metric["key"], number>; failed: number };
  /** mcp-bridge's cold start with an empty config dir (a server it has not seen), per era, one per round. */
  firstStartMs?: Record<Era, number[]>;
}

/**
 * What Deno's own `fetch` costs in memory: a bare script (no bridge code) that opens a session and
 * makes `calls` echo calls (`inFlight` at a time) against the same server, optionally with the
 * recommended V8 flags, then reports its peak RSS and, `IDLE_SETTLE_MS` later, its current RSS.
 * With `calls` 0 it makes one fetch (`initialize`) only.
 */
async function measureFetchFloor(
  url: URL,
  spec: { calls: number; inFlight: number; flags: boolean },
): Promise<FetchFloor | undefined> {
  const script = `
const url = ${JSON.stringify(url.href)};
const h = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const post = (headers, body) => fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
let r = await post(h, { jsonrpc: "2.0", id: 0, method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "floor", version: "1" } } });
const session = { ...h, "mcp-session-id": r.headers.get("mcp-session-id"), "mcp-protocol-version": "2025-11-25" };
await r.text();
const calls = ${spec.calls};
if (calls > 0) {
  await (await post(session, { jsonrpc: "2.0", method: "notifications/initialized" })).text();
  let next = 1;
  const worker = async () => {
    while (next <= calls) {
      const i = next++;
      const t = await (await post(session, { jsonrpc: "2.0", id: i, method: "tools/call",
        params: { name: "echo", arguments: { text: "hi" } } })).text();
      JSON.parse(t.slice(t.indexOf("data: ") + 6));
    }
  };
  await Promise.all(Array.from({ length: ${spec.inFlight} }, worker));
}
await fetch(url, { method: "DELETE", headers: session }).then((x) => x.body?.cancel());
await new Promise((resolve) => setTimeout(resolve, ${IDLE_SETTLE_MS}));
const status = Deno.readTextFileSync("/proc/self/status");
console.log("hwm " + /VmHWM:\\s+(\\d+)/.exec(status)[1] + " rss " + /VmRSS:\\s+(\\d+)/.exec(status)[1]);`;
  const runs: FetchFloor[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await withTimeout(
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--quiet", ...(spec.flags ? [v8FlagsArgument()] : []), script],
        stdout: "piped",
        stderr: "null",
        env: bridgeEnv("floor"),
        cwd: USER_CWD,
      }).output(),
      60_000,
      "fetch floor",
    ).catch(() => undefined);
    const match = out ? /hwm (\d+) rss (\d+)/.exec(new TextDecoder().decode(out.stdout)) : null;
    if (match) runs.push({ peakRssMiB: Number(match[1]) / 1024, rssMiB: Number(match[2]) / 1024 });
  }
  return runs.length === 0 ? undefined : {
    peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
    rssMiB: median(runs.map((r) => r.rssMiB)),
  };
}

async function measureIdle(command: string, args: string[], clockTicks: number): Promise<Floor | undefined> {
  let child: Deno.ChildProcess | undefined;
  try {
    const start = performance.now();
    child = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: bridgeEnv("floor"),
      cwd: USER_CWD,
    }).spawn();
    const reader = child.stdout.getReader();
    const ready = (async () => {
      let text = "";
      while (!text.includes("ready")) {
        const { done, value } = await reader.read();
        if (done) throw new Error("exited early");
        text += new TextDecoder().decode(value);
      }
    })();
    await withTimeout(ready, 10_000, "idle start");
    const startMs = performance.now() - start;
    const stats = await readProcessStats(child.pid, clockTicks);
    await child.stdin.close();
    await reader.cancel().catch(() => {});
    if (!(await settledWithin(child.status, 3000))) child.kill("SIGKILL");
    await settledWithin(child.status, 2000);
    return stats ? { startMs, ...stats } : undefined;
  } catch {
    try {
      child?.kill("SIGKILL");
      await child?.stdin.close().catch(() => {});
      await child?.stdout.cancel().catch(() => {});
    } catch { /* gone */ }
    if (child) await settledWithin(child.status, 2000);
    return undefined;
  }
}

async function measureFloors(clockTicks: number): Promise<Floors> {
  const idleScript =
    "console.log('ready'); for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }";
  const denoArgs = ["eval", "--quiet", idleScript];
  const denoFlagsArgs = ["eval", "--quiet", v8FlagsArgument(), idleScript];
  const nodeArgs = [
    "-e",
    "process.stdout.write('ready\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));",
  ];
  const denoRuns: Floor[] = [];
  const denoFlagsRuns: Floor[] = [];
  const nodeRuns: Floor[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await measureIdle(Deno.execPath(), denoArgs, clockTicks);
    if (d) denoRuns.push(d);
    const df = await measureIdle(Deno.execPath(), denoFlagsArgs, clockTicks);
    if (df) denoFlagsRuns.push(df);
    const n = await measureIdle("node", nodeArgs, clockTicks);
    if (n) nodeRuns.push(n);
  }
  const summarize = (runs: Floor[]): Floor | undefined =>
    runs.length === 0 ? undefined : {
      startMs: median(runs.map((r) => r.startMs)),
      peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
      rssMiB: median(runs.map((r) => r.rssMiB)),
      cpuMs: median(runs.map((r) => r.cpuMs)),
    };
  return {
    deno: summarize(denoRuns),
    denoFlags: summarize(denoFlagsRuns),
    node: summarize(nodeRuns),
    hostMiBPerS: await measureHostFloor(),
    fetch: {},
  };
}

/**
 * The host side alone: the SDK's `StdioClientTransport` (as the harness runs it, under Deno's Node
 * compatibility) reading the 20 x 1 MiB tool results from `cat`, with no bridge and no network.
 * Every stdio bridge pays this on top of its own work; the direct client does not.
 */
async function measureHostFloor(): Promise<number | undefined> {
  const file = `${ROOT}/.tmp/bench-host-floor.jsonl`;
  const runs: number[] = [];
  try {
    const line = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      result: { content: [{ type: "text", text: blobText(BLOB_BYTES) }] },
    }) + "\n";
    Deno.writeTextFileSync(file, line.repeat(BLOB_CALLS));
    for (let i = 0; i < 3; i++) {
      const transport = new StdioClientTransport({ command: "cat", args: [file] });
      let messages = 0;
      const closed = new Promise<void>((resolve) => (transport.onclose = () => resolve()));
      transport.onmessage = () => void messages++;
      const start = performance.now();
      await transport.start();
      const ok = await settledWithin(closed, 30_000);
      const ms = performance.now() - start;
      if (!ok) await transport.close();
      if (ok && messages === BLOB_CALLS) runs.push((BLOB_CALLS * BLOB_BYTES) / MIB / (ms / 1000));
    }
  } catch {
    // Reported as n/a.
  } finally {
    try {
      Deno.removeSync(file);
    } catch { /* never written */ }
  }
  return runs.length > 0 ? median(runs) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Setup: mcp-remote, machine description
// ---------------------------------------------------------------------------------------------

async function ensureMcpRemote(): Promise<string | undefined> {
  try {
    Deno.statSync(REMOTE_PROXY);
    return undefined;
  } catch { /* not installed yet */ }
  progress(`Installing mcp-remote@${REMOTE_VERSION} into ${REMOTE_DIR} …`);
  const out = await commandOutput("npm", [
    "install",
    "--prefix",
    REMOTE_DIR,
    `mcp-remote@${REMOTE_VERSION}`,
    "--no-audit",
    "--no-fund",
  ], 180_000);
  try {
    Deno.statSync(REMOTE_PROXY);
    return undefined;
  } catch {
    return `npm install mcp-remote@${REMOTE_VERSION} failed${out === undefined ? "" : `: ${out}`}`;
  }
}

interface Machine {
  date: string;
  cpus: number;
  model: string;
  memory: string;
  kernel: string;
  load: string;
  deno: string;
  node: string;
  mcpRemote: string;
}

async function describeMachine(): Promise<Machine> {
  // Deno grants /proc reads only with --allow-all: read through `cat` (--allow-run).
  const read = async (path: string) => (await commandOutput("cat", [path], 5000)) ?? "";
  const [cpuinfo, meminfo, osrelease, loadavg] = await Promise.all(
    ["/proc/cpuinfo", "/proc/meminfo", "/proc/sys/kernel/osrelease", "/proc/loadavg"].map(read),
  );
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const memKiB = Number(/^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo)?.[1] ?? NaN);
  let remoteVersion = "not installed";
  try {
    remoteVersion =
      JSON.parse(Deno.readTextFileSync(`${REMOTE_DIR}/node_modules/mcp-remote/package.json`)).version;
  } catch { /* not installed */ }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: navigator.hardwareConcurrency,
    model,
    memory: Number.isFinite(memKiB) ? `${(memKiB / 1024 / 1024).toFixed(1)} GiB` : "unknown",
    kernel: osrelease.trim() || "unknown",
    load: loadavg.split(" ").slice(0, 3).join(" ") || "unknown",
    deno: Deno.version.deno,
    node: (await commandOutput("node", ["--version"])) ?? "not found",
    mcpRemote: remoteVersion,
  };
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

interface Metric {
  label: string;
  key: keyof Pick<
    Sample,
    | "coldMs"
    | "p50Ms"
    | "p90Ms"
    | "p99Ms"
    | "callsPerS"
    | "mibPerS"
    | "notifyMs"
    | "peakRssMiB"
    | "idleRssMiB"
    | "cpuMs"
  >;
  better: "lower" | "higher";
}

const METRICS: Metric[] = [
  {
    label: "cold start: spawn → initialize result, median of every start (ms)",
    key: "coldMs",
    better: "lower",
  },
  { label: `echo latency p50, ${SEQUENTIAL_CALLS} sequential (ms)`, key: "p50Ms", better: "lower" },
  { label: "echo latency p90 (ms)", key: "p90Ms", better: "lower" },
  { label: "echo latency p99 (ms)", key: "p99Ms", better: "lower" },
  {
    label: `throughput, ${CONCURRENT_CALLS} echo calls, ${IN_FLIGHT} in flight (calls/s)`,
    key: "callsPerS",
    better: "higher",
  },
  { label: `${BLOB_CALLS} x 1 MiB results (MiB/s)`, key: "mibPerS", better: "higher" },
  {
    label: `${NOTIFICATIONS} progress + ${NOTIFICATIONS} log notifications (ms)`,
    key: "notifyMs",
    better: "lower",
  },
  { label: "peak RSS of the bridge process, VmHWM (MiB)", key: "peakRssMiB", better: "lower" },
  {
    label: `idle RSS of the bridge process: VmRSS ${IDLE_SETTLE_MS} ms after initialize + tools/list (MiB)`,
    key: "idleRssMiB",
    better: "lower",
  },
  { label: "CPU time of the bridge process, user+sys (ms)", key: "cpuMs", better: "lower" },
];

type Medians = Record<Kind, Record<Metric["key"], number>>;

function computeMedians(samples: Sample[]): Medians {
  const out = {} as Medians;
  for (const kind of KINDS) out[kind] = medianOf(samples.filter((s) => s.kind === kind));
  return out;
}

/** The median of each metric over some samples (of one client). */
function medianOf(samples: Sample[]): Record<Metric["key"], number> {
  const out = {} as Record<Metric["key"], number>;
  for (const metric of METRICS) out[metric.key] = median(samples.map((s) => s[metric.key]));
  // The cold start: the median of every start, not of the rounds' medians.
  out.coldMs = median(samples.flatMap((s) => [...s.aloneColdMs, s.workloadColdMs]));
  return out;
}

/** CPU time of a bridge process per unit of work in each phase: medians over the rounds. */
interface UnitCpu {
  /** Per sequential echo call, µs. */
  seqUs: number;
  /** Per echo call with 64 in flight, µs. */
  concUs: number;
  /** Per MiB of `blob` result, ms. */
  blobMsPerMiB: number;
  /** Per notification, µs. */
  notifyUs: number;
}

const UNIT_ROWS: { label: string; key: keyof UnitCpu }[] = [
  { label: `CPU per sequential echo call (µs)`, key: "seqUs" },
  { label: `CPU per echo call, ${IN_FLIGHT} in flight (µs)`, key: "concUs" },
  { label: "CPU per MiB of `blob` result (ms)", key: "blobMsPerMiB" },
  { label: "CPU per notification (µs)", key: "notifyUs" },
];

/** Each successful round's CPU per unit of work. */
function unitCpuRounds(samples: Sample[], kind: RunKind): Record<keyof UnitCpu, number[]> {
  const mine = samples.filter((s) => s.kind === kind && !s.error);
  const per = (phase: Phase, units: number, scale: number) =>
    mine.map((s) => (s.phaseCpuMs[phase] * scale) / units).filter(Number.isFinite);
  return {
    seqUs: per("sequential", SEQUENTIAL_CALLS, 1000),
    concUs: per("concurrent", CONCURRENT_CALLS, 1000),
    blobMsPerMiB: per("blob", (BLOB_CALLS * BLOB_BYTES) / MIB, 1),
    notifyUs: per("notify", 2 * NOTIFICATIONS, 1000),
  };
}

function unitCpu(rounds: Record<keyof UnitCpu, number[]>): UnitCpu {
  return {
    seqUs: median(rounds.seqUs),
    concUs: median(rounds.concUs),
    blobMsPerMiB: median(rounds.blobMsPerMiB),
    notifyUs: median(rounds.notifyUs),
  };
}

interface Target {
  name: string;
  /** The measured ratio (`unit` "x") or absolute value (`unit` "MiB"). */
  value: number;
  unit: "x" | "MiB";
  /** The numbers behind the value, e.g. "112 ms / 934 ms". */
  detail: string;
  /** Absent for the "keep: reported" rows, which are reported, not judged. */
  limit?: number;
  op?: "<=" | ">=";
  reason: string;
}

/** What the report knows besides one era's medians. */
interface Context {
  floors: Floors;
  /** Every client's CPU per unit of work, per era. */
  unit: Record<Kind, Record<Era, UnitCpu>>;
}

function targets(m: Medians, era: Era, ctx: Context): Target[] {
  const { floors, unit } = ctx;
  const b = m.bridge;
  const r = m.remote;
  const d = m.direct;
  const f = (
    x: number | undefined,
    u: string,
  ) => (x === undefined || !Number.isFinite(x) ? "n/a" : `${fmt(x)} ${u}`);
  const x = (a: number | undefined, c: number) =>
    a === undefined || !Number.isFinite(a / c) ? "n/a" : `${fmt(a / c)}x`;
  const pair = (a: number, c: number, u: string) => `${fmt(a)} ${u} / ${fmt(c)} ${u}`;
  // On the 2026-07-28 server the bridge also translates each message; say what that costs per unit.
  const extra = (key: keyof UnitCpu, what: string, u: string) =>
    era === "legacy" ? "" : `; on this server the bridge also translates (stamps the \`_meta\` envelope on ` +
      `each request, drops \`resultType\` from each result; \`deno bench bench/era_translation_bench.ts\` ` +
      `measures that in-process), and its CPU ${what} is ${fmt(unit.bridge.modern[key])} ${u} against ` +
      `${fmt(unit.bridge.legacy[key])} ${u} on the 2025-era server ` +
      `(${fmt(unit.bridge.modern[key] / unit.bridge.legacy[key])}x; see "CPU per unit of work")`;

  // The minimal Deno proxy through the same workload (2025-era server only): what any Deno bridge pays.
  const proxy = floors.proxy?.medians;
  const floorSays = (key: Metric["key"], limit: number, u: string, relative: boolean) => {
    const value = proxy?.[key];
    if (value === undefined || !Number.isFinite(value)) return "";
    const share = relative ? value / r[key] : value;
    const shown = relative ? `${fmt(share)}x mcp-remote` : `${fmt(value)} ${u}`;
    const own = b[key] - value;
    // Within 5 % of the target the floor says nothing either way: rounds here differ by more than that.
    if (Math.abs(share - limit) <= limit * FLOOR_NOISE_SHARE) {
      return `the minimal Deno proxy (\`bench/floor_proxy.ts\`, see "The floor") measured ${
        fmt(value)
      } ${u} ` +
        `${relative ? `(${share.toFixed(3)}x mcp-remote) ` : ""}in the same rounds: at the target, within ` +
        `${
          FLOOR_NOISE_SHARE * 100
        } %, less than this machine's spread between rounds, so it shows neither that ` +
        `no Deno bridge can meet the target nor that one can; the bridge's other ${
          fmt(own)
        } ${u} are its own; `;
    }
    return share > limit
      ? `the minimal Deno proxy (\`bench/floor_proxy.ts\`, see "The floor") measured ${fmt(value)} ${u} = ` +
        `${shown} in the same rounds: above the target, so no Deno bridge can meet it; `
      : `the minimal Deno proxy (\`bench/floor_proxy.ts\`, see "The floor") measured ${fmt(value)} ${u} ` +
        `${relative ? `(${shown}), ` : ""}within the target: the bridge's other ${
          fmt(own)
        } ${u} are its own, and the target ` +
        "is missed by the bridge, not by Deno; ";
  };

  // Cold start: Deno's own start-up against mcp-remote's whole cold start.
  const denoStart = floors.denoFlags?.startMs ?? floors.deno?.startMs;
  const startShare = denoStart === undefined ? NaN : denoStart / r.coldMs;
  const coldReason = (era === "legacy" ? floorSays("coldMs", 0.15, "ms", true) : "") +
    (Number.isFinite(startShare) && startShare > 0.15
      ? `an idle \`deno eval\` alone takes ${f(denoStart, "ms")} from spawn to its first output here, ` +
        `${x(denoStart, r.coldMs)} mcp-remote's whole cold start (${
          f(r.coldMs, "ms")
        }): Deno's start-up alone ` +
        `is above the 0.15x target, before the bridge loads a module (Node's idle start: ${
          f(floors.node?.startMs, "ms")
        })`
      : `an idle \`deno eval\` takes ${f(denoStart, "ms")} from spawn to its first output here ` +
        `(${x(denoStart, r.coldMs)} mcp-remote's cold start, below the target); the other ` +
        `${f(denoStart === undefined ? NaN : b.coldMs - denoStart, "ms")} of the bridge's ${
          f(b.coldMs, "ms")
        } ` +
        "are its own start: loading its modules, the protocol probe and the initialize round trip");

  // Peak RSS: bare fetch, 64 in flight, under the recommended flags.
  const conc = floors.fetch.concurrentFlags;
  const concShare = conc === undefined ? NaN : conc.peakRssMiB / r.peakRssMiB;
  const peakReason = (era === "legacy" ? floorSays("peakRssMiB", 0.3, "MiB", true) : "") +
    (Number.isFinite(concShare) && concShare > 0.3
      ? `a bare Deno script with no bridge code, ${IN_FLIGHT} fetches in flight (${CONCURRENT_CALLS} echo calls) ` +
        `under the recommended V8 flags, peaks at ${f(conc?.peakRssMiB, "MiB")} = ${
          x(conc?.peakRssMiB, r.peakRssMiB)
        } mcp-remote's peak (${f(r.peakRssMiB, "MiB")}): Deno's HTTP client alone is above the 0.30x target`
      : `a bare Deno script with no bridge code, ${IN_FLIGHT} fetches in flight under the recommended V8 flags, ` +
        `peaks at ${f(conc?.peakRssMiB, "MiB")} (${x(conc?.peakRssMiB, r.peakRssMiB)} mcp-remote's peak), ` +
        `below the target; the bridge's other ${
          f(conc === undefined ? NaN : b.peakRssMiB - conc.peakRssMiB, "MiB")
        } are its own: its modules, the once-only stream each tool call's body goes as (so that the runtime ` +
        "cannot send a call twice: a stream resource per call in flight, which the bare script does not pay) " +
        "and the state of 64 calls in flight, promoted by the young collections (`bench/gc_trace.ts`: the bridge " +
        "allocates about twice what the bare script does per call and promotes about 12 KB a call against 1.6; " +
        "the recommended flags start a full collection once a fifth of the old generation's room is used, " +
        "before it fills V8's fixed 8 MB step over what was live; the 1 MiB results pass through as the bytes " +
        "they came in)") +
    `; an idle Deno already peaks at ${f(floors.denoFlags?.peakRssMiB ?? floors.deno?.peakRssMiB, "MiB")} ` +
    `(${x(floors.denoFlags?.peakRssMiB ?? floors.deno?.peakRssMiB, r.peakRssMiB)} mcp-remote's peak; ` +
    `an idle Node: ${f(floors.node?.peakRssMiB, "MiB")}); without the flags the same bare script peaks at ${
      f(floors.fetch.concurrent?.peakRssMiB, "MiB")
    } and the bridge at ${f(m["bridge-plain"].peakRssMiB, "MiB")}`;

  // Idle RSS: idle Deno, plus one fetch, plus the bridge.
  const idleDeno = floors.denoFlags?.rssMiB ?? floors.deno?.rssMiB;
  const one = floors.fetch.oneFlags?.rssMiB;
  const idleReason = (era === "legacy" ? floorSays("idleRssMiB", IDLE_RSS_LIMIT_MIB, "MiB", false) : "") +
    (one !== undefined && one > IDLE_RSS_LIMIT_MIB
      ? `a bare Deno script that makes one fetch (\`initialize\`) under the recommended flags holds ` +
        `${
          f(one, "MiB")
        } resident ${IDLE_SETTLE_MS} ms later: Deno plus its HTTP client alone is above the ` +
        `${IDLE_RSS_LIMIT_MIB} MiB target`
      : `a bare Deno script that makes one fetch (\`initialize\`) under the recommended flags holds ` +
        `${f(one, "MiB")} resident ${IDLE_SETTLE_MS} ms later; the bridge's other ${
          f(one === undefined ? NaN : b.idleRssMiB - one, "MiB")
        } are its own: its modules (compiled code and the heap they build) and one open session`) +
    `; an idle \`deno eval\` holds ${f(idleDeno, "MiB")} (so one fetch costs ${
      f(one === undefined || idleDeno === undefined ? NaN : one - idleDeno, "MiB")
    }); mcp-remote idles at ${f(r.idleRssMiB, "MiB")}`;

  // Notifications: per-notification CPU of the bridge against mcp-remote.
  const notifyReason = "each notification crosses two extra pipes and a second event loop and is parsed " +
    `and re-serialised by the bridge and parsed again by the host; the bridge spends ${
      f(unit.bridge[era].notifyUs, "µs")
    } of CPU per notification (mcp-remote: ${f(unit.remote[era].notifyUs, "µs")}, and takes ${
      x(r.notifyMs, d.notifyMs)
    } direct's time)` + extra("notifyUs", "per notification", "µs");

  // CPU: start-up share, then per unit of work against mcp-remote.
  const startCpu = floors.denoFlags?.cpuMs ?? floors.deno?.cpuMs;
  const cpuReason = (era === "legacy" ? floorSays("cpuMs", 0.2, "ms", true) : "") +
    (startCpu !== undefined && startCpu / r.cpuMs > 0.2
      ? `an idle Deno start alone costs ${f(startCpu, "ms")} of CPU = ${x(startCpu, r.cpuMs)} mcp-remote's ` +
        "whole run, above the target before any work"
      : `an idle Deno start costs ${f(startCpu, "ms")} of CPU (${
        x(startCpu, r.cpuMs)
      } mcp-remote's whole run; ` +
        `an idle Node: ${f(floors.node?.cpuMs, "ms")})`) +
    `; per sequential echo call the bridge spends ${f(unit.bridge[era].seqUs, "µs")} against mcp-remote's ${
      f(unit.remote[era].seqUs, "µs")
    } (${x(unit.bridge[era].seqUs, unit.remote[era].seqUs)}), per call with ${IN_FLIGHT} in flight ${
      f(unit.bridge[era].concUs, "µs")
    } against ${f(unit.remote[era].concUs, "µs")} (${
      x(unit.bridge[era].concUs, unit.remote[era].concUs)
    }), ` +
    `per MiB ${f(unit.bridge[era].blobMsPerMiB, "ms")} against ${f(unit.remote[era].blobMsPerMiB, "ms")} (${
      x(unit.bridge[era].blobMsPerMiB, unit.remote[era].blobMsPerMiB)
    }): the bridge still parses every message in full and runs fetch + SSE decoding per call, the same ` +
    `order of work as mcp-remote; without the V8 flags its whole run costs ${
      f(m["bridge-plain"].cpuMs, "ms")
    } (with them: ${f(b.cpuMs, "ms")})` + extra("concUs", "per echo call with 64 in flight", "µs");

  return [
    {
      name: "cold start <= 0.15x mcp-remote",
      value: b.coldMs / r.coldMs,
      unit: "x",
      detail: pair(b.coldMs, r.coldMs, "ms"),
      limit: 0.15,
      op: "<=",
      reason: coldReason,
    },
    {
      name: "peak RSS (VmHWM) <= 0.30x mcp-remote",
      value: b.peakRssMiB / r.peakRssMiB,
      unit: "x",
      detail: pair(b.peakRssMiB, r.peakRssMiB, "MiB"),
      limit: 0.3,
      op: "<=",
      reason: peakReason,
    },
    {
      name: `idle RSS (VmRSS after initialize + tools/list) <= ${IDLE_RSS_LIMIT_MIB} MiB`,
      value: b.idleRssMiB,
      unit: "MiB",
      detail: `ten idle bridges: ${fmt(10 * b.idleRssMiB)} MiB; mcp-remote ${fmt(r.idleRssMiB)} MiB`,
      limit: IDLE_RSS_LIMIT_MIB,
      op: "<=",
      reason: idleReason,
    },
    {
      name: `${NOTIFICATIONS} progress + ${NOTIFICATIONS} log notifications <= 1.3x direct`,
      value: b.notifyMs / d.notifyMs,
      unit: "x",
      detail: pair(b.notifyMs, d.notifyMs, "ms"),
      limit: 1.3,
      op: "<=",
      reason: notifyReason,
    },
    {
      name: "bridge CPU, whole run <= 0.2x mcp-remote",
      value: b.cpuMs / r.cpuMs,
      unit: "x",
      detail: pair(b.cpuMs, r.cpuMs, "ms"),
      limit: 0.2,
      op: "<=",
      reason: cpuReason,
    },
    {
      name: "keep: echo p50 (vs direct)",
      value: b.p50Ms / d.p50Ms,
      unit: "x",
      detail: pair(b.p50Ms, d.p50Ms, "ms"),
      reason: "",
    },
    {
      name: `keep: calls/s at ${IN_FLIGHT} in flight (vs direct)`,
      value: b.callsPerS / d.callsPerS,
      unit: "x",
      detail: pair(b.callsPerS, d.callsPerS, "calls/s"),
      reason: "",
    },
    {
      name: "keep: 1 MiB results, MiB/s (vs direct)",
      value: b.mibPerS / d.mibPerS,
      unit: "x",
      detail: `${pair(b.mibPerS, d.mibPerS, "MiB/s")}; the host's stdio reader alone: ${
        f(floors.hostMiBPerS, "MiB/s")
      }`,
      reason: "",
    },
  ];
}

function met(t: Target): boolean | undefined {
  if (t.op === undefined || t.limit === undefined || !Number.isFinite(t.value)) return undefined;
  return t.op === "<=" ? t.value <= t.limit : t.value >= t.limit;
}

function measured(t: Target): string {
  if (!Number.isFinite(t.value)) return "n/a";
  return t.unit === "x" ? `${fmt(t.value)}x` : `${fmt(t.value)} MiB`;
}

function verdict(t: Target): string {
  if (t.op === undefined) return "keep: reported";
  const v = met(t);
  return v === undefined ? "not measured" : v ? "met" : "**not met**";
}

function renderTable(m: Medians, samples: Sample[]): string {
  const orderedCell = (kind: Kind) => {
    const mine = samples.filter((s) => s.kind === kind && s.ordered !== undefined);
    const good = mine.filter((s) => s.ordered).length;
    return mine.length === 0 ? "n/a" : `${good}/${mine.length} rounds`;
  };
  const lines = [
    `| metric (median of rounds) | ${LABEL.direct} | ${LABEL.bridge} | ${
      LABEL["bridge-plain"]
    } | ${LABEL.remote} | ` +
    "bridge / direct | bridge / mcp-remote | no flags / bridge |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${fmt(a / b)}x` : "n/a");
  for (const metric of METRICS) {
    const d = m.direct[metric.key];
    const b = m.bridge[metric.key];
    const p = m["bridge-plain"][metric.key];
    const r = m.remote[metric.key];
    lines.push(
      `| ${metric.label} | ${fmt(d)} | ${fmt(b)} | ${fmt(p)} | ${fmt(r)} | ${ratio(b, d)} | ${
        ratio(b, r)
      } | ${ratio(p, b)} |`,
    );
  }
  lines.push(
    `| notifications received complete and in order | ${orderedCell("direct")} | ${orderedCell("bridge")} | ${
      orderedCell("bridge-plain")
    } | ${orderedCell("remote")} | | | |`,
  );
  return lines.join("\n");
}

/** A round's starts of one client: those alone, then the workload's. */
function coldStartsCell(s: Sample): string {
  return `alone: ${s.aloneColdMs.length > 0 ? s.aloneColdMs.map(fmt).join(", ") : "none"}; workload: ${
    Number.isFinite(s.workloadColdMs) ? fmt(s.workloadColdMs) : "failed"
  }`;
}

function renderRounds(samples: Sample[]): string {
  const lines = [
    "| round | server | client | cold ms: the round's median (its starts) | p50 ms | p90 ms | p99 ms | calls/s | MiB/s | notify ms | in order | " +
    "peak RSS MiB | idle RSS MiB | CPU ms |",
    "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const s of samples) {
    lines.push(
      `| ${s.round} | ${s.era === "legacy" ? "2025" : MODERN_VERSION} | ${labelOf(s.kind)} | ${
        fmt(s.coldMs)
      } (${coldStartsCell(s)}) | ${fmt(s.p50Ms)} | ${fmt(s.p90Ms)} | ${fmt(s.p99Ms)} | ${
        fmt(s.callsPerS)
      } | ${fmt(s.mibPerS)} | ${fmt(s.notifyMs)} | ${
        s.ordered === undefined ? "n/a" : s.ordered ? "yes" : "NO"
      } | ${fmt(s.peakRssMiB)} | ${fmt(s.idleRssMiB)} | ${fmt(s.cpuMs)} |`,
    );
  }
  return lines.join("\n");
}

function renderUnitCpu(
  unit: Record<Kind, Record<Era, UnitCpu>>,
  rounds: Record<Kind, Record<Era, Record<keyof UnitCpu, number[]>>>,
): string {
  const cell = (kind: Kind, era: Era, key: keyof UnitCpu) => {
    const values = rounds[kind][era][key];
    return values.length < 2
      ? fmt(unit[kind][era][key])
      : `${fmt(unit[kind][era][key])} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
  };
  const kinds: Exclude<Kind, "direct">[] = ["bridge", "bridge-plain", "remote"];
  const lines = [
    `| metric (median of rounds) | ${
      kinds.flatMap((k) => ERAS.map((era) => `${LABEL[k]}, ${era === "legacy" ? "2025" : MODERN_VERSION}`))
        .join(
          " | ",
        )
    } | ${LABEL.bridge}: ${MODERN_VERSION} / 2025 | ${LABEL.bridge} / ${LABEL.remote}, 2025 |`,
    `| --- |${" ---: |".repeat(kinds.length * ERAS.length + 2)}`,
  ];
  for (const row of UNIT_ROWS) {
    const l = unit.bridge.legacy[row.key];
    const m = unit.bridge.modern[row.key];
    const rl = unit.remote.legacy[row.key];
    lines.push(
      `| ${row.label} | ${kinds.flatMap((k) => ERAS.map((era) => cell(k, era, row.key))).join(" | ")} | ${
        Number.isFinite(m / l) ? `${fmt(m / l)}x` : "n/a"
      } | ${Number.isFinite(l / rl) ? `${fmt(l / rl)}x` : "n/a"} |`,
    );
  }
  return lines.join("\n");
}

/** What the recommended V8 flags buy: the bridge without them against the bridge with them. */
function renderFlags(reports: Record<Era, EraReport>): string {
  const rows: { label: string; key: Metric["key"] }[] = [
    { label: "peak RSS, VmHWM (MiB)", key: "peakRssMiB" },
    { label: "idle RSS, VmRSS (MiB)", key: "idleRssMiB" },
    { label: "CPU, whole run (ms)", key: "cpuMs" },
    { label: "cold start, median of every start (ms)", key: "coldMs" },
    { label: "echo p50 (ms)", key: "p50Ms" },
    { label: `calls/s, ${IN_FLIGHT} in flight`, key: "callsPerS" },
    { label: "1 MiB results (MiB/s)", key: "mibPerS" },
  ];
  const lines = [
    `| metric (median of rounds) | ${
      ERAS.map((era) => `${ERA_TITLE[era]}: no flags | with flags | with / without`).join(" | ")
    } |`,
    `| --- |${" ---: |".repeat(3 * ERAS.length)}`,
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.label} | ${
        ERAS.map((era) => {
          const p = reports[era].medians["bridge-plain"][row.key];
          const b = reports[era].medians.bridge[row.key];
          return `${fmt(p)} | ${fmt(b)} | ${Number.isFinite(b / p) ? `${fmt(b / p)}x` : "n/a"}`;
        }).join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}

/** One sentence per era: what the flags buy in peak RSS and what they cost in CPU. */
function flagsSummary(reports: Record<Era, EraReport>): string[] {
  return ERAS.map((era) => {
    const p = reports[era].medians["bridge-plain"];
    const b = reports[era].medians.bridge;
    const pct = (with_: number, without: number) => {
      const change = (with_ / without - 1) * 100;
      return Number.isFinite(change) ? `${change >= 0 ? "+" : ""}${change.toFixed(0)} %` : "n/a";
    };
    return `${ERA_TITLE[era]}: peak RSS ${fmt(p.peakRssMiB)} → ${fmt(b.peakRssMiB)} MiB (${
      pct(b.peakRssMiB, p.peakRssMiB)
    }), idle RSS ${fmt(p.idleRssMiB)} → ${fmt(b.idleRssMiB)} MiB (${pct(b.idleRssMiB, p.idleRssMiB)}), ` +
      `CPU for the whole run ${fmt(p.cpuMs)} → ${fmt(b.cpuMs)} ms (${pct(b.cpuMs, p.cpuMs)}), ` +
      `calls/s at ${IN_FLIGHT} in flight ${fmt(p.callsPerS)} → ${fmt(b.callsPerS)} (${
        pct(b.callsPerS, p.callsPerS)
      }).`;
  });
}

function renderTargetComparison(reports: Record<Era, EraReport>, ctx: Context): string {
  const lists = {
    legacy: targets(reports.legacy.medians, "legacy", ctx),
    modern: targets(reports.modern.medians, "modern", ctx),
  };
  const cell = (t: Target | undefined) => (t ? `${measured(t)} (${verdict(t)})` : "n/a");
  const lines = [
    `| target | ${ERA_TITLE.legacy} | ${ERA_TITLE.modern} |`,
    "| --- | ---: | ---: |",
  ];
  for (const t of lists.legacy) {
    lines.push(`| ${t.name} | ${cell(t)} | ${cell(lists.modern.find((m) => m.name === t.name))} |`);
  }
  return lines.join("\n");
}

function renderTargets(list: Target[]): string {
  const lines = [
    `| target | measured (${LABEL.bridge}, recommended flags) | numbers | result |`,
    "| --- | ---: | --- | --- |",
  ];
  for (const t of list) lines.push(`| ${t.name} | ${measured(t)} | ${t.detail} | ${verdict(t)} |`);
  return lines.join("\n");
}

function renderFailing(list: Target[]): string[] {
  const judged = list.filter((t) => t.op !== undefined);
  const failing = judged.filter((t) => met(t) === false);
  const unmeasured = judged.filter((t) => met(t) === undefined);
  return [
    ...(failing.length === 0 && unmeasured.length === 0 ? ["Every target is met."] : []),
    ...(failing.length === 0 ? [] : [
      "Likely reasons for the targets not met (from the floors measured in this run):",
      "",
      ...failing.map((t) => `- **${t.name}** (measured ${measured(t)}): ${t.reason}.`),
    ]),
    ...(unmeasured.length === 0 ? [] : [
      ...(failing.length === 0 ? [] : [""]),
      `Not measured: ${unmeasured.map((t) => t.name).join("; ")} (no successful round of a client it ` +
      "compares with on this server, see Failures).",
    ]),
  ];
}

interface EraReport {
  samples: Sample[];
  medians: Medians;
}

/**
 * The minimal Deno proxy against the bridge and mcp-remote on the 2025-era server: what any Deno
 * program pays for this workload, and how much of the bridge's cost is its own.
 */
function renderProxyFloor(floors: Floors, m: Medians, unit: Record<Kind, Record<Era, UnitCpu>>): string {
  const proxy = floors.proxy;
  if (!proxy) return "The minimal Deno proxy was not measured.";
  const p = proxy.medians;
  const rows: { label: string; key: Metric["key"]; target?: string }[] = [
    {
      label: "cold start: spawn → initialize result, median of every start (ms)",
      key: "coldMs",
      target: "0.15x",
    },
    { label: "peak RSS, VmHWM (MiB)", key: "peakRssMiB", target: "0.30x" },
    {
      label: "idle RSS after initialize + tools/list (MiB)",
      key: "idleRssMiB",
      target: `${IDLE_RSS_LIMIT_MIB} MiB`,
    },
    { label: "CPU time, user+sys, whole run (ms)", key: "cpuMs", target: "0.2x" },
    { label: "echo latency p50 (ms)", key: "p50Ms" },
    { label: `throughput, ${IN_FLIGHT} in flight (calls/s)`, key: "callsPerS" },
    { label: "20 x 1 MiB results (MiB/s)", key: "mibPerS" },
    { label: `${NOTIFICATIONS} progress + ${NOTIFICATIONS} log notifications (ms)`, key: "notifyMs" },
  ];
  const unitRows: { label: string; key: keyof UnitCpu }[] = UNIT_ROWS;
  return [
    "`bench/floor_proxy.ts` is the least a Deno program can do to carry this host to the 2025-era server: " +
    "each stdin line POSTed as it is, each answer (JSON, or the `data` of each SSE event) copied to stdout, " +
    "the session header kept; no parsing, authorization, validation, limits, era detection, reconnection " +
    "or logging. It runs as the bridge does (`deno run` of a local file copied beside the bundle, outside " +
    "the checkout, the recommended V8 flags, the same " +
    `--allow-net), in every round, right after mcp-remote${
      proxy.failed > 0 ? ` (${proxy.failed} round(s) failed, see Notes)` : ""
    }. No Deno bridge can cost less than it.`,
    "",
    "| metric (median of rounds, 2025-era server) | minimal Deno proxy | mcp-bridge | mcp-remote | proxy / mcp-remote | mcp-bridge / proxy | target for mcp-bridge |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((row) => {
      const f = p[row.key];
      const b = m.bridge[row.key];
      const r = m.remote[row.key];
      return `| ${row.label} | ${fmt(f)} | ${fmt(b)} | ${fmt(r)} | ${fmt(f / r)}x | ${fmt(b / f)}x | ${
        row.target ?? "keep"
      } |`;
    }),
    ...unitRows.map((row) => {
      const f = proxy.unit[row.key];
      const b = unit.bridge.legacy[row.key];
      const r = unit.remote.legacy[row.key];
      return `| ${row.label} | ${fmt(f)} | ${fmt(b)} | ${fmt(r)} | ${fmt(f / r)}x | ${fmt(b / f)}x | |`;
    }),
  ].join("\n");
}

/** The cold start of a server the bridge has not seen (an empty config dir), against a known one. */
function renderFirstStart(floors: Floors, reports: Record<Era, EraReport>): string {
  const first = floors.firstStartMs;
  if (!first) return "The first start was not measured.";
  return [
    `${LABEL.bridge} with an empty config dir at every start, ${first.legacy.length} starts per server after ` +
    "the rounds: it does not know the server's era, so it probes with `server/discover` first (for a " +
    "2025-era server: `server/discover`, its 400, then `initialize`). The rounds above measure a server the " +
    "bridge knows: a 2025-era server is then sent `initialize` at once (its era is remembered in the config " +
    "dir for a week), and a 2026-07-28 server is probed anyway (its `server/discover` answer is what a 2025-era " +
    "host's `initialize` is answered with).",
    "",
    "| server | first start (ms) | known server, every start (ms) | mcp-remote (ms) | first start / mcp-remote |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...ERAS.map((era) => {
      const m = reports[era].medians;
      const f = median(first[era]);
      return `| ${ERA_TITLE[era]} | ${fmt(f)} | ${fmt(m.bridge.coldMs)} | ${fmt(m.remote.coldMs)} | ${
        fmt(f / m.remote.coldMs)
      }x |`;
    }),
  ].join("\n");
}

/** What the bundle buys: the same bridge from its TypeScript source, 2025-era server, every round. */
function renderSource(floors: Floors, m: Medians): string {
  const source = floors.source;
  if (!source) return "mcp-bridge from source was not measured.";
  const rows: { label: string; key: Metric["key"] }[] = [
    { label: "cold start: spawn → initialize result, median of every start (ms)", key: "coldMs" },
    { label: "idle RSS after initialize + tools/list (MiB)", key: "idleRssMiB" },
    { label: "peak RSS, VmHWM (MiB)", key: "peakRssMiB" },
    { label: "CPU time, user+sys, whole run (ms)", key: "cpuMs" },
    { label: "echo latency p50 (ms)", key: "p50Ms" },
    { label: `throughput, ${IN_FLIGHT} in flight (calls/s)`, key: "callsPerS" },
  ];
  return [
    `${SOURCE_LABEL}: \`deno run --quiet --frozen --no-prompt ${v8FlagsArgument()} ` +
    `${PERMISSIONS_SHOWN} src/main.ts <url> --config-dir <dir>\` in the checkout (its deno.json and lockfile), the way ` +
    "a developer runs it: Deno loads the TypeScript modules of the start-up graph one by one, each " +
    "transpiled with an inline source map, and compiles all of it at every start. " +
    `${LABEL.bridge} runs \`bundle/main.js\` (\`deno task bundle\`), what \`jsr:@mcp-bridge/mcp-bridge\` ` +
    "and the binaries run, from `/`. Both in every round, against the 2025-era server" +
    `${source.failed > 0 ? ` (${source.failed} round(s) of the source run failed, see Notes)` : ""}:`,
    "",
    `| metric (median of rounds, 2025-era server) | ${SOURCE_LABEL} | ${LABEL.bridge} (bundle) | bundle / source | ` +
    `${REMOTE_MODULE_LABEL} | remote / local bundle |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((row) => {
      const src = source.medians[row.key];
      const b = m.bridge[row.key];
      const r = floors.remoteModule?.medians[row.key] ?? NaN;
      return `| ${row.label} | ${fmt(src)} | ${fmt(b)} | ${fmt(b / src)}x | ${fmt(r)} | ${fmt(r / b)}x |`;
    }),
    "",
    `${REMOTE_MODULE_LABEL}: the same bundle imported from the harness over HTTP ` +
    `(\`deno run ${LAZY_IMPORTS_FLAG} --allow-import=127.0.0.1:<port> http://127.0.0.1:<port>/main.js <url>\`), ` +
    "with the other flags of mcp-bridge and no read grant for the bundle's directory, fetched once by " +
    "the warm-up (the parts it loads) and then run from Deno's remote-module cache, which is how `jsr:@mcp-bridge/mcp-bridge` runs " +
    "once cached (jsr.io needs no --allow-import; JSR's version metadata is cached the same way). The compiled " +
    "binaries cannot be measured here: `deno compile` cannot download its runtime on this machine." +
    (floors.remoteModule && floors.remoteModule.failed > 0
      ? ` (${floors.remoteModule.failed} round(s) failed, see Notes)`
      : ""),
  ].join("\n");
}

/** Serves the built bundle's files (JavaScript) for the `remote-module` runs. */
function serveBundle(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    // `/<run id>/<file>`: a new URL every run, so Deno's remote cache never serves an earlier run's bundle.
    const name = new URL(request.url).pathname.split("/").slice(2).join("/");
    if (!/^[\w-]+\.js$/.test(name)) return new Response("not found", { status: 404 });
    try {
      const body = await Deno.readFile(`${BUNDLE_DIR}/${name}`);
      return new Response(body, { headers: { "content-type": "application/javascript" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

function renderResults(
  machine: Machine,
  rounds: number,
  wallS: number,
  reports: Record<Era, EraReport>,
  ctx: Context,
  unit: Record<Kind, Record<Era, UnitCpu>>,
  unitRounds: Record<Kind, Record<Era, Record<keyof UnitCpu, number[]>>>,
  notes: string[],
  startFailures: string[],
): string {
  const { floors } = ctx;
  const samples = ERAS.flatMap((era) => reports[era].samples).sort((a, b) =>
    a.round - b.round || ERAS.indexOf(a.era) - ERAS.indexOf(b.era)
  );
  const errors = samples.filter((s) => s.error);
  const floorRow = (name: string, f: Floor | undefined) =>
    f
      ? `| ${name} | ${fmt(f.startMs)} | ${fmt(f.peakRssMiB)} | ${fmt(f.rssMiB)} | ${fmt(f.cpuMs)} |`
      : `| ${name} | n/a | n/a | n/a | n/a |`;
  const eraSection = (era: Era) => {
    const { medians, samples } = reports[era];
    return [
      `## Results: ${ERA_TITLE[era]}`,
      "",
      renderTable(medians, samples),
      "",
      `## Targets: ${ERA_TITLE[era]}`,
      "",
      renderTargets(targets(medians, era, ctx)),
      "",
      ...renderFailing(targets(medians, era, ctx)),
      "",
    ];
  };
  return [
    "# mcp-bridge benchmark results",
    "",
    "Generated by `deno task bench` (`bench/e2e.ts`); do not edit by hand.",
    "",
    `- Date: ${machine.date}`,
    `- Machine: ${machine.cpus} CPUs (nproc), ${machine.model}, ${machine.memory} RAM, Linux ${machine.kernel}`,
    `- Load average (1, 5, 15 min) when the run started: ${machine.load}`,
    `- Runtimes: Deno ${machine.deno}, Node ${machine.node}; mcp-remote ${machine.mcpRemote}`,
    `- Rounds: ${rounds} (in each round the clients alternate direct, mcp-bridge, mcp-bridge without the V8 ` +
    "flags, mcp-remote against the " +
    `2025-era server, then the same against the 2026-07-28 server); wall time ${fmt(wallS)} s`,
    "",
    "## Setup",
    "",
    "- 2025-era server: the bundled example server (`src/demo/example_server.ts`, MCP SDK 2.4.0, stateful " +
    "Streamable HTTP with SSE responses) plus `blob` and `notify` tools, in the harness process on 127.0.0.1.",
    "- 2026-07-28 server: `bench/modern_server.ts`, the SDK's `createMcpHandler` (MCP SDK 2.4.0, " +
    '`legacy: "reject"`: modern-only, no sessions, a fresh server instance per request, JSON answers that ' +
    "upgrade to SSE when a tool notifies first) with the same `echo`, `blob` and `notify` tools, served with " +
    "`Deno.serve` in the harness process on 127.0.0.1.",
    "- direct: the SDK's `Client` + `StreamableHTTPClientTransport`, in the harness process (no bridge); " +
    `against the 2026-07-28 server with \`versionNegotiation: { mode: { pin: "${MODERN_VERSION}" } }\` ` +
    "(the SDK's `Client` speaks the 2025 era unless told otherwise), so it sends `server/discover` and the " +
    "`_meta` envelope itself; the harness checks the negotiated version.",
    "- mcp-bridge: a 2025-era host (the SDK's `Client` + `StdioClientTransport`) spawning `deno run --quiet " +
    `--no-prompt ${v8FlagsArgument()} ${LAZY_IMPORTS_FLAG} --allow-read=<bundle dir> ${PERMISSIONS_SHOWN} ` +
    "bundle/main.js <url> --config-dir <dir>` from `/` " +
    "(the program `jsr:@mcp-bridge/mcp-bridge` runs: `deno task bundle` of `src/main.ts`, built by this run " +
    `into \`${BUNDLE_DIR}\`, outside the checkout so that Deno finds no deno.json above it, as for a \`jsr:\` ` +
    "module; started from `/`, where no deno.json is either, as hosts do; with the recommended V8 flags " +
    "from `src/config/runtime_flags.ts`, as the README and the printed host entries " +
    "run it; ratios and targets use this one), and the same without the `--v8-flags` argument " +
    `("${
      LABEL["bridge-plain"]
    }", to show what the flags buy); both with the default \`--protocol auto\`: it ` +
    "probes with `server/discover`, then either passes 2025 traffic through or translates it for the " +
    "2026-07-28 server. The permission flags are those `mcp-bridge config` prints for a server without " +
    "sign-in (`denoPermissionFlags`): the server, the config dir's `eras/`, the proxy variables; with " +
    `\`${LAZY_IMPORTS_FLAG}\`, which every printed \`deno run\` of the JSR package carries, so that Deno ` +
    "reads the parts the bridge loads with `import()` (sign-in, `config`, `doctor`, the 2026-07-28 transport) " +
    "when they first run, not at every start; a `jsr:` program fetches them from jsr.io, which Deno allows by " +
    "default, and here the read grant for the bundle's directory stands in for that. Each kind of bridge " +
    "has a config dir of its own, made empty at the start of the run: the warm-up start probes the server " +
    "and remembers its era there, so every measured start is that of a server the bridge knows (a 2025-era " +
    'one is not probed again); "The first start" measures a server it has not seen.',
    `- mcp-remote: the same host spawning \`node ${
      REMOTE_PROXY.slice(ROOT.length + 1)
    } <url> --allow-http\` (default options: \`http-first\`, which probes the server with a second ` +
    "client before proxying), plus `--protocol auto` against the 2026-07-28 server (its opt-in to the SDK's " +
    "version negotiation; without it, it speaks only the 2025 era, which a modern-only server rejects).",
    `- ${FLOOR_LABEL}: \`bench/floor_proxy.ts\` under the same host, flags, permission and working ` +
    'directory as mcp-bridge, against the 2025-era server only, after mcp-remote in each round; reported apart ("The floor"), as what any Deno ' +
    "bridge pays for this workload.",
    `- ${SOURCE_LABEL}: \`src/main.ts\` in the checkout, and ${REMOTE_MODULE_LABEL}: the bundle over ` +
    "HTTP from Deno's cache, against the 2025-era server only, last in each round; " +
    'reported apart ("What the bundle buys").',
    "- The runtime floors (`deno eval`) run from `/` too.",
    `- Per server and round, first ${COLD_STARTS_PER_ROUND} starts of each client that only connect and close, ` +
    "the clients taking turns, the order rotating by one at every turn (the cold start is the median of every " +
    "start of a client against a server: " +
    `${COLD_STARTS_PER_ROUND + 1} per round); then each client's workload: its start; \`tools/list\`, ` +
    `${IDLE_SETTLE_MS} ms idle, then \`VmRSS\` of the bridge ` +
    `process (idle RSS); ${WARMUP_CALLS} unmeasured warm-up calls; ${SEQUENTIAL_CALLS} sequential ` +
    `\`echo\` calls; ${CONCURRENT_CALLS} \`echo\` calls with ${IN_FLIGHT} in flight; ${BLOB_CALLS} sequential 1 MiB ` +
    `\`blob\` results; one \`notify\` call sending ${NOTIFICATIONS} progress and ${NOTIFICATIONS} log notifications ` +
    "interleaved (timed until the result and every notification arrived; order checked on the host's " +
    "notification handlers); then `VmHWM` and `utime+stime` of the bridge process from `/proc`, just before it " +
    "is closed. The bridge's `utime+stime` is also read between the timed phases, for the CPU per unit of work.",
    "- Before round 1, one unmeasured start of each bridge against each server warms the module and disk caches.",
    `- Before every timed start the harness collects its own garbage (V8's \`gc()\`) and waits ${SETTLE_AFTER_GC_MS} ` +
    "ms: it serves both servers and hosts every client, so a collection of its heap would otherwise fall into " +
    "some client's start.",
    "- mcp-bridge (no V8 flags) runs with a Deno dir of its own (links to the real one's packages and " +
    "transpiled sources, its own SQLite caches): V8 rejects a code cache made under other flags, so the " +
    "two variants sharing one would each compile every module again at every start (measured: 165 ms → 225 ms " +
    "to the `initialize` result), which no user, running one set of flags, pays.",
    "",
    ...eraSection("legacy"),
    ...eraSection("modern"),
    "## Targets: 2025-era against 2026-07-28 server",
    "",
    "The same 2025-era host through mcp-bridge; on the 2026-07-28 server the bridge translates every message:",
    "",
    renderTargetComparison(reports, ctx),
    "",
    "## What the recommended V8 flags buy",
    "",
    `The same bridge with \`${v8FlagsArgument()}\` (${LABEL.bridge}) and without (${
      LABEL["bridge-plain"]
    }), ` +
    "alternating in every round:",
    "",
    renderFlags(reports),
    "",
    ...flagsSummary(reports).map((line) => `- ${line}`),
    "",
    "## CPU per unit of work",
    "",
    "CPU time (`utime+stime`, 10 ms clock ticks) of the bridge process during each timed phase, divided by " +
    "the work done in it, median (min–max) of the rounds; the same 2025-era host drives both servers. A " +
    "phase with little CPU (the notify phase takes about 20 ticks) is coarse, and a phase may pay for the " +
    "garbage of the one before it. `deno bench bench/era_translation_bench.ts` measures the translation code " +
    "alone, in-process, against the 2025-era transport.",
    "",
    renderUnitCpu(unit, unitRounds),
    "",
    "## The floor: a minimal Deno proxy",
    "",
    renderProxyFloor(floors, reports.legacy.medians, unit),
    "",
    "## What the bundle buys",
    "",
    renderSource(floors, reports.legacy.medians),
    "",
    "## The first start against a server",
    "",
    renderFirstStart(floors, reports),
    "",
    "## Runtime floors",
    "",
    "An idle process of each runtime (prints one line, then waits for stdin EOF), median of 3 starts:",
    "",
    "| runtime | spawn → first output (ms) | peak RSS (MiB) | idle RSS (MiB) | CPU (ms) |",
    "| --- | ---: | ---: | ---: | ---: |",
    floorRow(`Deno ${machine.deno} (\`deno eval\`)`, floors.deno),
    floorRow(`Deno ${machine.deno} (\`deno eval ${v8FlagsArgument()}\`)`, floors.denoFlags),
    floorRow(`Node ${machine.node} (\`node -e\`)`, floors.node),
    "",
    `The host side alone (the SDK's \`StdioClientTransport\` in this Deno harness reading ${BLOB_CALLS} x 1 MiB ` +
    `result lines from \`cat\`, median of 3): ${fmt(floors.hostMiBPerS ?? NaN)} MiB/s.`,
    "",
    "Deno's HTTP client alone: a bare `deno eval` script (no bridge code) opening a session on the 2025-era " +
    `server and making echo calls with \`fetch\`, then idling ${IDLE_SETTLE_MS} ms; median of 3 each:`,
    "",
    "| script | peak RSS, VmHWM (MiB) | VmRSS after (MiB) |",
    "| --- | ---: | ---: |",
    ...(Object.keys(FETCH_FLOORS) as FetchFloorName[]).map((name) => {
      const spec = FETCH_FLOORS[name];
      const what = spec.calls === 0
        ? "one fetch (`initialize`) only"
        : `${spec.calls} echo calls, ${spec.inFlight === 1 ? "sequential" : `${spec.inFlight} in flight`}`;
      const floor = floors.fetch[name];
      return `| ${what}, ${spec.flags ? "recommended V8 flags" : "no V8 flags"} | ${
        fmt(floor?.peakRssMiB ?? NaN)
      } | ${fmt(floor?.rssMiB ?? NaN)} |`;
    }),
    "",
    "## Every round",
    "",
    renderRounds(samples),
    ...(errors.length > 0 || startFailures.length > 0
      ? [
        "",
        "## Failures",
        "",
        ...errors.map((s) => `- round ${s.round}, ${ERA_TITLE[s.era]}, ${labelOf(s.kind)}: ${s.error}`),
        ...startFailures.map((failure) => `- ${failure}`),
      ]
      : []),
    ...(notes.length > 0 ? ["", "## Notes", "", ...notes.map((n) => `- ${n}`)] : []),
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function cleanupAll(): Promise<void> {
  await Promise.allSettled([...live].map((close) => close()));
}

/** The watchdog's timer, armed by {@linkcode armWatchdog} once the number of rounds is known. */
let watchdog: ReturnType<typeof setTimeout> | undefined;

/** Abandons the run (everything killed, exit code 3) if it takes longer than `ms`. */
function armWatchdog(ms: number): void {
  watchdog = setTimeout(async () => {
    progress(`The benchmark did not finish within ${ms / 60_000} minutes: stopping everything`);
    await withTimeout(cleanupAll(), 10_000, "cleanup").catch(() => {});
    Deno.exit(3);
  }, ms);
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { rounds: { type: "string", default: "5" } },
    strict: true,
  });
  const rounds = Number(values.rounds);
  if (!collectGarbage) {
    progress(
      "Run the benchmark with --v8-flags=--expose-gc (deno task bench): it collects its garbage between starts",
    );
    return 2;
  }
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    progress("--rounds must be an integer from 1 to 20");
    return 2;
  }
  armWatchdog(WATCHDOG_BASE_MS + rounds * WATCHDOG_PER_ROUND_MS);
  const wallStart = performance.now();
  const notes: string[] = [];
  /** Starts alone that failed (see `coldStartsAlone`). */
  const startFailures: string[] = [];
  const remoteProblem = await ensureMcpRemote();
  const kinds = remoteProblem ? KINDS.filter((k) => k !== "remote") : KINDS;
  if (remoteProblem) {
    progress(remoteProblem);
    notes.push(`mcp-remote was not measured: ${remoteProblem}`);
  }
  const clockTicks = Number(await commandOutput("getconf", ["CLK_TCK"])) || 100;
  const machine = await describeMachine();

  progress(`Bundling src/main.ts into ${BUNDLE_DIR} (what users run) …`);
  await buildBundle(BUNDLE_DIR);
  await Deno.copyFile(`${ROOT}/bench/floor_proxy.ts`, FLOOR_PROXY);
  const bundleServer = serveBundle();
  live.add(() => bundleServer.shutdown().catch(() => {}));
  bundleOrigin = new URL(`http://127.0.0.1:${bundleServer.addr.port}/${Date.now().toString(36)}/`);
  await preparePlainDenoDir();
  await Deno.remove(CONFIG_ROOT, { recursive: true }).catch(() => {});
  for (const kind of ["bridge", "bridge-plain", "floor", "source", "remote-module"] as const) {
    await Deno.mkdir(configDirOf(kind), { recursive: true, mode: 0o700 });
  }
  progress("Measuring the idle runtime floors …");
  const floors = await measureFloors(clockTicks);

  const servers = {} as Record<Era, { url: URL }>;
  const legacyServer: RunningServer = await serveExample({ mode: "stateful", create: createBenchServer });
  live.add(() => withTimeout(legacyServer.close(), 5000, "server close").catch(() => {}));
  servers.legacy = legacyServer;
  const modernServer = await serveModernBench();
  live.add(() => withTimeout(modernServer.close(), 5000, "server close").catch(() => {}));
  servers.modern = modernServer;
  progress("Measuring the memory floor of Deno's fetch …");
  for (const name of Object.keys(FETCH_FLOORS) as FetchFloorName[]) {
    floors.fetch[name] = await measureFetchFloor(legacyServer.url, FETCH_FLOORS[name]);
  }
  const samples: Sample[] = [];
  const floorSamples: Sample[] = [];
  const sourceSamples: Sample[] = [];
  const remoteModuleSamples: Sample[] = [];
  try {
    progress(
      `Servers at ${legacyServer.url.href} (2025) and ${modernServer.url.href} (${MODERN_VERSION}); ` +
        "warming up the bridges …",
    );
    for (const era of ERAS) {
      const warmed: RunKind[] = [
        ...kinds.filter((k) => k !== "direct"),
        ...(era === "legacy" ? ["floor" as const, "source" as const, "remote-module" as const] : []),
      ];
      for (const kind of warmed) {
        try {
          const { connection } = await connect(kind, servers[era].url, era);
          await echo(connection.client, "warm");
          await connection.close();
        } catch (error) {
          progress(`warm-up of ${labelOf(kind)} (${ERA_TITLE[era]}) failed: ${(error as Error).message}`);
        }
      }
    }
    for (let round = 1; round <= rounds; round++) {
      for (const era of ERAS) {
        // The floor proxy only carries a 2025-era host to a 2025-era server; the source run is measured there.
        const run: RunKind[] = [
          ...kinds,
          ...(era === "legacy" ? ["floor" as const, "source" as const, "remote-module" as const] : []),
        ];
        const t1 = performance.now();
        const alone = await coldStartsAlone(run, era, servers[era].url, round, startFailures);
        progress(
          `round ${round}/${rounds} ${(era === "legacy" ? "2025" : MODERN_VERSION).padEnd(10)} ${
            `${COLD_STARTS_PER_ROUND} starts of each`.padEnd(26)
          } ${((performance.now() - t1) / 1000).toFixed(1)} s`,
        );
        for (const kind of run) {
          const t0 = performance.now();
          const sample = await runOnce(kind, era, servers[era].url, round, clockTicks, alone.get(kind));
          (kind === "floor"
            ? floorSamples
            : kind === "source"
            ? sourceSamples
            : kind === "remote-module"
            ? remoteModuleSamples
            : samples).push(sample);
          progress(
            `round ${round}/${rounds} ${(era === "legacy" ? "2025" : MODERN_VERSION).padEnd(10)} ${
              labelOf(kind).padEnd(26)
            } ${((performance.now() - t0) / 1000).toFixed(1)} s` +
              (sample.error ? `  FAILED ${sample.error.split("\n")[0]}` : ""),
          );
        }
      }
    }
    // A server the bridge has not seen: an empty config dir at every start, so it probes the era.
    floors.firstStartMs = { legacy: [], modern: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const era of ERAS) {
        try {
          const dir = `${CONFIG_ROOT}/first-start-${era}-${round}`;
          const { connection, coldMs } = await connect("bridge", servers[era].url, era, dir);
          await connection.close();
          floors.firstStartMs[era].push(coldMs);
        } catch (error) {
          notes.push(`first start ${round} (${ERA_TITLE[era]}): ${(error as Error).message.split("\n")[0]}`);
        }
      }
    }
    progress(
      `first starts: ${
        ERAS.map((era) => `${ERA_TITLE[era]} ${fmt(median(floors.firstStartMs![era]))} ms`).join(", ")
      }`,
    );
  } finally {
    await cleanupAll();
  }

  const reports = {} as Record<Era, EraReport>;
  const unit = {} as Record<Kind, Record<Era, UnitCpu>>;
  const unitRounds = {} as Record<Kind, Record<Era, Record<keyof UnitCpu, number[]>>>;
  for (const kind of KINDS) {
    unit[kind] = {} as Record<Era, UnitCpu>;
    unitRounds[kind] = {} as Record<Era, Record<keyof UnitCpu, number[]>>;
  }
  for (const era of ERAS) {
    const mine = samples.filter((s) => s.era === era);
    reports[era] = { samples: mine, medians: computeMedians(mine) };
    for (const kind of KINDS) {
      unitRounds[kind][era] = unitCpuRounds(mine, kind);
      unit[kind][era] = unitCpu(unitRounds[kind][era]);
    }
  }
  floors.proxy = {
    medians: medianOf(floorSamples),
    unit: unitCpu(unitCpuRounds(floorSamples, "floor")),
    failed: floorSamples.filter((s) => s.error).length,
  };
  for (const s of floorSamples.filter((s) => s.error)) {
    notes.push(`round ${s.round}, ${FLOOR_LABEL}: ${s.error}`);
  }
  floors.source = { medians: medianOf(sourceSamples), failed: sourceSamples.filter((s) => s.error).length };
  floors.remoteModule = {
    medians: medianOf(remoteModuleSamples),
    failed: remoteModuleSamples.filter((s) => s.error).length,
  };
  for (const s of remoteModuleSamples.filter((s) => s.error)) {
    notes.push(`round ${s.round}, ${REMOTE_MODULE_LABEL}: ${s.error}`);
  }
  for (const s of sourceSamples.filter((s) => s.error)) {
    notes.push(`round ${s.round}, ${SOURCE_LABEL}: ${s.error}`);
  }
  const ctx: Context = { floors, unit };
  const wallS = (performance.now() - wallStart) / 1000;
  for (const era of ERAS) {
    const { medians, samples: mine } = reports[era];
    print(
      `\n${ERA_TITLE[era]}\n\n${renderTable(medians, mine)}\n\n${
        renderTargets(targets(medians, era, ctx))
      }\n`,
    );
  }
  print(
    `\n${renderTargetComparison(reports, ctx)}\n\nBridge CPU per unit of work\n\n${
      renderUnitCpu(unit, unitRounds)
    }\n\n`,
  );
  Deno.writeTextFileSync(
    RESULTS_FILE,
    renderResults(machine, rounds, wallS, reports, ctx, unit, unitRounds, notes, startFailures),
  );
  // Keep the generated file as `deno fmt --check` (in `deno task test`) wants it.
  await commandOutput(Deno.execPath(), ["fmt", "--quiet", RESULTS_FILE], 30_000);
  progress(`Wrote ${RESULTS_FILE.slice(ROOT.length + 1)} (${wallS.toFixed(0)} s)`);
  return samples.some((s) => s.error) || startFailures.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  const onSignal = async () => {
    progress("Interrupted: stopping the server and every child process");
    await withTimeout(cleanupAll(), 10_000, "cleanup").catch(() => {});
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let code = 1;
  try {
    code = await main(Deno.args);
  } catch (error) {
    progress(`The benchmark failed: ${(error as Error).stack ?? error}`);
    await withTimeout(cleanupAll(), 10_000, "cleanup").catch(() => {});
  }
  clearTimeout(watchdog);
  Deno.exit(code);
}
