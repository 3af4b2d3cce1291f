/**
 * `deno task bundle`: builds the command-line program that the JSR package runs (`jsr:@mcp-bridge/mcp-bridge`,
 * the `.` export) into `bundle/`: `deno bundle` of `src/main.ts`, minified, with what only some runs need
 * (the OAuth client, `config`, `doctor`, the keychain, `jose`) in chunks loaded on first use.
 *
 * Why: Deno loads a program of local or remote TypeScript modules one module at a time, each transpiled
 * with an inline source map, and compiles all of it at every start. For the bridge's start-up graph (81
 * modules, 625 KB of TypeScript, 1.8 MB once transpiled) that took about 37 ms of its cold start and 6 MiB of
 * its idle memory; the bundle's start-up part is about 107 KB (`bench/RESULTS.md`, "What the bundle
 * buys"). The source stays the published library (`./bridge`, `./transport`, `./store`) and what the bundle
 * is built from: `deno run src/main.ts` behaves the same.
 *
 * A start loads two files: `main.js`, which only starts the program, and `core.js`, the start-up code joined
 * into one module by a second `deno bundle` (`_start_module.ts`: some twenty chunks cost 2 to 3.5 ms more).
 *
 * Beside the code it writes `main.d.ts` (the types of `main`, for JSR) and `THIRD_PARTY_LICENSES.md` (the
 * licence of each npm package bundled in).
 *
 * ```sh
 * deno task bundle            # into bundle/
 * ```
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };
import { lazyImports, moduleHead, planStartModule } from "./_start_module.ts";

/** Where the JSR package's program goes (the `.` export is `./bundle/main.js`). */
export const BUNDLE_DIR = "bundle";

/** The npm packages the bundle carries (loaded lazily): their licences go beside it. */
export const BUNDLED_PACKAGES: readonly string[] = ["jose"];

/**
 * The `deno bundle` arguments.
 *
 * @example Usage
 * ```ts
 * import { bundleArgs } from "./bundle.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(bundleArgs("out").slice(-3), ["--outdir", "out", "src/main.ts"]);
 * ```
 *
 * @param outdir The output directory.
 * @returns The arguments after `deno`.
 */
export function bundleArgs(outdir: string): string[] {
  return [
    "bundle",
    "--quiet",
    "--frozen-lockfile",
    "--platform",
    "deno",
    // The first run's modules in main.js; every dynamic import() its own chunk, loaded when needed.
    "--code-splitting",
    // Not --keep-names: its Object.defineProperty(fn, "name") for every function and class cost ~3.5 ms of
    // the cold start (measured). No code reads a function's name: our errors set their `name`, and jose's
    // are told apart by their `code`.
    "--minify",
    "--outdir",
    outdir,
    "src/main.ts",
  ];
}

/** The first lines of `main.js`: where its types are, and what it is. */
const HEADER = `// @ts-self-types="./main.d.ts"
/**
 * mcp-bridge: connects a stdio MCP host to a remote MCP server. Built by \`deno task bundle\` from
 * src/main.ts of this package (published beside it): minified, the start-up code in core.js, the rest in
 * chunks loaded on first use.
 *
 * @module
 */
`;

/** The types of `main.js`, for JSR and editors. */
const DECLARATION = `/**
 * mcp-bridge: connects a stdio MCP host to a remote MCP server.
 *
 * Run it as the host's server command:
 *
 * \`\`\`sh
 * deno run --allow-net=mcp.example.com:443 jsr:@mcp-bridge/mcp-bridge https://mcp.example.com/mcp
 * \`\`\`
 *
 * @module
 */

/**
 * Runs mcp-bridge with command-line arguments.
 *
 * @example Usage
 * \`\`\`ts ignore
 * import { main } from "jsr:@mcp-bridge/mcp-bridge";
 * Deno.exit(await main(["--version"]));
 * \`\`\`
 *
 * @param args The arguments after the program name.
 * @returns The exit code.
 */
export declare function main(args: readonly string[]): Promise<number>;
`;

async function denoDir(): Promise<string> {
  const env = Deno.env.get("DENO_DIR");
  if (env) return env;
  const out = await new Deno.Command("deno", { args: ["info", "--json"], stdout: "piped" }).output();
  const dir = (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir?: string }).denoDir;
  if (!dir) throw new Error("Cannot find the Deno dir: deno info --json names none");
  return dir;
}

