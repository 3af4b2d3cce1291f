import assert from "node:assert/strict";
import {
  buildAuthorizationUrl,
  validateAuthorizationResponse,
} from "../../src/auth/authorization_request.ts";
import { AuthError } from "../../src/auth/errors.ts";

const BASE = {
  endpoint: "https://auth.example/authorize",
  clientId: "client-1",
  redirectUri: "http://127.0.0.1:33418/callback",
  state: "state-1",
  codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
};

Deno.test("buildAuthorizationUrl() sets the code flow parameters with PKCE S256", () => {
  const url = buildAuthorizationUrl(BASE);
  assert.equal(url.origin + url.pathname, "https://auth.example/authorize");
  assert.deepEqual([...url.searchParams], [
    ["response_type", "code"],
    ["client_id", "client-1"],
    ["redirect_uri", "http://127.0.0.1:33418/callback"],
    ["state", "state-1"],
    ["code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
    ["code_challenge_method", "S256"],
  ]);
});

Deno.test("buildAuthorizationUrl() adds scope and resource when given", () => {
  const url = buildAuthorizationUrl({ ...BASE, scope: "a b", resource: "https://mcp.example/mcp" });
  assert.equal(url.searchParams.get("scope"), "a b");
  assert.equal(url.searchParams.get("resource"), "https://mcp.example/mcp");
  assert.match(url.href, /scope=a\+b/);
  assert.match(url.href, /resource=https%3A%2F%2Fmcp\.example%2Fmcp/);
});

Deno.test("buildAuthorizationUrl() omits scope and resource when not given or empty", () => {
  const url = buildAuthorizationUrl({ ...BASE, scope: " " });
  assert.equal(url.searchParams.has("scope"), false);
  assert.equal(url.searchParams.has("resource"), false);
});

Deno.test("buildAuthorizationUrl() keeps the endpoint's query but not its values for our parameters", () => {
  const url = buildAuthorizationUrl({
    ...BASE,
    endpoint: "https://auth.example/authorize?tenant=t1&client_id=other&scope=x#frag",
  });
  assert.equal(url.searchParams.get("tenant"), "t1");
  assert.deepEqual(url.searchParams.getAll("client_id"), ["client-1"]);
  assert.equal(url.searchParams.has("scope"), false);
  assert.equal(url.hash, "");
});

Deno.test("buildAuthorizationUrl() appends extra parameters, a later one replacing an earlier", () => {
  const url = buildAuthorizationUrl({
    ...BASE,
    scope: "a",
    extraParams: [["prompt", "login"], ["audience", "x"], ["prompt", "consent"]],
  });
  assert.deepEqual(url.searchParams.getAll("prompt"), ["consent"]);
  assert.equal(url.searchParams.get("audience"), "x");
  assert.equal(url.searchParams.get("scope"), "a");
});

Deno.test("buildAuthorizationUrl() refuses extra parameters it sets itself, naming them", () => {
  for (
    const name of [
      "client_id",
      "redirect_uri",
      "response_type",
      "state",
      "code_challenge",
      "code_challenge_method",
    ]
  ) {
    assert.throws(
      () => buildAuthorizationUrl({ ...BASE, extraParams: [["prompt", "x"], [name, "v"]] }),
      (error: unknown) => error instanceof AuthError && error.message.includes(`"${name}"`),
      name,
    );
  }
});

Deno.test("buildAuthorizationUrl() refuses an extra resource with a hint to use --resource", () => {
  assert.throws(
    () => buildAuthorizationUrl({ ...BASE, extraParams: [["resource", "https://x"]] }),
    (error: unknown) =>
      error instanceof AuthError && error.message.includes('"resource"') &&
      error.message.includes("--resource"),
  );
});

Deno.test("buildAuthorizationUrl() refuses an endpoint that is not an http(s) URL", () => {
  for (
    const endpoint of [
      "javascript:alert(1)",
      "file:///etc/passwd",
      "data:text/html,x",
      "not a url",
      "/authorize",
    ]
  ) {
    assert.throws(
      () => buildAuthorizationUrl({ ...BASE, endpoint }),
      (error: unknown) => error instanceof AuthError && error.message.includes(`"${endpoint}"`),
      endpoint,
    );
  }
});

const ISSUER = "https://auth.example";
const EXPECTED = { state: "state-1", issuer: ISSUER, issParameterSupported: true };

function response(query: Record<string, string>): URLSearchParams {
  return new URLSearchParams(query);
}

function rejects(
  params: URLSearchParams,
  expected: typeof EXPECTED,
  check: (error: AuthError) => boolean,
): void {
  assert.throws(
    () => validateAuthorizationResponse(params, expected),
    (error: unknown) => error instanceof AuthError && check(error),
    params.toString(),
  );
}

Deno.test("validateAuthorizationResponse() returns the code when state and iss match", () => {
  assert.equal(
    validateAuthorizationResponse(response({ code: "c1", state: "state-1", iss: ISSUER }), EXPECTED),
    "c1",
  );
});

Deno.test("validateAuthorizationResponse() refuses a mismatched or missing state", () => {
  rejects(
    response({ code: "c1", state: "state-2", iss: ISSUER }),
    EXPECTED,
    (e) => e.message.includes("state"),
  );
  rejects(
    response({ code: "c1", state: "STATE-1", iss: ISSUER }),
    EXPECTED,
    (e) => e.message.includes("state"),
  );
  rejects(response({ code: "c1", iss: ISSUER }), EXPECTED, (e) => e.message.includes("no state"));
});

Deno.test("validateAuthorizationResponse() refuses a state mismatch before showing an error", () => {
  rejects(
    response({ error: "access_denied", error_description: "secret text", state: "other" }),
    EXPECTED,
    (e) => !e.message.includes("secret text") && e.oauthError === undefined,
  );
});

Deno.test("validateAuthorizationResponse() compares iss without any normalisation", () => {
  for (
    const iss of [
      "https://auth.example/",
      "HTTPS://auth.example",
      "https://AUTH.example",
      "https://auth.example:443",
      "https://auth.%65xample",
      "https://evil.example",
      "",
    ]
  ) {
    for (const issParameterSupported of [true, false]) {
      rejects(
        response({ code: "c1", state: "state-1", iss }),
        { ...EXPECTED, issParameterSupported },
        (e) => e.message.includes("issuer") && e.message.includes(`"${ISSUER}"`),
      );
    }
  }
});

Deno.test("validateAuthorizationResponse() refuses a missing iss when the AS advertises it", () => {
  rejects(
    response({ code: "c1", state: "state-1" }),
    EXPECTED,
    (e) =>
      e.message.includes("no iss") && e.message.includes("authorization_response_iss_parameter_supported"),
  );
});

Deno.test("validateAuthorizationResponse() proceeds without iss when the AS does not advertise it", () => {
  assert.equal(
    validateAuthorizationResponse(response({ code: "c1", state: "state-1" }), {
      ...EXPECTED,
      issParameterSupported: false,
    }),
    "c1",
  );
});

Deno.test("validateAuthorizationResponse() accepts a correct iss the AS did not advertise", () => {
  assert.equal(
    validateAuthorizationResponse(response({ code: "c1", state: "state-1", iss: ISSUER }), {
      ...EXPECTED,
      issParameterSupported: false,
    }),
    "c1",
  );
});

Deno.test("validateAuthorizationResponse() never shows or uses the error on an iss mismatch", () => {
  rejects(
    response({
      error: "access_denied",
      error_description: "Visit evil.example to fix",
      error_uri: "https://evil.example/help",
      state: "state-1",
      iss: "https://evil.example",
    }),
    EXPECTED,
    (e) =>
      e.oauthError === undefined && !e.message.includes("access_denied") && !e.message.includes("Visit") &&
      !e.message.includes("/help"),
  );
});

Deno.test("validateAuthorizationResponse() reports an error with its code and description", () => {
  rejects(
    response({
      error: "access_denied",
      error_description: "The user said no",
      state: "state-1",
      iss: ISSUER,
    }),
    EXPECTED,
    (e) =>
      e.oauthError === "access_denied" && e.message.includes("access_denied") &&
      e.message.includes("The user said no") && e.message.includes(ISSUER),
  );
  rejects(
    response({ error: "server_error", state: "state-1", iss: ISSUER }),
    EXPECTED,
    (e) => e.oauthError === "server_error" && e.message.endsWith("server_error"),
  );
});

Deno.test("validateAuthorizationResponse() strips control characters from a shown description", () => {
  rejects(
    response({ error: "x", error_description: "line1\nline2\u001b[31m", state: "state-1", iss: ISSUER }),
    EXPECTED,
    (e) =>
      !e.message.includes("\n") && !e.message.includes("\u001b") && e.message.includes("line1?line2?[31m"),
  );
});

Deno.test("validateAuthorizationResponse() refuses a response without a code", () => {
  rejects(response({ state: "state-1", iss: ISSUER }), EXPECTED, (e) => e.message.includes("no code"));
  rejects(
    response({ code: "", state: "state-1", iss: ISSUER }),
    EXPECTED,
    (e) => e.message.includes("no code"),
  );
});

Deno.test("validateAuthorizationResponse() refuses a repeated parameter", () => {
  for (
    const query of [
      "code=a&code=b&state=state-1&iss=https%3A%2F%2Fauth.example",
      "code=a&state=state-1&state=state-1&iss=https%3A%2F%2Fauth.example",
      "code=a&state=state-1&iss=https%3A%2F%2Fauth.example&iss=https%3A%2F%2Fauth.example",
    ]
  ) {
    rejects(new URLSearchParams(query), EXPECTED, (e) => e.message.includes("more than once"));
  }
});
