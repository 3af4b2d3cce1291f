/**
 * Custom headers from tool parameters (`x-mcp-header`, 2026-07-28 Streamable HTTP): validating a tool's
 * annotations, removing invalid tools from `tools/list` results, and building `Mcp-Param-*` headers for
 * `tools/call`.
 *
 * @module
 */

import { encodeHeaderValue } from "./request_headers.ts";

/** The schema extension key. */
export const X_MCP_HEADER = "x-mcp-header";

/** The header name prefix; the annotation's value follows it as written. */
export const PARAM_HEADER_PREFIX = "Mcp-Param-";

/** One tool parameter mirrored into a header. */
export interface HeaderParam {
  /** The annotation's value: the header is `Mcp-Param-<header>`. */
  header: string;
  /** The annotated property's name (the last key of `path`). */
  property: string;
  /** The chain of `properties` keys from the schema root to the annotated property. */
  path: readonly string[];
  /** The property's primitive type. */
  type: "string" | "integer" | "boolean";
}

/** The outcome of checking one tool's annotations. */
export type ToolHeaderPlan =
  | { ok: true; params: HeaderParam[] }
  | { ok: false; reason: string };

/** What {@link filterToolsResult} returns. */
export interface FilteredTools<T extends { tools?: unknown[] }> {
  /** The result without the invalid tools; the remaining tools are the same objects, in the same order. */
  result: T;
  /** The tools taken out, with the reason (for the warning the spec asks for). */
  removed: { name: string; reason: string }[];
  /** The header plan of every kept tool that has a string name, by name. */
  plans: Map<string, { ok: true; params: HeaderParam[] }>;
}

/** RFC 9110 `token` (`1*tchar`): no empty string, no space, controls, delimiters or non-ASCII. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const PRIMITIVES = new Set(["string", "integer", "boolean"]);

/** Keywords whose value is one subschema. */
const SINGLE = [
  "items",
  "additionalItems",
  "contains",
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "contentSchema",
];
/** Keywords whose value is an array of subschemas. */
const LIST = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/** Keywords whose value maps names to subschemas (`properties` is walked separately). */
const MAP = ["patternProperties", "dependentSchemas", "dependencies", "$defs", "definitions"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function where(path: readonly string[]): string {
  return path.length === 0 ? "the schema root" : `property ${JSON.stringify(path.join("."))}`;
}

/** The subschemas of a node other than its `properties`, with a label for messages. */
function otherSubschemas(node: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const key of SINGLE) if (isRecord(node[key])) out.push([key, node[key]]);
  for (const key of LIST) {
    const value = node[key];
    if (Array.isArray(value)) value.forEach((item, i) => out.push([`${key}[${i}]`, item]));
  }
  for (const key of MAP) {
    const value = node[key];
    if (isRecord(value)) {
      for (const [name, item] of Object.entries(value)) out.push([`${key}.${name}`, item]);
    }
  }
  return out;
}

