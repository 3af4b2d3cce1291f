/**
 * `deno task conformance`: runs the official MCP conformance suite (`@modelcontextprotocol/conformance`)
 * against mcp-bridge, through {@link ./host_driver.ts} (an SDK host that spawns the real bridge).
 *
 * ```
 * deno task conformance                              # the 2025-11-25 requirement set + two 2025-03-26 auth scenarios
 * deno task conformance --requirements 2026-07-28    # that requirement set
 * deno task conformance --scenario sse-retry         # one scenario (repeatable); docs/CONFORMANCE.md is left alone
 * deno task conformance --extensions                 # the six enterprise-auth extension scenarios
 * ```
 *
 * It installs the suite and Node 22 (the suite needs Node >= 22) into `.tmp/conformance` when they are
 * absent, lists the requirement set's client scenarios with the suite's `list` command, then runs
 * them one at a time in single-scenario mode (which also judges the client's exit code), with
 * `-o .tmp/conformance/results`. It prints a table (scenario, result, failing check ids) and a
 * closing `N passed, M failed` line, and for a whole requirement set rewrites that set's section of
 * `docs/CONFORMANCE.md`. Exit code 0 when every scenario passed, 1 otherwise.
 *
 * @module
 */

/**
 * The suite's client scenarios of the authorization extensions (client credentials, enterprise-managed
 * authorization, DPoP, workload identity federation): run and reported by `--extensions`, never scored
 * by a requirement set.
 */
export const EXTENSION_SCENARIOS: readonly string[] = [
  "auth/client-credentials-basic",
  "auth/client-credentials-jwt",
  "auth/enterprise-managed-authorization",
  "auth/dpop",
  "auth/dpop-nonce",
  "auth/wif-jwt-bearer",
];

/** The suite version this harness is written against. */
export const SUITE_VERSION = "0.2.0-alpha.12";
/** The default requirement set. */
export const DEFAULT_REQUIREMENTS = "2025-11-25";
/** Scenarios run with the 2025-11-25 set although it does not require them (2025-03-26 back-compat). */
export const EXTRA_SCENARIOS: readonly string[] = [
  "auth/2025-03-26-oauth-metadata-backcompat",
  "auth/2025-03-26-oauth-endpoint-fallback",
];

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const WORK = `${REPO}/.tmp/conformance`;
const NODE = `${WORK}/node_modules/node/bin/node`;
const SUITE = `${WORK}/node_modules/@modelcontextprotocol/conformance`;
const RESULTS = `${WORK}/results`;
const CONFIG_DIRS = `${WORK}/config`;
const DOC = `${REPO}/docs/CONFORMANCE.md`;

/** One scenario to run, and the `--spec-version` to run it at (none: the suite's default). */
export interface RunItem {
  /** The scenario name. */
  scenario: string;
  /** The `--spec-version`, if any. */
  specVersion?: string;
}

/** The outcome of one scenario. */
export interface Outcome extends RunItem {
  /** `pass`, `FAIL` or `skipped` (not applicable at the spec version). */
  result: "pass" | "FAIL" | "skipped";
  /** Ids of checks with status FAILURE or WARNING (with `(warning)` for warnings). */
  failing: string[];
  /** Extra notes: the client's exit code, a timeout. */
  notes: string[];
  /** The results directory the suite wrote, relative to the repository. */
  resultsDir?: string;
}

/** The command line of `deno task conformance`. */
export interface RunOptions {
  /** The requirement set. */
  requirements: string;
  /** Whether `--requirements` was given. */
  requirementsGiven: boolean;
  /** Single scenarios, instead of a whole set. */
  scenarios: string[];
  /** `--extensions`: the extension scenarios instead of a requirement set. */
  extensions: boolean;
}

/**
 * Parses `[--requirements <rev>] [--scenario <name>]…`.
 *
 * @param argv The arguments.
 * @returns The options.
 */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  const options: RunOptions = {
    requirements: DEFAULT_REQUIREMENTS,
    requirementsGiven: false,
    scenarios: [],
    extensions: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [
        arg,
        undefined,
      ];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--requirements") {
      options.requirements = value();
      options.requirementsGiven = true;
    } else if (flag === "--scenario") {
      options.scenarios.push(value());
    } else if (flag === "--extensions" && inline === undefined) {
      options.extensions = true;
    } else {
      throw new Error(
        `Unknown argument "${arg}": expected --requirements <rev>, --scenario <name> or --extensions`,
      );
    }
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.requirements)) {
    throw new Error(`--requirements takes a spec revision such as 2025-11-25, not "${options.requirements}"`);
  }
  return options;
}

