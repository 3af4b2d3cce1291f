import assert from "node:assert/strict";
import { scopeUnion, selectScopes } from "../../src/auth/scopes.ts";

Deno.test("selectScopes() uses the challenge scope, whatever scopes_supported says", () => {
  assert.equal(
    selectScopes({ challengeScope: "mcp:basic", prmScopesSupported: ["mcp:basic", "mcp:admin"] }),
    "mcp:basic",
  );
  assert.equal(selectScopes({ challengeScope: "not:listed", prmScopesSupported: ["a"] }), "not:listed");
});

Deno.test("selectScopes() falls back to every PRM scope", () => {
  assert.equal(selectScopes({ prmScopesSupported: ["a", "b", "c"] }), "a b c");
  assert.equal(selectScopes({ challengeScope: "", prmScopesSupported: ["a", "b"] }), "a b");
  assert.equal(selectScopes({ challengeScope: "   ", prmScopesSupported: ["a"] }), "a");
});

Deno.test("selectScopes() omits the scope when nothing names one", () => {
  assert.equal(selectScopes({}), undefined);
  assert.equal(selectScopes({ prmScopesSupported: [] }), undefined);
  assert.equal(selectScopes({ challengeScope: "", prmScopesSupported: [""] }), undefined);
});

Deno.test("selectScopes() adds offline_access only when the AS lists it and a scope is sent", () => {
  assert.equal(
    selectScopes({ challengeScope: "mcp", asScopesSupported: ["openid", "offline_access"] }),
    "mcp offline_access",
  );
  assert.equal(selectScopes({ challengeScope: "mcp", asScopesSupported: ["openid"] }), "mcp");
  assert.equal(selectScopes({ challengeScope: "mcp" }), "mcp");
  assert.equal(selectScopes({ asScopesSupported: ["offline_access"] }), undefined);
});

Deno.test("selectScopes() does not repeat offline_access", () => {
  assert.equal(
    selectScopes({ challengeScope: "offline_access mcp", asScopesSupported: ["offline_access"] }),
    "offline_access mcp",
  );
});

Deno.test("selectScopes() drops repeated and empty scope tokens, keeping order", () => {
  assert.equal(selectScopes({ challengeScope: "  b a  b\ta " }), "b a");
  assert.equal(selectScopes({ prmScopesSupported: ["b", "a", "b", ""] }), "b a");
});

Deno.test("selectScopes() on step-up requests the union of previous and challenged scopes", () => {
  assert.equal(
    selectScopes({ challengeScope: "files:write", previouslyRequested: "files:read", stepUp: true }),
    "files:read files:write",
  );
  assert.equal(
    selectScopes({ challengeScope: "b c", previouslyRequested: "a b", stepUp: true }),
    "a b c",
  );
});

Deno.test("selectScopes() on step-up keeps offline_access once, at its place", () => {
  assert.equal(
    selectScopes({
      challengeScope: "write",
      previouslyRequested: "read offline_access",
      asScopesSupported: ["offline_access"],
      stepUp: true,
    }),
    "read offline_access write",
  );
});

Deno.test("selectScopes() on step-up without a challenge scope adds the PRM scopes", () => {
  assert.equal(selectScopes({ previouslyRequested: "a", prmScopesSupported: ["b"], stepUp: true }), "a b");
  assert.equal(selectScopes({ previouslyRequested: "a", stepUp: true }), "a");
  assert.equal(selectScopes({ stepUp: true }), undefined);
});

Deno.test("selectScopes() ignores the previous scopes when not stepping up", () => {
  assert.equal(selectScopes({ challengeScope: "write", previouslyRequested: "read" }), "write");
});

Deno.test("scopeUnion() keeps the first string's order and appends new scopes", () => {
  assert.equal(scopeUnion("a b", "c b d"), "a b c d");
  assert.equal(scopeUnion("a", undefined), "a");
  assert.equal(scopeUnion(undefined, "b  a"), "b a");
});

Deno.test("scopeUnion() returns undefined when both are empty", () => {
  assert.equal(scopeUnion(), undefined);
  assert.equal(scopeUnion("", "  "), undefined);
});

Deno.test("selectScopes: with nothing to ask for, offline_access is asked alone only after a sign-in without a refresh token", () => {
  assert.equal(selectScopes({ asScopesSupported: ["offline_access"] }), undefined, "scope stays omitted");
  assert.equal(
    selectScopes({ asScopesSupported: ["offline_access"], wantRefreshToken: true }),
    "offline_access",
  );
  assert.equal(
    selectScopes({ asScopesSupported: ["openid"], wantRefreshToken: true }),
    undefined,
    "not offered",
  );
});
