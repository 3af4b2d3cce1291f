import assert from "node:assert/strict";
import { bearerChallenge, parseWwwAuthenticate } from "../../src/auth/www_authenticate.ts";

Deno.test("parseWwwAuthenticate() reads a Bearer challenge with quoted params", () => {
  assert.deepEqual(
    parseWwwAuthenticate(
      'Bearer realm="x", error="insufficient_scope", scope="a b", resource_metadata="https://h/.well-known/oauth-protected-resource/mcp"',
    ),
    [{
      scheme: "Bearer",
      params: {
        realm: "x",
        error: "insufficient_scope",
        scope: "a b",
        resource_metadata: "https://h/.well-known/oauth-protected-resource/mcp",
      },
    }],
  );
});

Deno.test("parseWwwAuthenticate() reads several challenges in one header", () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="x", Bearer scope="s"'), [
    { scheme: "Basic", params: { realm: "x" } },
    { scheme: "Bearer", params: { scope: "s" } },
  ]);
  assert.deepEqual(
    parseWwwAuthenticate('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'),
    [
      { scheme: "Newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
      { scheme: "Basic", params: { realm: "simple" } },
    ],
  );
});

Deno.test("parseWwwAuthenticate() reads a scheme without params between others", () => {
  assert.deepEqual(parseWwwAuthenticate("Negotiate, Bearer error=invalid_token"), [
    { scheme: "Negotiate", params: {} },
    { scheme: "Bearer", params: { error: "invalid_token" } },
  ]);
  assert.deepEqual(parseWwwAuthenticate("Bearer"), [{ scheme: "Bearer", params: {} }]);
});

Deno.test("parseWwwAuthenticate() reads token values and whitespace around =", () => {
  assert.deepEqual(parseWwwAuthenticate("Bearer error = invalid_token ,\tscope= read"), [
    { scheme: "Bearer", params: { error: "invalid_token", scope: "read" } },
  ]);
});

Deno.test("parseWwwAuthenticate() lower-cases param names and keeps the scheme as sent", () => {
  assert.deepEqual(parseWwwAuthenticate('BEARER Scope="A", Resource_Metadata="https://h/X"'), [
    { scheme: "BEARER", params: { scope: "A", resource_metadata: "https://h/X" } },
  ]);
});

Deno.test("parseWwwAuthenticate() resolves backslash escapes in quoted strings", () => {
  const [challenge] = parseWwwAuthenticate('Bearer error_description="say \\"hi\\", a\\\\b \\x"');
  assert.equal(challenge.params.error_description, 'say "hi", a\\b x');
});

Deno.test("parseWwwAuthenticate() keeps commas and equals signs inside quoted strings", () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer error_description="a, b=c", scope="s", Basic realm="r"'), [
    { scheme: "Bearer", params: { error_description: "a, b=c", scope: "s" } },
    { scheme: "Basic", params: { realm: "r" } },
  ]);
});

Deno.test("parseWwwAuthenticate() reads token68 credentials", () => {
  assert.deepEqual(parseWwwAuthenticate("Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag=="), [
    { scheme: "Negotiate", params: {}, token68: "YIIBhgYGKwYBBQUCoIIBejCCAXag==" },
  ]);
  assert.deepEqual(parseWwwAuthenticate("Negotiate abc/+-._~, Bearer realm=x"), [
    { scheme: "Negotiate", params: {}, token68: "abc/+-._~" },
    { scheme: "Bearer", params: { realm: "x" } },
  ]);
});

Deno.test("parseWwwAuthenticate() tells a token68 ending in = from an auth-param", () => {
  assert.deepEqual(parseWwwAuthenticate("Foo a="), [{ scheme: "Foo", params: {}, token68: "a=" }]);
  assert.deepEqual(parseWwwAuthenticate("Foo a=b"), [{ scheme: "Foo", params: { a: "b" } }]);
});

Deno.test("parseWwwAuthenticate() skips empty list elements", () => {
  assert.deepEqual(parseWwwAuthenticate(' , ,Basic realm="x" ,, , Bearer ,'), [
    { scheme: "Basic", params: { realm: "x" } },
    { scheme: "Bearer", params: {} },
  ]);
  assert.deepEqual(parseWwwAuthenticate(""), []);
  assert.deepEqual(parseWwwAuthenticate("  ,  "), []);
});

Deno.test("parseWwwAuthenticate() keeps the first of a repeated param name", () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer scope="a", Scope="b"'), [
    { scheme: "Bearer", params: { scope: "a" } },
  ]);
});

Deno.test("parseWwwAuthenticate() reads unquoted URLs leniently", () => {
  assert.deepEqual(
    parseWwwAuthenticate("Bearer resource_metadata=https://h.example/.well-known/oauth-protected-resource"),
    [{
      scheme: "Bearer",
      params: { resource_metadata: "https://h.example/.well-known/oauth-protected-resource" },
    }],
  );
});