/**
 * The client scenarios of `conformance list --client --requirements <rev>` output.
 *
 * @param listing The command's stdout.
 * @returns The scenario names, in listed order.
 */
export function parseClientScenarios(listing: string): string[] {
  const names: string[] = [];
  let inSection = false;
  for (const line of stripAnsi(listing).split("\n")) {
    if (/^Client scenarios/.test(line)) {
      inSection = true;
      continue;
    }
    if (!inSection) continue;
    const match = /^\s+- (\S+)\s*$/.exec(line);
    if (match) names.push(match[1]!);
    else if (line.trim() === "" || !/^\s/.test(line)) {
      if (names.length > 0) break;
    }
  }
  return names;
}

/** One entry of the suite's `checks.json`. */
export interface Check {
  /** The check id. */
  id: string;
  /** SUCCESS, FAILURE, WARNING, INFO or SKIPPED. */
  status: string;
}

/**
 * The ids of failing checks (FAILURE, and WARNING, which fails a single-scenario run too).
 *
 * @param checks The parsed `checks.json`.
 * @returns The ids, deduplicated, in order.
 */
export function failingChecks(checks: readonly Check[]): string[] {
  const out: string[] = [];
  for (const check of checks) {
    const label = check.status === "FAILURE"
      ? check.id
      : check.status === "WARNING"
      ? `${check.id} (warning)`
      : undefined;
    if (label !== undefined && !out.includes(label)) out.push(label);
  }
  return out;
}

/** Removes ANSI colour sequences. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * The Markdown table of outcomes.
 *
 * @param outcomes The outcomes.
 * @returns The table.
 */
export function markdownTable(outcomes: readonly Outcome[]): string {
  const rows = [
    "| scenario | result | failing checks |",
    "| --- | --- | --- |",
    ...outcomes.map((o) => {
      const detail = [...o.failing.map((id) => `\`${id}\``), ...o.notes].join(", ") || "";
      return `| \`${o.scenario}\` | ${o.result} | ${detail} |`;
    }),
  ];
  return rows.join("\n");
}

/** The closing line. */
export function summaryLine(outcomes: readonly Outcome[]): string {
  const passed = outcomes.filter((o) => o.result === "pass").length;
  const failed = outcomes.filter((o) => o.result === "FAIL").length;
  const skipped = outcomes.filter((o) => o.result === "skipped").length;
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
}

const SHELL_SAFE = /^[A-Za-z0-9_.,=:/@+%-]+$/;

/**
 * The `--command` the suite spawns (it splits on spaces, appends the URL and runs it with
 * `shell: true`, so every word must be shell-safe).
 *
 * @param deno The absolute path of the Deno binary.
 * @returns The command.
 */
export function driverCommand(deno: string): string {
  const words = [
    deno,
    "run",
    "--quiet",
    "--frozen",
    "--no-prompt",
    `--config=${REPO}/deno.json`,
    "--allow-run=deno",
    "--allow-env",
    "--allow-read",
    // Only to hand the bridge a scenario's workload token as a file in its config dir.
    `--allow-write=${CONFIG_DIRS}`,
    `${REPO}/tests/conformance/host_driver.ts`,
  ];
  for (const word of words) {
    if (!SHELL_SAFE.test(word)) {
      throw new Error(`Cannot build a shell-safe suite command: "${word}" has spaces or shell characters`);
    }
  }
  return words.join(" ");
}

const decoder = new TextDecoder();
function say(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
}
function print(text: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${text}\n`));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function output(cmd: string, args: string[], env: Record<string, string> = {}) {
  const result = await new Deno.Command(cmd, { args, env, cwd: REPO, stdin: "null" }).output();
  return { code: result.code, stdout: decoder.decode(result.stdout), stderr: decoder.decode(result.stderr) };
}

async function installedSuiteVersion(): Promise<string | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${SUITE}/package.json`)).version;
  } catch {
    return undefined;
  }
}

