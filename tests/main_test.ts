/**
 * The bridge's start-up module graph (what `src/main.ts` imports statically, so what every run loads and
 * compiles before its first answer): what only some runs need stays out of it, loaded with `import()`.
 */
import assert from "node:assert/strict";

const MAIN = new URL("../src/main.ts", import.meta.url);
const SRC = new URL("../src/", import.meta.url).href;

/** The modules `src/main.ts` reaches through static imports, and their size in bytes. */
async function startUpGraph(): Promise<Map<string, number>> {
  const out = await new Deno.Command("deno", { args: ["info", "--json", MAIN.pathname], stdout: "piped" })
    .output();
  assert.ok(out.success, "deno info --json src/main.ts");
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      size?: number;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const graph = new Map<string, number>();
  const stack = [MAIN.href];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (graph.has(specifier)) continue;
    const module = modules.get(specifier);
    graph.set(specifier, module?.size ?? 0);
    for (const dependency of module?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) stack.push(dependency.code.specifier);
    }
  }
  return graph;
}

Deno.test("start-up graph: only the bridge's own modules, without what only some runs need", async () => {
  const graph = await startUpGraph();
  const names = [...graph.keys()].map((s) => s.startsWith(SRC) ? s.slice(SRC.length) : s);
  // No npm package and no `node:` module (the Node compatibility layer alone costs 4.5 MiB at start-up).
  assert.deepEqual(names.filter((n) => !n.endsWith(".ts") || n.includes(":")), []);
  const lazy = [
    "auth/setup.ts", // the OAuth client: on the first 401, or with a stored record
    "auth/store/file_store.ts", // only when the config dir may be read
    "fs/no_follow.ts", // the config dir's files: the era memory, the debug log
    "log/debug_file.ts", // --debug
    "cli/help.ts", // --help
    "transport/http_sse.ts", // the HTTP+SSE fallback
    "era/legacy_server_session.ts", // a 2026-07-28 host on a 2025-era server
    "era/modern_session.ts", // the 2026-07-28 transport: on the era probe (a remembered 2025 server: never)
    "transport/modern_http.ts",
    "era/x_mcp_header.ts",
    "era/mrtr.ts",
    "config/config_command.ts",
    "doctor/doctor_command.ts",
    "client/client_command.ts",
    "jsonrpc/scan_response.ts", // the first large answer
    "transport/_held_data_line.ts",
  ];
  for (const name of lazy) assert.ok(!names.includes(name), `${name} is on the start-up path`);
});

Deno.test("start-up graph: at most 60 modules and 419 KB of TypeScript (comments included)", async () => {
  const graph = await startUpGraph();
  const bytes = [...graph.values()].reduce((a, b) => a + b, 0);
  // Measured 2026-12-06: 59 modules, 418.3 KB, after a request's path lost async frames and signals (the
  // exchange's, the era dispatcher's, the lazy transport's; LazyLink and the liveness watch as a Streamable
  // HTTP request's one signal): 7.6 KB more source, mostly documentation; bundle/core.js 106.3 → 107.8 KB.
  // 2026-12-05 (evening): 59 modules, 410.7 KB, after the request path's allocation cuts (no async
  // frame for a credential hook with nothing stored, header records filled by index, the cookie header of an
  // empty jar, the untouched signals array: 8 % less allocated a call against a 2026-07-28 server).
  // Before: 59 modules, 409 KB, with large answers passed on as bytes (the reused body buffer,
  // the gathering of large events, the writer's writeBytes; the byte scan itself loads with the first large
  // answer); 57 and 389 KB before, after the growing read buffer, the synchronous stdout writer and
  // the watch that follows its exchange's signal (384 KB before them); 384 KB after text/encode_utf8.ts and
  // async/linked_signal.ts (two small modules of the hot path, mostly their documentation); 55 and 367 KB before them, 81 and 625 KB before
  // the lazy imports, 65 and 457 KB before the 2026-07-28 transport loaded on its probe. Every KB here is loaded and compiled at every start by
  // `deno run src/main.ts`, and ends up in bundle/main.js (what users run): move what few runs need behind import().
  assert.ok(graph.size <= 60, `${graph.size} modules`);
  assert.ok(bytes <= 419_000, `${bytes} bytes`);
});