Deno.test("parseWwwAuthenticate() tolerates a missing comma between params", () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="x" scope="y"'), [
    { scheme: "Bearer", params: { realm: "x", scope: "y" } },
  ]);
});

Deno.test("parseWwwAuthenticate() never throws on malformed input", () => {
  const inputs = [
    '"',
    "=",
    "==,==",
    'Bearer realm="unterminated',
    'Bearer realm="x\\',
    "Bearer realm=",
    "Bearer =x",
    'Bearer"x"',
    'Bearer "x", Basic realm="r"',
    "\u0000\u0001",
    ",,,,",
    'Bearer realm="a""b"',
    "Bearer __proto__=x, constructor=y",
    "Bearer ".repeat(1000),
  ];
  for (const input of inputs) {
    const challenges = parseWwwAuthenticate(input);
    assert.ok(Array.isArray(challenges), input);
  }
});

Deno.test("parseWwwAuthenticate() recovers what it can from malformed input", () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="unterminated'), [
    { scheme: "Bearer", params: { realm: "unterminated" } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Bearer "x", Basic realm="r"'), [
    { scheme: "Bearer", params: {} },
    { scheme: "Basic", params: { realm: "r" } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('realm="orphan", Bearer scope="s"'), [
    { scheme: "Bearer", params: { scope: "s" } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('=, Bearer scope="s"'), [{
    scheme: "Bearer",
    params: { scope: "s" },
  }]);
});

Deno.test("parseWwwAuthenticate() stores __proto__ as a plain param", () => {
  const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", scope="s"');
  assert.equal(Object.getPrototypeOf(challenge.params), Object.prototype);
  assert.equal(Object.hasOwn(challenge.params, "__proto__"), true);
  assert.equal(challenge.params.scope, "s");
});

Deno.test("bearerChallenge() reads a quoted scope", () => {
  assert.deepEqual(bearerChallenge('Bearer scope="files:read files:write"'), {
    scope: "files:read files:write",
  });
});

Deno.test("bearerChallenge() reads every member of a step-up challenge", () => {
  assert.deepEqual(
    bearerChallenge(
      'Bearer realm="x", error="insufficient_scope", scope="a b", resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", error_description="Need b"',
    ),
    {
      resourceMetadata: "https://h/.well-known/oauth-protected-resource/mcp",
      scope: "a b",
      error: "insufficient_scope",
      errorDescription: "Need b",
    },
  );
});

Deno.test("bearerChallenge() reads a Supabase-style challenge", () => {
  assert.deepEqual(
    bearerChallenge(
      'Bearer error="invalid_request", error_description="No access token was provided in this request", resource_metadata="https://mcp.supabase.com/.well-known/oauth-protected-resource/mcp"',
    ),
    {
      error: "invalid_request",
      errorDescription: "No access token was provided in this request",
      resourceMetadata: "https://mcp.supabase.com/.well-known/oauth-protected-resource/mcp",
    },
  );
});

Deno.test("bearerChallenge() finds Bearer after another challenge, case-insensitively", () => {
  assert.deepEqual(bearerChallenge('Basic realm="x", bearer scope="s"'), { scope: "s" });
  assert.deepEqual(bearerChallenge('Negotiate abc==, BEARER resource_metadata="https://h/prm"'), {
    resourceMetadata: "https://h/prm",
  });
});

Deno.test("bearerChallenge() uses the first Bearer challenge", () => {
  assert.deepEqual(bearerChallenge('Bearer scope="first", Bearer scope="second"'), { scope: "first" });
});

Deno.test("bearerChallenge() returns an empty object for a bare Bearer", () => {
  assert.deepEqual(bearerChallenge("Bearer"), {});
  assert.deepEqual(bearerChallenge('Bearer realm="mcp"'), {});
});

Deno.test("bearerChallenge() keeps an empty scope as sent", () => {
  assert.deepEqual(bearerChallenge('Bearer scope=""'), { scope: "" });
});

Deno.test("bearerChallenge() returns undefined without a Bearer challenge", () => {
  assert.equal(bearerChallenge(null), undefined);
  assert.equal(bearerChallenge(""), undefined);
  assert.equal(bearerChallenge('Basic realm="x"'), undefined);
  assert.equal(bearerChallenge("BearerX scope=s"), undefined);
  assert.equal(bearerChallenge('"Bearer"'), undefined);
});

Deno.test("bearerChallenge() never throws on malformed input", () => {
  for (const input of ['Bearer scope="', "Bearer ,,= =", "Bearer\tscope=\\", "\u0000Bearer"]) {
    const result = bearerChallenge(input);
    assert.ok(result === undefined || typeof result === "object", input);
  }
  assert.deepEqual(bearerChallenge('Bearer scope="unterminated'), { scope: "unterminated" });
});
