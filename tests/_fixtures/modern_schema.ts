/**
 * Validates JSON-RPC messages against the official MCP 2026-07-28 JSON Schema, with ajv.
 *
 * The schema is not kept in this repository: it is read from the `@modelcontextprotocol/conformance`
 * package in Deno's npm cache (pinned in `deno.json`, cached by `deno install`), whose bundled
 * `dist/index.js` embeds the spec's `schema.json` files as object literals. The package is never
 * imported (that would run its CLI); the 2026-07-28 literal is cut out of the file and evaluated as
 * data. Set `MCP_SCHEMA_FILE` to a `schema.json` (e.g. `schema/2026-07-28/schema.json` of the spec
 * repository) to validate against that file instead.
 *
 * @module
 */

import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";

/** The conformance package version, pinned to the one in `deno.json` and `deno.lock`. */
const CONFORMANCE_VERSION = "0.2.0-alpha.12";

/** The start of each schema literal embedded in the conformance bundle. */
const SCHEMA_MARKER = "{$schema:`https://json-schema.org/draft/2020-12/schema`,$defs:{";

/** The id the schema is registered under when it has no `$id` of its own. */
const DEFAULT_SCHEMA_ID = "mcp-2026-07-28";

/** The longest rendering of the offending message put into a failure message. */
const MAX_MESSAGE_CHARS = 2000;

/** The result definition for each 2026-07-28 client request method. */
const RESULT_DEFS: Readonly<Record<string, string>> = {
  "server/discover": "DiscoverResult",
  "tools/list": "ListToolsResult",
  "tools/call": "CallToolResult",
  "prompts/list": "ListPromptsResult",
  "prompts/get": "GetPromptResult",
  "resources/list": "ListResourcesResult",
  "resources/templates/list": "ListResourceTemplatesResult",
  "resources/read": "ReadResourceResult",
  "completion/complete": "CompleteResult",
  "subscriptions/listen": "SubscriptionsListenResult",
};

/** The notification definition for each 2026-07-28 server notification method. */
const NOTIFICATION_DEFS: Readonly<Record<string, string>> = {
  "notifications/cancelled": "CancelledNotification",
  "notifications/progress": "ProgressNotification",
  "notifications/message": "LoggingMessageNotification",
  "notifications/tools/list_changed": "ToolListChangedNotification",
  "notifications/prompts/list_changed": "PromptListChangedNotification",
  "notifications/resources/list_changed": "ResourceListChangedNotification",
  "notifications/resources/updated": "ResourceUpdatedNotification",
  "notifications/subscriptions/acknowledged": "SubscriptionsAcknowledgedNotification",
};

// CommonJS interop: the default import is typed as the module, whose `default` is the plugin (at
// runtime too, whichever of `module.exports` or `exports.default` the default import is).
const addFormats = ajvFormats.default;

let schemaPromise: Promise<Record<string, unknown>> | undefined;
let validatorPromise: Promise<ModernValidator> | undefined;