/** Installs Node 22 and the suite into `.tmp/conformance` unless both are there. */
async function ensureInstalled(): Promise<void> {
  if (await exists(NODE) && await installedSuiteVersion() === SUITE_VERSION) return;
  say(`Installing Node 22 and @modelcontextprotocol/conformance@${SUITE_VERSION} into .tmp/conformance …`);
  await Deno.mkdir(WORK, { recursive: true });
  const npm = await output("npm", [
    "install",
    "--prefix",
    WORK,
    "node@22",
    `@modelcontextprotocol/conformance@${SUITE_VERSION}`,
    "--no-audit",
    "--no-fund",
  ]);
  if (npm.code !== 0) throw new Error(`npm install failed (exit ${npm.code}):\n${npm.stderr}`);
  if (!await exists(NODE)) throw new Error(`npm install left no Node binary at ${NODE}`);
}

async function nodeVersion(): Promise<string> {
  const { code, stdout } = await output(NODE, ["--version"]);
  const version = stdout.trim();
  if (code !== 0 || !/^v(2[2-9]|[3-9]\d)\./.test(version)) {
    throw new Error(`${NODE} is not Node >= 22 (it says "${version}"); remove .tmp/conformance and retry`);
  }
  return version;
}

function suiteArgs(...args: string[]): string[] {
  return [`${SUITE}/dist/index.js`, ...args];
}

async function listScenarios(requirements: string): Promise<string[]> {
  const { code, stdout, stderr } = await output(
    NODE,
    suiteArgs("list", "--client", "--requirements", requirements),
  );
  if (code !== 0) throw new Error(`conformance list failed (exit ${code}):\n${stderr}`);
  const names = parseClientScenarios(stdout);
  if (names.length === 0) throw new Error(`conformance list printed no client scenarios:\n${stdout}`);
  return names;
}

