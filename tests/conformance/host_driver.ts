/**
 * The conformance suite's "client": an MCP host that drives the real bridge.
 *
 * The official suite (`@modelcontextprotocol/conformance`) spawns a client command with the mock
 * server's URL appended and judges only what reaches its mock servers. mcp-bridge is not a client,
 * so this program plays the host: the MCP SDK's `Client` over `StdioClientTransport`, spawning
 *
 * ```
 * deno run --quiet --frozen --no-prompt --allow-net=<host:port> <repo>/src/main.ts <server-url> [flags]
 * ```
 *
 * and then doing what the scenario in `MCP_CONFORMANCE_SCENARIO` needs: initialize (automatic),
 * `tools/list`, and calls to the tools the suite's scenarios expect (see {@linkcode KNOWN_CALLS}),
 * plus the exact calls of `MCP_CONFORMANCE_CONTEXT.toolCalls` when the scenario gives them.
 * `MCP_CONFORMANCE_CONTEXT` is mapped to bridge flags where the bridge has them (see
 * {@linkcode planBridge}).
 *
 * Run it as `deno run --no-prompt --allow-run=deno --allow-env --allow-read
 * tests/conformance/host_driver.ts [bridge-flags…] <server-url>`. Exit code 0 when every step
 * succeeded, 1 otherwise; the bridge is always stopped first. Only diagnostics go to stderr (the
 * bridge's stderr is passed through); nothing goes to stdout.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

/** The repository root (absolute, no trailing slash). */
export const REPO: string = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
/** The bridge's entry point. */
export const MAIN: string = `${REPO}/src/main.ts`;
/** The headless "browser" that follows the mock authorization server's redirect. */
export const FOLLOW_REDIRECT: string = new URL("./follow_redirect.ts", import.meta.url).pathname;
/** The client id the suite's CIMD scenario expects (the suite never fetches it). */
export const CIMD_URL = "https://conformance-test.local/client-metadata.json";
/** The suite's CIMD scenario. */
export const CIMD_SCENARIO = "auth/basic-cimd";
/** The suite's client credentials scenarios (the `oauth-client-credentials` extension). */
export const CLIENT_CREDENTIALS_SCENARIOS: readonly string[] = [
  "auth/client-credentials-basic",
  "auth/client-credentials-jwt",
];

/** The tools the suite's client scenarios expect to be called, with the arguments to send. */
export const KNOWN_CALLS: Readonly<Record<string, Record<string, unknown>>> = {
  /** `tools_call`: `tool-add-numbers`. */
  add_numbers: { a: 1, b: 2 },
  /** `elicitation-sep1034-client-defaults`: the elicitation is answered with the schema defaults. */
  test_client_elicitation_defaults: {},
  /** `sse-retry`: the server closes the POST stream; the result arrives on the resumed stream. */
  test_reconnection: {},
  /** Every `auth/*` scenario: called after `tools/list` once authorized. */
  "test-tool": {},
  /** `http-invalid-tool-headers`: the one valid tool must stay usable (the invalid ones are hidden). */
  valid_tool: { region: "us-east1" },
  /** `sep-2322-client-request-state`: multi-round-trip tools; their input requests reach the host. */
  test_mrtr_echo_state: {},
  test_mrtr_unrelated: {},
  test_mrtr_no_state: {},
  test_mrtr_no_result_type: {},
};

/** What the whole run may take before the driver gives up (the suite's own limit is 30 s). */
const DEADLINE_MS = 25_000;

/** One tool call. */
export interface ToolCall {
  /** The tool name. */
  name: string;
  /** The arguments. */
  arguments: Record<string, unknown>;
}

/** The parsed `MCP_CONFORMANCE_CONTEXT`. */
export interface ScenarioContext {
  /** The scenario name (always present when the suite sets a context). */
  name?: string;
  /** A pre-registered client id. */
  client_id?: string;
  /** A pre-registered client secret. */
  client_secret?: string;
  /** The exact calls to make (`http-custom-headers`). */
  toolCalls?: ToolCall[];
  /** Other scenario data the bridge has no flag for. */
  [key: string]: unknown;
}

/** The bridge's command line, permissions and environment for one scenario. */
export interface BridgePlan {
  /** The `deno` arguments (`run … main.ts <url> [flags]`). */
  args: string[];
  /** Extra environment for the bridge. */
  env: Record<string, string>;
  /** Files to write before the bridge starts (path → text), e.g. a workload token. */
  files: Record<string, string>;
}

/** Where the driver's inputs come from. */
export interface PlanInput {
  /** The mock server's URL. */
  serverUrl: string;
  /** `MCP_CONFORMANCE_SCENARIO`. */
  scenario: string;
  /** `MCP_CONFORMANCE_CONTEXT`, parsed. */
  context: ScenarioContext;
  /** Extra bridge flags from the driver's own command line. */
  extraFlags?: string[];
  /** A private config dir for the bridge (OAuth state), from `MCP_BRIDGE_CONFIG_DIR`. */
  configDir?: string;
  /** The `BROWSER` program to hand the bridge. */
  browser?: string;
}

