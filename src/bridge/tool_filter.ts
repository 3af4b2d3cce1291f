/**
 * `--ignore-tool` and `--include-tool`: case-insensitive `*` globs that hide tools from the host.
 * Pure.
 *
 * @module
 */

/**
 * Compiles a glob where `*` matches any run of characters; everything else is literal. Anchored and
 * case-insensitive.
 *
 * @example Usage
 * ```ts
 * import { globToRegExp } from "./tool_filter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(globToRegExp("delete_*").test("DELETE_file"), true);
 * assert.equal(globToRegExp("a.b").test("axb"), false);
 * ```
 *
 * @param glob The pattern.
 * @returns The regular expression.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "i");
}

/** Decides which tools the host may see and call. */
export class ToolFilter {
  #ignore: [string, RegExp][];
  #include: [string, RegExp][];

  /**
   * Creates a filter.
   *
   * @example Usage
   * ```ts
   * import { ToolFilter } from "./tool_filter.ts";
   * import assert from "node:assert/strict";
   *
   * const filter = new ToolFilter(["*delete*"], []);
   * assert.equal(filter.blockReason("delete_repo") !== undefined, true);
   * assert.equal(filter.blockReason("list_repos"), undefined);
   * ```
   *
   * @param ignore `--ignore-tool` globs: matching tools are hidden.
   * @param include `--include-tool` globs: when any is given, only matching tools pass.
   */
  constructor(ignore: readonly string[], include: readonly string[]) {
    this.#ignore = ignore.map((g) => [g, globToRegExp(g)]);
    this.#include = include.map((g) => [g, globToRegExp(g)]);
  }

  /** Whether any filter is set (when not, `tools/list` passes untouched). */
  get active(): boolean {
    return this.#ignore.length > 0 || this.#include.length > 0;
  }

  /**
   * Why a tool is hidden, or `undefined` when it passes.
   *
   * @param name The tool name.
   * @returns A reason naming the flag and glob.
   */
  blockReason(name: string): string | undefined {
    const ignored = this.#ignore.find(([, re]) => re.test(name));
    if (ignored) return `it matches --ignore-tool "${ignored[0]}"`;
    if (this.#include.length > 0 && !this.#include.some(([, re]) => re.test(name))) {
      return "it matches no --include-tool pattern";
    }
    return undefined;
  }

  /**
   * Removes hidden tools from the text of a `tools/list` response. Text that is not a list result
   * (an error, unexpected JSON) is returned unchanged.
   *
   * @example Usage
   * ```ts
   * import { ToolFilter } from "./tool_filter.ts";
   * import assert from "node:assert/strict";
   *
   * const text = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "a" }, { name: "b" }] } });
   * const out = JSON.parse(new ToolFilter(["b"], []).filterListResponse(text));
   * assert.deepEqual(out.result.tools, [{ name: "a" }]);
   * ```
   *
   * @param text The response text.
   * @returns The filtered response text.
   */
  filterListResponse(text: string): string {
    let value: { result?: { tools?: unknown } } | null;
    try {
      value = JSON.parse(text);
    } catch {
      return text;
    }
    const tools = value?.result?.tools;
    if (!Array.isArray(tools)) return text;
    const kept = tools.filter((tool) =>
      typeof tool?.name !== "string" || this.blockReason(tool.name) === undefined
    );
    // Nothing hidden: forward the server's text untouched.
    if (kept.length === tools.length) return text;
    value!.result!.tools = kept;
    return JSON.stringify(value);
  }
}