async function runOne(item: RunItem, command: string, pathEnv: string): Promise<Outcome> {
  const slug = item.scenario.replace(/[^A-Za-z0-9_.-]+/g, "_");
  const configDir = `${CONFIG_DIRS}/${slug}`;
  await Deno.remove(configDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(configDir, { recursive: true });
  const args = suiteArgs("client", "--command", command, "--scenario", item.scenario, "-o", RESULTS);
  if (item.specVersion) args.push("--spec-version", item.specVersion);
  const { code, stdout, stderr } = await output(NODE, args, {
    PATH: pathEnv,
    NO_COLOR: "1",
    MCP_BRIDGE_CONFIG_DIR: configDir,
  });
  const text = stripAnsi(stdout + "\n" + stderr);
  const outcome: Outcome = { ...item, result: code === 0 ? "pass" : "FAIL", failing: [], notes: [] };
  if (/^SKIPPED: /m.test(text)) {
    outcome.result = "skipped";
    outcome.notes.push("not applicable at this spec version");
    return outcome;
  }
  const saved = /Results saved to (.+)$/m.exec(text)?.[1]?.trim();
  if (saved) {
    const dir = saved.startsWith("/") ? saved : `${REPO}/${saved}`;
    outcome.resultsDir = dir.startsWith(`${REPO}/`) ? dir.slice(REPO.length + 1) : dir;
    try {
      outcome.failing = failingChecks(JSON.parse(await Deno.readTextFile(`${dir}/checks.json`)));
    } catch (error) {
      outcome.notes.push(`no checks.json (${(error as Error).message})`);
    }
  } else if (code !== 0) {
    outcome.notes.push(`suite exit ${code}: ${text.trim().split("\n").slice(-3).join(" / ")}`);
  }
  const exited = /CLIENT EXITED WITH ERROR \(code (\d+)\)/.exec(text);
  if (exited) outcome.notes.push(`driver exit ${exited[1]}`);
  if (outcome.result === "FAIL" && saved) {
    const why = failureReason(
      await Deno.readTextFile(`${REPO}/${outcome.resultsDir}/stderr.txt`).catch(() => ""),
    );
    if (why) outcome.notes.push(why);
  }
  if (/timed? ?out/i.test(text) && code !== 0) outcome.notes.push("timeout");
  return outcome;
}

/**
 * Why the host failed, from the driver's stderr: the bridge's own error line, else the driver's.
 *
 * @param stderr The client's stderr as the suite saved it.
 * @returns A short reason, or "".
 */
export function failureReason(stderr: string): string {
  const text = stripAnsi(stderr);
  const line = /^\[mcp-bridge\] error: (.+)$/m.exec(text)?.[1] ??
    /^host_driver: failed: (.+)$/m.exec(text)?.[1];
  if (!line) return "";
  const short = line.length > 140 ? `${line.slice(0, 137)}…` : line;
  return `"${short.replaceAll("|", "/")}"`;
}

const SECTION = (rev: string) => [`<!-- conformance:${rev}:start -->`, `<!-- conformance:${rev}:end -->`];

/**
 * The new `docs/CONFORMANCE.md`: the given set's section replaced (or added), other sets kept.
 *
 * @param previous The current file, or "".
 * @param requirements The requirement set.
 * @param section The section's body.
 * @returns The file.
 */
export function updateDoc(previous: string, requirements: string, section: string): string {
  const [start, end] = SECTION(requirements) as [string, string];
  const block = `${start}\n${section.trim()}\n${end}`;
  const header = `# Conformance

Results of the official MCP conformance suite against mcp-bridge, written by \`deno task conformance\`
(\`tests/conformance/run.ts\`). The suite tests a _client_; mcp-bridge is a bridge, so
\`tests/conformance/host_driver.ts\` plays the MCP host: the MCP SDK's \`Client\` over stdio, spawning the real
bridge with exact permissions, then doing what each scenario expects (initialize, \`tools/list\`, the scenario's
tool calls, elicitation answered with the schema defaults). Each scenario runs on its own (single-scenario
mode, which also fails a scenario when the driver exits non-zero); raw results are in
\`.tmp/conformance/results/\` (\`checks.json\`, and the driver's and bridge's stderr in \`stderr.txt\`).

Permissions: the driver runs with \`--allow-run=deno --allow-env --allow-read\` (and \`--allow-write\` for the config dirs under \`.tmp/conformance/config/\`, to hand a bridge a scenario's token file). The bridge gets
\`--allow-net=localhost:<port>\` for the mock server only; in \`auth/*\` scenarios the mock authorization server
listens on another ephemeral \`localhost\` port that is not known in advance, so there the bridge gets
\`--allow-net=localhost,127.0.0.1\` (any port of those hosts: \`127.0.0.1\` because the bridge's sign-in
callback listener binds it, on a port the bridge picks), plus \`--allow-env=BROWSER\`,
\`--allow-run=<abs>/tests/conformance/follow_redirect.ts\` (the headless "browser" that follows the mock
\`/authorize\` redirect) and read/write on a fresh \`--config-dir\` under \`.tmp/conformance/config/\`.
Context mapping: \`client_id\`/\`client_secret\` → \`--static-oauth-client-info\`, \`auth/basic-cimd\` →
\`--client-metadata-url ${"https://conformance-test.local/client-metadata.json"}\`; the extension scenarios:
\`private_key_pem\`/\`signing_algorithm\` → \`private_key\` and \`token_endpoint_auth_signing_alg\` in
\`--static-oauth-client-info\`, \`valid_jwt\` → a file for \`--workload-token-file\`, the \`idp_*\` members →
\`--enterprise-idp\` with the ID token in a file.
`;
  let doc = previous.trim() === "" ? header : previous;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from !== -1 && to > from) doc = doc.slice(0, from) + block + doc.slice(to + end.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  return doc.endsWith("\n") ? doc : `${doc}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunArgs(argv);
  } catch (error) {
    say((error as Error).message);
    return 2;
  }
  await ensureInstalled();
  const node = await nodeVersion();
  const deno = Deno.execPath();
  const command = driverCommand(deno);
  const denoDir = deno.slice(0, deno.lastIndexOf("/"));
  const pathEnv = `${denoDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;

  let items: RunItem[];
  if (options.scenarios.length > 0) {
    const specVersion = options.requirementsGiven ? options.requirements : undefined;
    items = options.scenarios.map((scenario) => ({ scenario, specVersion }));
  } else if (options.extensions) {
    items = EXTENSION_SCENARIOS.map((scenario) => ({ scenario }));
  } else {
    items = (await listScenarios(options.requirements)).map((scenario) => ({
      scenario,
      specVersion: options.requirements,
    }));
    if (options.requirements === DEFAULT_REQUIREMENTS) {
      items.push(
        ...EXTRA_SCENARIOS.filter((s) => !items.some((i) => i.scenario === s)).map((scenario) => ({
          scenario,
        })),
      );
    }
  }
  say(`conformance ${SUITE_VERSION} on Node ${node}, ${items.length} scenario(s), one at a time`);
  say(`command: ${command} <server-url>`);
  const outcomes: Outcome[] = [];
  for (const item of items) {
    const outcome = await runOne(item, command, pathEnv);
    say(`  ${outcome.result.padEnd(7)} ${item.scenario}`);
    outcomes.push(outcome);
  }

  const width = Math.max(8, ...outcomes.map((o) => o.scenario.length));
  print("");
  print(`${"scenario".padEnd(width)}  result   failing checks`);
  print(`${"-".repeat(width)}  -------  --------------`);
  for (const o of outcomes) {
    print(`${o.scenario.padEnd(width)}  ${o.result.padEnd(7)}  ${[...o.failing, ...o.notes].join(", ")}`);
  }
  print("");
  print(summaryLine(outcomes));

  if (options.scenarios.length === 0 && options.extensions) {
    const date = new Date().toISOString().slice(0, 10);
    const section = `## Extension scenarios

- Date: ${date}
- Suite: \`@modelcontextprotocol/conformance@${SUITE_VERSION}\` on Node ${node}
- Command: \`deno task conformance --extensions\`
- Scenarios: the authorization extensions (${EXTENSION_SCENARIOS.map((s) => `\`${s}\``).join(", ")}), run at
  the suite's default spec version; extensions are reported, never scored by a requirement set.

${markdownTable(outcomes)}

**${summaryLine(outcomes)}**`;
    const previous = await Deno.readTextFile(DOC).catch(() => "");
    await Deno.writeTextFile(DOC, updateDoc(previous, "extensions", section));
    const fmt = await output("deno", ["fmt", "--quiet", DOC]);
    if (fmt.code !== 0) say(`deno fmt ${DOC} failed (exit ${fmt.code}): ${fmt.stderr.trim()}`);
    say(`wrote ${DOC.slice(REPO.length + 1)}`);
  } else if (options.scenarios.length === 0) {
    const date = new Date().toISOString().slice(0, 10);
    const extra = options.requirements === DEFAULT_REQUIREMENTS
      ? ` plus ${
        EXTRA_SCENARIOS.map((s) => `\`${s}\``).join(" and ")
      } (run at the suite's default spec version)`
      : "";
    const section = `## Requirement set ${options.requirements}

- Date: ${date}
- Suite: \`@modelcontextprotocol/conformance@${SUITE_VERSION}\` on Node ${node}
- Command: \`deno task conformance${
      options.requirementsGiven ? ` --requirements ${options.requirements}` : ""
    }\`
- Scenarios: \`conformance list --client --requirements ${options.requirements}\`${extra}, each run as
  \`conformance client --command "${
      command.replaceAll(REPO, "<repo>").replace(deno, "deno")
    }" --scenario <name>${
      options.requirements ? ` --spec-version ${options.requirements}` : ""
    } -o .tmp/conformance/results\`

${markdownTable(outcomes)}

**${summaryLine(outcomes)}**`;
    const previous = await Deno.readTextFile(DOC).catch(() => "");
    await Deno.writeTextFile(DOC, updateDoc(previous, options.requirements, section));
    // `deno fmt --check` covers Markdown too: let it lay out the tables and wrap the prose.
    const fmt = await output("deno", ["fmt", "--quiet", DOC]);
    if (fmt.code !== 0) say(`deno fmt ${DOC} failed (exit ${fmt.code}): ${fmt.stderr.trim()}`);
    say(`wrote ${DOC.slice(REPO.length + 1)}`);
  }
  return outcomes.every((o) => o.result !== "FAIL") ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
