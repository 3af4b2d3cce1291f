/**
 * Where the bridge's peak memory goes in the benchmark's busiest phase: V8's own account of its collections.
 *
 * Runs the bridge (`bundle/main.js`, as `deno task bench` does: the recommended V8 flags, the permission
 * flags that `mcp-bridge config` prints) and the floor proxy (`bench/floor_proxy.ts`) through the benchmark's
 * workload against the 2025-era bench server: 20 warm-up `echo` calls, then 2000 with 64 in flight. Both run
 * with V8's `--trace-gc-nvp`, and this prints what the concurrent phase cost each: young collections
 * (scavenges), bytes allocated, bytes promoted to the old generation (what lived through two scavenges), and
 * each full collection with the old generation's size before and after and its limit.
 *
 * What it shows: left to itself, V8 starts a full collection when the old generation nears what was live
 * after the last one plus a fixed step of 8 MB plus the young generation's capacity. A program that promotes
 * less than that step in the run never pays it; one that promotes more peaks at about that size, unless told
 * to start marking earlier (the recommended flags' `--incremental-marking-soft-trigger` and `-hard-trigger`).
 * `--plain` runs both without those two flags, to compare.
 *
 * V8 writes its trace to stdout, the protocol channel: it runs under `stdbuf -oL` (coreutils) so that its lines
 * stay whole between the JSON-RPC ones, which are told apart by their first character.
 *
 * ```sh
 * deno task bundle
 * deno run --allow-net=127.0.0.1 --allow-run --allow-env --allow-read --allow-write=/tmp bench/gc_trace.ts
 * ```
 *
 * @module
 */

import { serveExample } from "../src/demo/example_server.ts";
import { createBenchServer } from "./e2e.ts";
import { denoPermissionFlags } from "../src/config/permission_set.ts";
import { LAZY_IMPORTS_FLAG, RECOMMENDED_V8_FLAGS } from "../src/config/runtime_flags.ts";
import { PROXY_VARIABLES } from "../src/net/reach.ts";

const WARMUP_CALLS = 20;
const CONCURRENT_CALLS = 2000;
const IN_FLIGHT = 64;
const MB = 1024 * 1024;

/** One collection, as `--trace-gc-nvp` reports it. */
interface Collection {
  gc: string;
  promoted?: number;
  allocated?: number;
  start_object_size: number;
  end_object_size: number;
  start_memory_size: number;
  old_gen_allocation_limit: number;
}

/** The collections of the concurrent phase. */
interface Trace {
  scavenges: number;
  allocatedMB: number;
  promotedMB: number;
  full: Collection[];
}

/** A stdio MCP peer just able to run the workload, which keeps the trace lines apart. */
async function run(command: string, args: string[]): Promise<Trace> {
  const child = new Deno.Command("stdbuf", {
    args: ["-oL", command, ...args],
    cwd: "/",
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const pending = new Map<number, () => void>();
  let collections: Collection[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith("{")) {
          const id = (JSON.parse(line) as { id?: number }).id;
          if (typeof id === "number") pending.get(id)?.();
          continue;
        }
        const at = line.indexOf("GC: {");
        if (at !== -1) collections.push(JSON.parse(line.slice(at + 4)) as Collection);
      }
    }
  })();
  let nextId = 0;
  const request = (method: string, params: unknown) => {
    const id = ++nextId;
    const answered = new Promise<void>((resolve) => pending.set(id, resolve));
    writer.write(encoder.encode(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"));
    return answered;
  };
  const echo = (text: string) => request("tools/call", { name: "echo", arguments: { text } });
  await request("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "gc-trace", version: "1" },
  });
  await writer.write(
    encoder.encode(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n"),
  );
  for (let i = 0; i < WARMUP_CALLS; i++) await echo(`w${i}`);
  collections = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < CONCURRENT_CALLS) await echo(`concurrent ${next++}`);
    }),
  );
  const phase = collections;
  await writer.close();
  await reading;
  await child.status;
  const scavenges = phase.filter((c) => c.gc === "s");
  const sum = (key: "promoted" | "allocated") =>
    scavenges.reduce((total, c) => total + (c[key] ?? 0), 0) / MB;
  return {
    scavenges: scavenges.length,
    allocatedMB: sum("allocated"),
    promotedMB: sum("promoted"),
    full: phase.filter((c) => c.gc !== "s"),
  };
}

const server = await serveExample({ create: createBenchServer });
try {
  const url = server.url.href;
  const plain = Deno.args.includes("--plain");
  const flags = RECOMMENDED_V8_FLAGS.filter((f) => !plain || !f.startsWith("--incremental-marking-"));
  const v8 = `--v8-flags=${[...flags, "--trace-gc-nvp"].join(",")}`;
  const configDir = await Deno.makeTempDir({ prefix: "mcp-bridge-gc-trace-" });
  const bundle = new URL("../bundle/main.js", import.meta.url).pathname;
  const perms = denoPermissionFlags({
    serverUrl: new URL(url),
    authUrls: [],
    browserSignIn: false,
    configDir,
    configGrant: `${configDir}/eras`,
    envVars: PROXY_VARIABLES,
    readFiles: [],
    runPrograms: [],
  });
  const subjects: [string, string[]][] = [
    ["floor proxy", [
      "run",
      "--quiet",
      "--no-prompt",
      v8,
      "--allow-net=127.0.0.1",
      new URL("./floor_proxy.ts", import.meta.url).pathname,
      url,
    ]],
    ["mcp-bridge", [
      "run",
      "--quiet",
      "--no-prompt",
      v8,
      LAZY_IMPORTS_FLAG,
      `--allow-read=${bundle.replace(/\/[^/]*$/, "")}`,
      ...perms,
      bundle,
      url,
      "--config-dir",
      configDir,
    ]],
  ];
  const f = (n: number) => n.toFixed(1);
  const rows: string[] = [];
  for (const [label, args] of subjects) {
    const t = await run(Deno.execPath(), args);
    const full = t.full.map((c) =>
      `${f(c.start_object_size / MB)} → ${f(c.end_object_size / MB)} MB (heap ${
        f(c.start_memory_size / MB)
      } MB, limit ${f(c.old_gen_allocation_limit / MB)} MB)`
    ).join("; ");
    rows.push(
      `| ${label} | ${t.scavenges} | ${f(t.allocatedMB)} | ${f(t.promotedMB)} | ${
        f(t.promotedMB * MB / CONCURRENT_CALLS / 1024)
      } | ${t.full.length} | ${full || "none"} |`,
    );
  }
  await Deno.remove(configDir, { recursive: true });
  Deno.stdout.writeSync(new TextEncoder().encode(
    [
      `${CONCURRENT_CALLS} echo calls, ${IN_FLIGHT} in flight, under \`${flags.join(" ")}\`:`,
      "",
      "| subject | scavenges | allocated (MB) | promoted (MB) | promoted per call (KB) | full collections | each: old generation before → after (committed heap, limit) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
      ...rows,
    ].join("\n") + "\n",
  ));
} finally {
  await server.close();
}
