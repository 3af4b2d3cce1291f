import assert from "node:assert/strict";
import { redact } from "../../src/log/redact.ts";

Deno.test("redact() removes exact secret values wherever they appear", () => {
  assert.equal(redact("key abc123 and again abc123.", ["abc123"]), "key [redacted] and again [redacted].");
});

Deno.test("redact() removes several secrets", () => {
  assert.equal(redact("x=s3cr3t y=t0k3n", ["s3cr3t", "t0k3n"]), "x=[redacted] y=[redacted]");
});

Deno.test("redact() treats secrets with regex metacharacters literally", () => {
  assert.equal(redact("v=a.b*c$& w=aXbbc", ["a.b*c$&"]), "v=[redacted] w=aXbbc");
});

Deno.test("redact() ignores secrets shorter than 4 characters", () => {
  assert.equal(redact("the abc is here", ["abc", ""]), "the abc is here");
  assert.equal(redact("the abcd is here", ["abcd"]), "the [redacted] is here");
});

Deno.test("redact() accepts any iterable of secrets", () => {
  assert.equal(redact("hunter22", new Set(["hunter22"])), "[redacted]");
});

Deno.test({
  name: "redact() removes a secret completely when a shorter secret is part of it",
  fn() {
    assert.equal(redact("key=abcdef", ["abcd", "abcdef"]), "key=[redacted]");
  },
});

Deno.test("redact() removes Bearer and DPoP tokens anywhere in text", () => {
  assert.equal(
    redact("sent Bearer eyJhbGciOi.JIUzI1-NiJ9_x~y+z/w== to server", []),
    "sent Bearer [redacted] to server",
  );
  assert.equal(redact("DPoP abc.def", []), "DPoP [redacted]");
});

Deno.test("redact() removes Authorization header values, whatever the scheme and case", () => {
  assert.equal(redact("Authorization: Bearer xyz", []), "Authorization: [redacted]");
  assert.equal(redact("authorization: Basic dXNlcjpwYXNz", []), "authorization: [redacted]");
  assert.equal(redact("AUTHORIZATION=Token abc", []), "AUTHORIZATION=[redacted]");
  assert.equal(redact("Proxy-Authorization: Basic Zm9v", []), "Proxy-Authorization: [redacted]");
});

Deno.test("redact() removes Authorization members of JSON and keeps the rest", () => {
  assert.equal(
    redact('{"Authorization":"Basic dXNlcjpwYXNz","accept":"application/json"}', []),
    '{"Authorization":"[redacted]","accept":"application/json"}',
  );
  assert.equal(redact("{'authorization': 'ApiKey k1'}", []), "{'authorization': '[redacted]'}");
});

Deno.test("redact() removes Cookie and Set-Cookie header values", () => {
  assert.equal(redact("Cookie: session=abc; theme=dark", []), "Cookie: [redacted]");
  assert.equal(redact("set-cookie: sid=xyz; Path=/; HttpOnly", []), "set-cookie: [redacted]");
});

Deno.test("redact() stops a header value at the end of its line", () => {
  assert.equal(redact("Authorization: Basic x\nAccept: */*", []), "Authorization: [redacted]\nAccept: */*");
});

for (
  const name of ["access_token", "refresh_token", "id_token", "client_secret", "code_verifier", "device_code"]
) {
  Deno.test(`redact() removes ${name} as a JSON member`, () => {
    assert.equal(
      redact(`{"${name}":"v4lue-1.2","token_type":"Bearer"}`, []),
      `{"${name}":"[redacted]","token_type":"Bearer"}`,
    );
    assert.equal(redact(`{"${name}": "v4lue", "x": 1}`, []), `{"${name}": "[redacted]", "x": 1}`);
  });

  Deno.test(`redact() removes ${name} as a form or query parameter`, () => {
    assert.equal(
      redact(`grant_type=x&${name}=v4lue%2F1&scope=mcp`, []),
      `grant_type=x&${name}=[redacted]&scope=mcp`,
    );
    assert.equal(
      redact(`see https://a.example/cb?${name}=v4lue done`, []),
      `see https://a.example/cb?${name}=[redacted] done`,
    );
  });
}

Deno.test("redact() removes an authorization code from a redirect URL", () => {
  assert.equal(
    redact("GET /callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", []),
    "GET /callback?code=[redacted]&state=xyz",
  );
  assert.equal(
    redact("http://127.0.0.1:3334/cb?state=s&code=abc123 done", []),
    "http://127.0.0.1:3334/cb?state=s&code=[redacted] done",
  );
});

Deno.test("redact() keeps the JSON-RPC error code", () => {
  const text = '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Transport failed"}}';
  assert.equal(redact(text, []), text);
  assert.equal(redact('{"code": 404}', []), '{"code": 404}');
});

Deno.test("redact() keeps ordinary text", () => {
  const text = 'POST /mcp HTTP 200 {"method":"tools/list","params":{"cursor":"c1"}} token_type bearer';
  assert.equal(redact(text, []), text);
});

Deno.test("redact() removes both a known secret and secret-shaped text in one line", () => {
  assert.equal(
    redact("X-Api-Key: k3y-value; Authorization: Bearer t0k", ["k3y-value"]),
    "X-Api-Key: [redacted]; Authorization: [redacted]",
  );
});

Deno.test("redact() keeps prose that merely mentions authorization", () => {
  const text = "Cannot reach 127.0.0.1:9 for authorization: add --allow-net=127.0.0.1:9";
  assert.equal(redact(text, []), text);
  assert.equal(
    redact("The server refused the authorization: access_denied", []),
    "The server refused the authorization: access_denied",
  );
});