/** The licence text of each bundled package, from Deno's npm cache (the locked version). */
async function thirdPartyLicenses(): Promise<string> {
  const dir = await denoDir();
  const parts = [
    "# Third-party licences",
    "",
    "The bundle in this directory includes the following npm packages (in the chunks loaded on first use).",
  ];
  for (const name of BUNDLED_PACKAGES) {
    const specifier = (config.imports as Record<string, string>)[name];
    const version = specifier && /^npm:[^@]+@(\d[^/]*)$/.exec(specifier)?.[1];
    if (!version) {
      throw new Error(`Cannot find the locked version of ${name}: deno.json imports say ${specifier}`);
    }
    const base = `${dir}/npm/registry.npmjs.org/${name}/${version}`;
    let text: string | undefined;
    for (const file of ["LICENSE.md", "LICENSE", "LICENSE.txt", "license"]) {
      text = await Deno.readTextFile(`${base}/${file}`).catch(() => undefined);
      if (text) break;
    }
    if (!text) throw new Error(`Cannot find the licence of ${name}@${version} in ${base}`);
    parts.push("", `## ${name}@${version}`, "", "```", text.trim(), "```");
  }
  return parts.join("\n") + "\n";
}

/**
 * Builds the bundle into `outdir` (emptied first: no stale chunk is ever published).
 *
 * @param outdir The output directory (default {@linkcode BUNDLE_DIR}).
 */
export async function buildBundle(outdir: string = BUNDLE_DIR): Promise<void> {
  await Deno.remove(outdir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  // Both bundles run inside outdir: the only directory the task may write.
  const split = `${outdir}/.split`;
  const joined = `${outdir}/.start`;
  try {
    await joinedBundle(outdir, split, joined);
  } finally {
    await Deno.remove(split, { recursive: true }).catch(() => {});
    await Deno.remove(joined, { recursive: true }).catch(() => {});
  }
  await Deno.writeTextFile(`${outdir}/main.d.ts`, DECLARATION);
  await Deno.writeTextFile(`${outdir}/THIRD_PARTY_LICENSES.md`, await thirdPartyLicenses());
}

/**
 * Bundles src/main.ts split at every `import()` into `split`, joins the start-up modules into
 * `outdir/core.js` through `joined` (see `_start_module.ts`), and writes `main.js` and the other files.
 */
async function joinedBundle(outdir: string, split: string, joined: string): Promise<void> {
  await denoBundle(bundleArgs(split));
  const files = new Map<string, string>();
  for (const entry of Deno.readDirSync(split)) {
    // Only modules are read and written back: anything else would be lost with the directory.
    if (!entry.isFile || !entry.name.endsWith(".js")) {
      throw new Error(
        `Cannot join the start-up modules: deno bundle wrote ${entry.name}, which is no module`,
      );
    }
    files.set(entry.name, await Deno.readTextFile(`${split}/${entry.name}`));
  }
  // The program starts in main.js (src/main.ts's last line): core.js keeps only `main`, main.js starts it.
  const main = files.get("main.js")!;
  const start = /import\.meta\.main&&Deno\.exit\(await ([\w$]+)\(Deno\.args\)\);(export\{\1 as main\};)\s*$/
    .exec(main);
  if (!start) throw new Error("Cannot find how main.js starts the program: src/main.ts must end as it did");
  files.set("main.js", main.slice(0, start.index) + start[2]);
  const plan = planStartModule(files);
  await Deno.writeTextFile(`${split}/main.js`, files.get("main.js")!);
  const input = `${split}/_start.js`;
  await Deno.writeTextFile(input, plan.entry);
  const externals = [...plan.lazy].flatMap((file) => ["--external", `./${file}`]);
  await denoBundle([
    "bundle",
    "--quiet",
    "--frozen-lockfile",
    "--platform",
    "deno",
    "--minify",
    ...externals,
    "--outdir",
    joined,
    input,
  ]);
  const core = await Deno.readTextFile(`${joined}/_start.js`);
  if (moduleHead(core).imports.length > 0) {
    throw new Error("Cannot join the start-up modules: core.js imports a file");
  }
  // Every lazily loaded file stays one (a file copied into core.js would exist twice), and nothing else is.
  const loads = lazyImports(core).sort();
  if (loads.join() !== [...plan.lazy].sort().join()) {
    throw new Error(
      `Cannot join the start-up modules: core.js loads ${loads.join(", ")}, not ${[...plan.lazy].join(", ")}`,
    );
  }
  await Deno.writeTextFile(`${outdir}/core.js`, core);
  await Deno.writeTextFile(
    `${outdir}/main.js`,
    `${HEADER}import{main}from"./core.js";export{main};if(import.meta.main)Deno.exit(await main(Deno.args));\n`,
  );
  for (const [file, text] of plan.rewritten) await Deno.writeTextFile(`${outdir}/${file}`, text);
}

/** Runs `deno` with `args` (a `deno bundle` whose last argument is its input); throws with its errors. */
async function denoBundle(args: string[]): Promise<void> {
  const out = await new Deno.Command("deno", { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`Cannot bundle ${args.at(-1)}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

if (import.meta.main) {
  await buildBundle();
  Deno.stderr.writeSync(new TextEncoder().encode(`Bundled src/main.ts into ${BUNDLE_DIR}/\n`));
}
