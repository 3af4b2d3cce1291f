/**
 * Which `scope` to request (MCP § Scope Selection Strategy, § Step-Up Authorization Flow, and the
 * 2026-07-28 § Refresh Tokens rule for `offline_access`).
 *
 * @module
 */

/** The scope tokens of a space-separated scope string, without empty ones or repeats, in order. */
function tokens(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return unique(scope.split(/\s+/));
}

function unique(list: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const item of list) if (item !== "") seen.add(item);
  return [...seen];
}

/**
 * The union of two space-separated scope strings: the tokens of `a`, then those of `b` not already
 * there; no repeats; `undefined` when there is none.
 *
 * @example Usage
 * ```ts
 * import { scopeUnion } from "./scopes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(scopeUnion("read write", "write admin"), "read write admin");
 * assert.equal(scopeUnion(undefined, " "), undefined);
 * ```
 *
 * @param a The first scope string.
 * @param b The second scope string.
 * @returns The union, space-separated.
 */
export function scopeUnion(a?: string, b?: string): string | undefined {
  const union = unique([...tokens(a), ...tokens(b)]);
  return union.length === 0 ? undefined : union.join(" ");
}

/**
 * Selects the `scope` of an authorization request:
 * 1. the challenge's `scope` (authoritative: used as is, whatever `scopes_supported` says);
 * 2. else every scope in the Protected Resource Metadata `scopes_supported`;
 * 3. else none: the `scope` parameter is omitted (never sent empty).
 *
 * On step-up (a 403 `insufficient_scope`), the result is the union of the scopes previously
 * requested and the selection above. `offline_access` is appended only when the authorization
 * server's `scopes_supported` lists it and some scope is being requested; when none is, it is the
 * whole request only with `wantRefreshToken` (the last sign-in brought no refresh token: the 2026-07-28
 * § Refresh Tokens guidance). Order is kept, repeats dropped.
 *
 * @example Usage
 * ```ts
 * import { selectScopes } from "./scopes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(selectScopes({ challengeScope: "mcp:basic", prmScopesSupported: ["a", "b"] }), "mcp:basic");
 * assert.equal(selectScopes({ prmScopesSupported: ["a", "b"], asScopesSupported: ["offline_access"] }), "a b offline_access");
 * assert.equal(selectScopes({}), undefined);
 * assert.equal(selectScopes({ asScopesSupported: ["offline_access"], wantRefreshToken: true }), "offline_access");
 * assert.equal(selectScopes({ challengeScope: "write", previouslyRequested: "read", stepUp: true }), "read write");
 * ```
 *
 * @param options What the challenge, the metadata and the previous request said.
 * @returns The space-separated scope, or `undefined` to omit the parameter.
 */
export function selectScopes(options: {
  challengeScope?: string;
  prmScopesSupported?: string[];
  asScopesSupported?: string[];
  previouslyRequested?: string;
  stepUp?: boolean;
  wantRefreshToken?: boolean;
}): string | undefined {
  let selected = tokens(options.challengeScope);
  if (selected.length === 0) selected = unique(options.prmScopesSupported ?? []);
  if (options.stepUp) selected = tokens(scopeUnion(options.previouslyRequested, selected.join(" ")));
  if (selected.length === 0) {
    // No scope to ask for, but the last sign-in brought no refresh token: ask for one where it is offered.
    return options.wantRefreshToken && options.asScopesSupported?.includes("offline_access")
      ? "offline_access"
      : undefined;
  }
  if (options.asScopesSupported?.includes("offline_access") && !selected.includes("offline_access")) {
    selected.push("offline_access");
  }
  return selected.join(" ");
}