/** Deno's npm cache directory, as `deno info --json` reports it. */
async function npmCacheDir(): Promise<string> {
  const output = await new Deno.Command("deno", {
    args: ["info", "--json"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`Failed to run deno info: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as { npmCache?: unknown };
  if (typeof info.npmCache !== "string") throw new Error("Deno info reported no npmCache directory");
  return info.npmCache;
}

/** The index just past the object literal that starts at `start` (skipping string contents). */
function literalEnd(source: string, start: number): number {
  let depth = 0;
  let quote = "";
  for (let i = start; i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = "";
    } else if (char === "`" || char === '"' || char === "'") {
      quote = char;
    } else if (char === "{") {
      depth++;
    } else if (char === "}" && --depth === 0) {
      return i + 1;
    }
  }
  throw new Error(`Unterminated schema literal at offset ${start}`);
}

/** The 2026-07-28 schema (the literal whose `$defs` has `DiscoverResult`) in the bundle's source. */
function extractModernSchema(source: string, path: string): Record<string, unknown> {
  for (let start = source.indexOf(SCHEMA_MARKER); start >= 0;) {
    const end = literalEnd(source, start);
    const literal = source.slice(start, end);
    if (literal.includes("${")) throw new Error(`Schema literal at offset ${start} is not plain data`);
    // A literal of plain data (strings, numbers, booleans, arrays, objects): evaluating it runs no code.
    const schema = new Function(`return (${literal})`)() as { $defs: Record<string, unknown> };
    if ("DiscoverResult" in schema.$defs) return schema;
    start = source.indexOf(SCHEMA_MARKER, end);
  }
  throw new Error(`No 2026-07-28 schema (with DiscoverResult) found in ${path}`);
}

/** Reads the schema from `MCP_SCHEMA_FILE` or the conformance bundle, uncached. */
async function readModernSchema(): Promise<Record<string, unknown>> {
  const override = Deno.env.get("MCP_SCHEMA_FILE");
  if (override) return JSON.parse(await Deno.readTextFile(override)) as Record<string, unknown>;
  const path = `${await npmCacheDir()}/registry.npmjs.org/@modelcontextprotocol/conformance/` +
    `${CONFORMANCE_VERSION}/dist/index.js`;
  let source: string;
  try {
    source = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(`Conformance package not in the npm cache, run deno install: ${path}`);
  }
  return extractModernSchema(source, path);
}

/**
 * Loads the official MCP 2026-07-28 JSON Schema: from `MCP_SCHEMA_FILE` if set, else from the
 * `@modelcontextprotocol/conformance` bundle in Deno's npm cache. Loaded once, then cached.
 */
export function loadModernSchema(): Promise<Record<string, unknown>> {
  schemaPromise ??= readModernSchema().catch((error) => {
    schemaPromise = undefined;
    throw error;
  });
  return schemaPromise;
}

/** Options for {@linkcode ModernValidator.assert} and {@linkcode assertModernMessage}. */
export interface ModernMessageOptions {
  /** The method of the request a result response answers; selects the result definition. */
  method?: string;
}

/** Checks messages against the 2026-07-28 schema; made by {@linkcode modernValidator}. */
export interface ModernValidator {
  /** The schema the validator was compiled from. */
  schema: Record<string, unknown>;
  /**
   * Asserts that `message` is a valid JSON-RPC message a 2026-07-28 host may receive from a server,
   * against its most specific definition. Throws an Error listing the violations otherwise.
   */
  assert(message: unknown, options?: ModernMessageOptions): void;
}

/** `message` as JSON, truncated for a failure message. */
function render(message: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(message) ?? String(message);
  } catch {
    text = String(message);
  }
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** Throws an AssertionError with `reason`, ajv's `errors` (path and text) and the message. */
function fail(reason: string, message: unknown, errors?: ErrorObject[] | null): never {
  const details = (errors ?? []).map((e) => `\n  ${e.instancePath || "/"}: ${e.message ?? e.keyword}`);
  const error = new Error(`${reason}${details.join("")}\nMessage: ${render(message)}`);
  error.name = "AssertionError";
  throw error;
}

/** Compiles the definitions the validator uses and builds its `assert`. */
async function buildValidator(): Promise<ModernValidator> {
  const schema = await loadModernSchema();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const hasId = typeof schema.$id === "string";
  const id = hasId ? schema.$id as string : DEFAULT_SCHEMA_ID;
  ajv.addSchema(schema, hasId ? undefined : id);
  const defs = schema.$defs as Record<string, unknown>;
  const ref = (name: string) => {
    if (!(name in defs)) throw new Error(`Schema has no definition ${name}`);
    return { $ref: `${id}#/$defs/${name}` };
  };
  // Compile every definition used up front, so a schema missing one fails at once, not mid-test.
  const validators = new Map<string, ValidateFunction>();
  for (const def of [...Object.values(NOTIFICATION_DEFS), "JSONRPCErrorResponse", "JSONRPCResultResponse"]) {
    validators.set(def, ajv.compile(ref(def)));
  }
  for (const def of [...Object.values(RESULT_DEFS), "InputRequiredResult"]) {
    // `<Def>Response` where the schema has one; a JSON-RPC result response carrying `<Def>` otherwise.
    validators.set(
      def,
      ajv.compile(
        `${def}Response` in defs ? ref(`${def}Response`) : {
          type: "object",
          required: ["jsonrpc", "id", "result"],
          properties: { jsonrpc: { const: "2.0" }, id: ref("RequestId"), result: ref(def) },
        },
      ),
    );
  }
  const check = (def: string, message: unknown, reason: string) => {
    const validate = validators.get(def)!;
    if (!validate(message)) fail(reason, message, validate.errors);
  };

  const assert = (message: unknown, options: ModernMessageOptions = {}): void => {
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      fail("Not a JSON-RPC message object", message);
    }
    const fields = message as Record<string, unknown>;
    if ("method" in fields) {
      if ("id" in fields) fail("A request from the server: 2026-07-28 servers send no requests", message);
      const def = NOTIFICATION_DEFS[String(fields.method)];
      if (!def) fail(`Not a 2026-07-28 server notification: ${fields.method}`, message);
      return check(def, message, `Invalid ${def}`);
    }
    if ("error" in fields) {
      if ("result" in fields) fail("A response with both result and error", message);
      return check("JSONRPCErrorResponse", message, "Invalid error response");
    }
    if (!("result" in fields)) fail("Not a request, notification or response", message);
    const result = fields.result as Record<string, unknown> | null;
    if (typeof result === "object" && result?.resultType === "input_required") {
      return check("InputRequiredResult", message, "Invalid InputRequiredResult response");
    }
    if (options.method === undefined) {
      return check("JSONRPCResultResponse", message, "Invalid result response");
    }
    const def = RESULT_DEFS[options.method];
    if (!def) fail(`Not a 2026-07-28 client request method: ${options.method}`, message);
    check(def, message, `Invalid ${def} response to ${options.method}`);
  };
  return { schema, assert };
}