/** Finds an annotation anywhere in a schema that is not statically reachable; returns its location. */
function findUnreachable(node: unknown, trail: string): string | undefined {
  if (!isRecord(node)) return undefined;
  if (Object.hasOwn(node, X_MCP_HEADER)) return trail;
  const properties = node.properties;
  if (isRecord(properties)) {
    for (const [name, child] of Object.entries(properties)) {
      const found = findUnreachable(child, `${trail}.properties.${name}`);
      if (found !== undefined) return found;
    }
  }
  for (const [label, child] of otherSubschemas(node)) {
    const found = findUnreachable(child, `${trail}.${label}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The permitted primitive of a property schema's `type`: a single name, or one name plus `"null"`. */
function primitiveType(type: unknown): HeaderParam["type"] | undefined {
  if (typeof type === "string") return PRIMITIVES.has(type) ? type as HeaderParam["type"] : undefined;
  if (!Array.isArray(type) || type.length !== 2 || !type.includes("null")) return undefined;
  const other = type.find((t) => t !== "null");
  return typeof other === "string" && PRIMITIVES.has(other) ? other as HeaderParam["type"] : undefined;
}

function describeType(type: unknown): string {
  return type === undefined ? "no type" : `type ${JSON.stringify(type)}`;
}

/**
 * Collects the `x-mcp-header` annotations of a tool's `inputSchema` and checks them as the spec requires.
 * An annotation must be a non-empty RFC 9110 token (which rules out spaces, CR, LF and other control
 * characters and non-ASCII), unique case-insensitively within the schema, on a property typed `string`,
 * `integer` or `boolean` (`number` is not permitted; a nullable form such as `["string", "null"]` is
 * accepted), and on a property reached from the root through `properties` keys only, at any depth. An
 * annotation anywhere else (the root itself, under `items`, `prefixItems`, `additionalProperties`,
 * `patternProperties`, `oneOf`/`anyOf`/`allOf`/`not`, `if`/`then`/`else`, `$defs`, …) makes the tool
 * invalid. A property using `$ref` has no `type` of its own and is invalid when annotated.
 * A tool without an `inputSchema` object has no annotations.
 *
 * @example Usage
 * ```ts
 * import { toolHeaderPlan } from "./x_mcp_header.ts";
 * import assert from "node:assert/strict";
 *
 * const plan = toolHeaderPlan({
 *   name: "execute_sql",
 *   inputSchema: {
 *     type: "object",
 *     properties: { region: { type: "string", "x-mcp-header": "Region" }, query: { type: "string" } },
 *   },
 * });
 * assert.deepEqual(plan, {
 *   ok: true,
 *   params: [{ header: "Region", property: "region", path: ["region"], type: "string" }],
 * });
 * assert.equal(toolHeaderPlan({ name: "t", inputSchema: { properties: { n: { type: "number", "x-mcp-header": "N" } } } }).ok, false);
 * ```
 *
 * @param tool A tool definition from a `tools/list` result.
 * @returns The headers to send for the tool, or why the tool is invalid.
 */
export function toolHeaderPlan(tool: unknown): ToolHeaderPlan {
  const schema = isRecord(tool) ? tool.inputSchema : undefined;
  if (!isRecord(schema)) return { ok: true, params: [] };
  const params: HeaderParam[] = [];
  const seen = new Map<string, string>();

  const visit = (node: Record<string, unknown>, path: string[]): string | undefined => {
    if (Object.hasOwn(node, X_MCP_HEADER)) {
      const header = node[X_MCP_HEADER];
      if (path.length === 0) return "The x-mcp-header annotation is on the schema root, not on a property";
      if (typeof header !== "string") {
        return `The x-mcp-header of ${where(path)} is not a string: ${JSON.stringify(header)}`;
      }
      if (header === "") return `The x-mcp-header of ${where(path)} is empty`;
      if (!TOKEN.test(header)) {
        return `The x-mcp-header of ${where(path)} is not an RFC 9110 token: ${JSON.stringify(header)}`;
      }
      const type = primitiveType(node.type);
      if (type === undefined) {
        return `The x-mcp-header ${JSON.stringify(header)} is on ${where(path)}, which is not a string, ` +
          `integer or boolean: ${describeType(node.type)}`;
      }
      const lower = header.toLowerCase();
      const earlier = seen.get(lower);
      if (earlier !== undefined) {
        return `The x-mcp-header ${JSON.stringify(header)} of ${
          where(path)
        } repeats another case-insensitively: ` +
          JSON.stringify(earlier);
      }
      seen.set(lower, header);
      params.push({ header, property: path[path.length - 1]!, path, type });
    }
    const properties = node.properties;
    if (isRecord(properties)) {
      for (const [name, child] of Object.entries(properties)) {
        if (!isRecord(child)) continue;
        const fault = visit(child, [...path, name]);
        if (fault !== undefined) return fault;
      }
    }
    for (const [label, child] of otherSubschemas(node)) {
      const trail = path.length === 0 ? label : `${path.join(".")}.${label}`;
      const found = findUnreachable(child, trail);
      if (found !== undefined) {
        return `An x-mcp-header is not reachable through properties alone: ${found}`;
      }
    }
    return undefined;
  };

  const fault = visit(schema, []);
  return fault === undefined ? { ok: true, params } : { ok: false, reason: fault };
}

/**
 * Removes the tools with invalid `x-mcp-header` annotations from a `tools/list` result, as a Streamable
 * HTTP client must; every other tool stays, untouched and in order. Entries that are not objects or have no
 * string name are kept as they are (they are not this check's business) but get no plan.
 *
 * @example Usage
 * ```ts
 * import { filterToolsResult } from "./x_mcp_header.ts";
 * import assert from "node:assert/strict";
 *
 * const good = { name: "good", inputSchema: { type: "object", properties: { r: { type: "string", "x-mcp-header": "R" } } } };
 * const bad = { name: "bad", inputSchema: { type: "object", properties: { r: { type: "string", "x-mcp-header": "" } } } };
 * const { result, removed, plans } = filterToolsResult({ tools: [bad, good], nextCursor: "c" });
 * assert.deepEqual(result, { tools: [good], nextCursor: "c" });
 * assert.equal(removed[0]?.name, "bad");
 * assert.equal(plans.get("good")?.params[0]?.header, "R");
 * ```
 *
 * @param result The `result` of a `tools/list` response.
 * @returns The filtered result (a new object when `tools` is an array), the removed tools and the plans.
 */
export function filterToolsResult<T extends { tools?: unknown[] }>(result: T): FilteredTools<T> {
  const removed: { name: string; reason: string }[] = [];
  const plans = new Map<string, { ok: true; params: HeaderParam[] }>();
  if (!Array.isArray(result.tools)) return { result, removed, plans };
  const kept: unknown[] = [];
  for (const tool of result.tools) {
    const name = isRecord(tool) && typeof tool.name === "string" ? tool.name : undefined;
    const plan = toolHeaderPlan(tool);
    if (!plan.ok) {
      removed.push({ name: name ?? "", reason: plan.reason });
      continue;
    }
    kept.push(tool);
    if (name !== undefined) plans.set(name, plan);
  }
  return { result: { ...result, tools: kept }, removed, plans };
}

function valueAt(args: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = args;
  for (const key of path) {
    if (!isRecord(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function asText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isFinite(value)) {
    // Integers beyond ±(2^53−1) have no exact decimal form here (and String() would switch to exponent
    // notation past 1e21), so they get no header rather than a wrong one.
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
    return String(value);
  }
  return undefined;
}

/**
 * Builds the `Mcp-Param-<Name>` headers of one `tools/call` from the tool's plan and the call's
 * `arguments`: the value at each annotated property's path, strings as they are, numbers in decimal,
 * booleans as `true`/`false`, then encoded with `encodeHeaderValue`. A header is left out when the value is
 * absent or `null`, and also when it is an object, an array, or an integer outside the safe range (the
 * server then rejects the call; its own argument validation would too).
 *
 * @example Usage
 * ```ts
 * import { paramHeaders, toolHeaderPlan } from "./x_mcp_header.ts";
 * import assert from "node:assert/strict";
 *
 * const plan = toolHeaderPlan({
 *   name: "t",
 *   inputSchema: {
 *     type: "object",
 *     properties: {
 *       region: { type: "string", "x-mcp-header": "Region" },
 *       limit: { type: "integer", "x-mcp-header": "Limit" },
 *       dry: { type: "boolean", "x-mcp-header": "Dry" },
 *     },
 *   },
 * });
 * assert.ok(plan.ok);
 * assert.deepEqual(paramHeaders(plan, { region: "Zürich", limit: 42, dry: null }), [
 *   ["Mcp-Param-Region", "=?base64?WsO8cmljaA==?="],
 *   ["Mcp-Param-Limit", "42"],
 * ]);
 * ```
 *
 * @param plan The tool's plan from {@link toolHeaderPlan} or {@link filterToolsResult} (an invalid plan
 * gives no headers).
 * @param args The call's `arguments`.
 * @returns Header name and value pairs, in schema order.
 */
export function paramHeaders(
  plan: ToolHeaderPlan | { params: readonly HeaderParam[] },
  args: Record<string, unknown> | undefined,
): [string, string][] {
  if (!("params" in plan) || !isRecord(args)) return [];
  const headers: [string, string][] = [];
  for (const param of plan.params) {
    const value = valueAt(args, param.path);
    if (value === undefined || value === null) continue;
    const text = asText(value);
    if (text === undefined) continue;
    headers.push([`${PARAM_HEADER_PREFIX}${param.header}`, encodeHeaderValue(text)]);
  }
  return headers;
}