/** True for the suite's OAuth scenarios. */
export function isAuthScenario(scenario: string): boolean {
  return scenario.startsWith("auth/");
}

/**
 * The bridge command for a scenario. Network access is the mock server's `host:port` only; auth
 * scenarios also talk to a mock authorization server on another ephemeral port of the same host
 * (unknown in advance), so there the host is allowed without a port, and so is `127.0.0.1`, where
 * the bridge listens for the sign-in callback on a port of its choosing. Context mapping:
 * `client_id`/`client_secret` → `--static-oauth-client-info`, the CIMD scenario →
 * `--client-metadata-url`, a client credentials scenario → `--client-credentials`. OAuth scenarios
 * also get `BROWSER` (and permission to read it and run it) and, when given, a private `--config-dir`.
 *
 * @param input The scenario inputs.
 * @returns The `deno` arguments and the bridge's extra environment.
 */
export function planBridge(input: PlanInput): BridgePlan {
  const url = new URL(input.serverUrl);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const auth = isAuthScenario(input.scenario);
  // OAuth: the mock authorization server's port is unknown in advance, and the bridge's sign-in
  // callback listener binds 127.0.0.1 on a port it picks itself.
  const net = auth ? [...new Set([url.hostname, "127.0.0.1"])].join(",") : `${url.hostname}:${port}`;
  const perms = ["--no-prompt", `--allow-net=${net}`];
  const flags: string[] = [];
  const env: Record<string, string> = { NO_COLOR: "1" };
  const { client_id: clientId, client_secret: clientSecret } = input.context;
  const { private_key_pem: privateKey, signing_algorithm: signingAlg } = input.context;
  if (typeof clientId === "string") {
    const info: Record<string, string> = { client_id: clientId };
    if (typeof clientSecret === "string") info.client_secret = clientSecret;
    // `auth/client-credentials-jwt`: private_key_jwt with the suite's key (PEM) and algorithm.
    if (typeof privateKey === "string") info.private_key = privateKey;
    if (typeof signingAlg === "string") info.token_endpoint_auth_signing_alg = signingAlg;
    flags.push("--static-oauth-client-info", JSON.stringify(info));
  }
  if (input.scenario === CIMD_SCENARIO) flags.push("--client-metadata-url", CIMD_URL);
  if (CLIENT_CREDENTIALS_SCENARIOS.includes(input.scenario)) flags.push("--client-credentials");
  if (auth) {
    const browser = input.browser ?? FOLLOW_REDIRECT;
    env.BROWSER = browser;
    perms.push("--allow-env=BROWSER", `--allow-run=${browser.split(" ")[0]}`);
    if (input.configDir) {
      perms.push(`--allow-read=${input.configDir}`, `--allow-write=${input.configDir}`);
      flags.push("--config-dir", input.configDir);
    }
  }
  const files: Record<string, string> = {};
  // `auth/enterprise-managed-authorization`: the enterprise IdP, the user's ID token in a file.
  const {
    idp_id_token: idToken,
    idp_token_endpoint: idpToken,
    idp_client_id: idpClient,
    idp_issuer: idpIssuer,
  } = input.context;
  if (
    typeof idToken === "string" && typeof idpToken === "string" && typeof idpClient === "string" &&
    input.configDir
  ) {
    const path = `${input.configDir}/id-token.jwt`;
    files[path] = idToken;
    flags.push(
      "--enterprise-idp",
      JSON.stringify({
        token_endpoint: idpToken,
        client_id: idpClient,
        id_token: `@${path}`,
        ...(typeof idpIssuer === "string" ? { issuer: idpIssuer } : {}),
      }),
    );
  }
  // `auth/wif-jwt-bearer`: the workload's token, where a platform would put it (a file the bridge reads).
  if (typeof input.context.valid_jwt === "string" && input.configDir) {
    const path = `${input.configDir}/workload-token.jwt`;
    files[path] = input.context.valid_jwt;
    flags.push("--workload-token-file", path);
  }
  return {
    args: [
      "run",
      "--quiet",
      "--frozen",
      ...perms,
      MAIN,
      input.serverUrl,
      ...flags,
      ...(input.extraFlags ?? []),
    ],
    env,
    files,
  };
}

/**
 * The calls to make once `tools/list` answered: the context's exact calls when it has them, else
 * every listed tool that a known scenario expects, in listed order.
 *
 * @param listed The tool names from `tools/list`.
 * @param context The scenario context.
 * @returns The calls.
 */
export function planCalls(listed: readonly string[], context: ScenarioContext): ToolCall[] {
  if (Array.isArray(context.toolCalls) && context.toolCalls.length > 0) {
    return context.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments ?? {} }));
  }
  return listed.filter((name) => Object.hasOwn(KNOWN_CALLS, name))
    .map((name) => ({ name, arguments: { ...KNOWN_CALLS[name] } }));
}

/**
 * The content of an `accept` answer to a form elicitation: every property's `default`.
 *
 * @param requestedSchema The elicitation's `requestedSchema`.
 * @returns The content.
 */