/**
 * The validator for the 2026-07-28 schema, compiled once (loading and compiling takes a moment) and
 * then shared; its `assert` is synchronous.
 */
export function modernValidator(): Promise<ModernValidator> {
  validatorPromise ??= buildValidator().catch((error) => {
    validatorPromise = undefined;
    throw error;
  });
  return validatorPromise;
}

/**
 * Asserts that `message` is a valid JSON-RPC message a 2026-07-28 host may receive from a server:
 * a result response (checked against the result of `options.method` when given), an error response,
 * or a server notification. Server-to-client requests always fail. Throws an Error listing ajv's
 * violations and the message.
 */
export async function assertModernMessage(message: unknown, options?: ModernMessageOptions): Promise<void> {
  (await modernValidator()).assert(message, options);
}

/**
 * Asserts that every message a 2026-07-28 host received is valid against the 2026-07-28 schema, each
 * response checked against the result of the request (found among the messages the host sent) it answers.
 *
 * @param received The messages the host received, in order.
 * @param sent The messages the host sent.
 * @returns How many messages were checked.
 */
export async function assertModernTraffic(
  received: readonly Record<string, unknown>[],
  sent: readonly Record<string, unknown>[],
): Promise<number> {
  const validator = await modernValidator();
  const methods = new Map<string, string>();
  for (const message of sent) {
    if ("id" in message && typeof message.method === "string") {
      methods.set(JSON.stringify(message.id), message.method);
    }
  }
  for (const message of received) {
    const method = "id" in message && !("method" in message)
      ? methods.get(JSON.stringify(message.id))
      : undefined;
    validator.assert(message, method === undefined ? {} : { method });
  }
  return received.length;
}