export function defaultsOf(requestedSchema: unknown): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  const properties = (requestedSchema as { properties?: Record<string, { default?: unknown }> } | undefined)
    ?.properties ?? {};
  for (const [key, property] of Object.entries(properties)) {
    if (property && typeof property === "object" && property.default !== undefined) {
      content[key] = property.default;
    }
  }
  return content;
}

const encoder = new TextEncoder();
function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`host_driver: ${text}\n`));
}

interface ChildLike {
  stdin?: { end(): void } | null;
  exitCode: number | null;
  signalCode: string | null;
  kill(signal?: string): boolean;
  once(event: "close", listener: () => void): void;
}

/** Ends the bridge: stdin EOF, then SIGTERM after 2 s, then SIGKILL after 2 more. */
async function stopBridge(transport: StdioClientTransport): Promise<void> {
  const child = (transport as unknown as { _process?: ChildLike })._process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once("close", resolve));
  child.stdin?.end();
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2_000))),
    ]);
    clearTimeout(timer);
    if (exited) return;
    say(`the bridge did not exit; sending ${signal}`);
    child.kill(signal);
  }
  await closed;
}

/** {@linkcode FOLLOW_REDIRECT} itself when it is executable (its shebang runs Deno), else a `deno run` line. */
function browserCommand(): string {
  try {
    if (((Deno.statSync(FOLLOW_REDIRECT).mode ?? 0) & 0o111) !== 0) return FOLLOW_REDIRECT;
  } catch {
    // fall through
  }
  return `deno run --quiet --no-prompt --allow-net=localhost,127.0.0.1 ${FOLLOW_REDIRECT}`;
}

function parseContext(raw: string | undefined): ScenarioContext {
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    return value && typeof value === "object" && !Array.isArray(value) ? value as ScenarioContext : {};
  } catch {
    say("MCP_CONFORMANCE_CONTEXT is not JSON; ignoring it");
    return {};
  }
}

/**
 * Runs one scenario against the bridge.
 *
 * @param argv `[bridge-flags…] <server-url>`.
 * @returns The exit code.
 */
export async function drive(argv: readonly string[]): Promise<number> {
  const serverUrl = argv[argv.length - 1];
  if (serverUrl === undefined || !URL.canParse(serverUrl)) {
    say("usage: host_driver.ts [bridge-flags…] <server-url>");
    return 2;
  }
  const scenario = Deno.env.get("MCP_CONFORMANCE_SCENARIO") ?? "";
  const context = parseContext(Deno.env.get("MCP_CONFORMANCE_CONTEXT"));
  const plan = planBridge({
    serverUrl,
    scenario,
    context,
    extraFlags: argv.slice(0, -1),
    configDir: Deno.env.get("MCP_BRIDGE_CONFIG_DIR") || undefined,
    browser: browserCommand(),
  });
  say(`scenario ${scenario || "(none)"}: deno ${plan.args.join(" ")}`);
  for (const [path, text] of Object.entries(plan.files)) Deno.writeTextFileSync(path, text, { mode: 0o600 });

  const transport = new StdioClientTransport({
    command: "deno",
    args: plan.args,
    env: plan.env,
    cwd: REPO,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Uint8Array) => void Deno.stderr.writeSync(chunk));
  // The SDK's own close() races the exit against a 2 s timer it never clears; end the bridge here.
  transport.close = () => stopBridge(transport);

  const client = new Client({ name: "mcp-bridge-conformance-host", version: "1.0.0" }, {
    capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
  });
  client.setRequestHandler("elicitation/create", (request) => {
    const params = request.params as { requestedSchema?: unknown };
    const content = defaultsOf(params.requestedSchema);
    say(`elicitation/create answered: accept ${JSON.stringify(content)}`);
    return { action: "accept", content } as never;
  });
  client.setRequestHandler("sampling/createMessage", () => ({
    model: "conformance-host",
    role: "assistant",
    content: { type: "text", text: "ok" },
    stopReason: "endTurn",
  }));
  client.setRequestHandler("roots/list", () => ({ roots: [] }));

  let timer: ReturnType<typeof setTimeout> | undefined;
  const onSignal = () => {
    say("signalled: stopping the bridge");
    stopBridge(transport).finally(() => Deno.exit(1));
  };
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  const steps = async (): Promise<boolean> => {
    await client.connect(transport);
    const info = client.getServerVersion();
    say(`initialized: ${info?.name ?? "?"} ${info?.version ?? ""}`);
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    say(`tools/list: ${names.join(", ") || "(none)"}`);
    let ok = true;
    for (const call of planCalls(names, context)) {
      const result = await client.callTool(call);
      const text = JSON.stringify(result.content ?? result).slice(0, 300);
      say(`tools/call ${call.name}${result.isError ? " (isError)" : ""}: ${text}`);
      if (result.isError) ok = false;
    }
    return ok;
  };
  try {
    const ok = await Promise.race([
      steps(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`gave up after ${DEADLINE_MS} ms`)), DEADLINE_MS);
      }),
    ]);
    return ok ? 0 : 1;
  } catch (error) {
    say(`failed: ${(error as Error).message}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await stopBridge(transport);
    await client.close().catch(() => {});
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

if (import.meta.main) Deno.exit(await drive(Deno.args));
