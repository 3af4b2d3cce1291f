import assert from "node:assert/strict";
import { isSecretName, redact, Redactor, secretForms } from "../../src/log/redact.ts";

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

// --- Rule 3 (issue 7): what the redactor used to miss. ---

for (
  const name of [
    "X-Api-Key",
    "api-key",
    "x-auth-token",
    "X-Access-Token",
    "Private-Token",
    "x-goog-api-key",
    "Ocp-Apim-Subscription-Key",
    "DPoP",
    "Proxy-Authorization",
    "X-Amz-Security-Token",
  ]
) {
  Deno.test(`redact() removes the value of a ${name} header in text and in JSON`, () => {
    assert.equal(redact(`sent ${name}: v4lue-123 to it`, []), `sent ${name}: [redacted] to it`);
    assert.equal(redact(`${name}: v4lue-123`, []), `${name}: [redacted]`);
    assert.equal(
      redact(`{"${name.toLowerCase()}":"v4lue-123","accept":"*/*"}`, []),
      `{"${name.toLowerCase()}":"[redacted]","accept":"*/*"}`,
    );
    assert.equal(redact(`{"${name}": ["v4lue-123"]}`, []), `{"${name}": ["[redacted]"]}`);
  });
}

Deno.test("redact() removes a scheme and credential after a secret header name", () => {
  assert.equal(redact("X-Api-Key: Key abc123 rest", []), "X-Api-Key: [redacted] rest");
});

for (
  const name of [
    "access_token",
    "token",
    "api_key",
    "apikey",
    "key",
    "code",
    "client_secret",
    "refresh_token",
    "id_token",
    "password",
    "secret",
    "sig",
    "signature",
    "code_verifier",
    "assertion",
    "client_assertion",
    "subject_token",
    "device_code",
    "registration_access_token",
    "X-Amz-Signature",
  ]
) {
  Deno.test(`redact() removes the ${name} query or form parameter`, () => {
    assert.equal(
      redact(`GET https://h.example/p?a=1&${name}=s3cr%2Fet&b=2`, []),
      `GET https://h.example/p?a=1&${name}=[redacted]&b=2`,
    );
    assert.equal(redact(`${name}=s3cret&grant_type=x`, []), `${name}=[redacted]&grant_type=x`);
    assert.equal(
      redact(`https://h.example/cb#${name}=s3cret`, []),
      `https://h.example/cb#${name}=[redacted]`,
    );
  });
}

Deno.test("redact() keeps state: it is not a secret and helps to debug a sign-in", () => {
  assert.equal(redact("/cb?state=abc&code=xyz", []), "/cb?state=abc&code=[redacted]");
});

Deno.test("redact() keeps code and key in prose, outside a query", () => {
  const text = "The process exited with code=1 and key=value pairs are fine";
  assert.equal(redact(text, []), text);
});

Deno.test("redact() finds a secret parameter in a percent-encoded URL inside another URL", () => {
  assert.equal(
    redact("/login?next=https%3A%2F%2Fx.example%2Fcb%3Faccess_token%3Dabc123%26x%3D1", []),
    "/login?next=https%3A%2F%2Fx.example%2Fcb%3Faccess_token%3D[redacted]%26x%3D1",
  );
});

for (
  const name of [
    "accessToken",
    "refreshToken",
    "idToken",
    "clientSecret",
    "apiKey",
    "access-token",
    "client-secret",
    "x-api-key",
    "registrationAccessToken",
    "codeVerifier",
    "password",
    "token",
    "secret",
  ]
) {
  Deno.test(`redact() removes the JSON member ${name}`, () => {
    assert.equal(redact(`{"${name}":"v4l/ue","n":1}`, []), `{"${name}":"[redacted]","n":1}`);
    assert.equal(redact(`{'${name}': 'v4l/ue'}`, []), `{'${name}': '[redacted]'}`);
  });

  Deno.test(`redact() removes the JSON member ${name} inside escaped JSON`, () => {
    assert.equal(
      redact(`{"error":"{\\"${name}\\":\\"v4l/ue\\",\\"n\\":1}"}`, []),
      `{"error":"{\\"${name}\\":\\"[redacted]\\",\\"n\\":1}"}`,
    );
    assert.equal(
      redact(`"{\\\\\\"${name}\\\\\\":\\\\\\"v4lue\\\\\\"}"`, []),
      `"{\\\\\\"${name}\\\\\\":\\\\\\"[redacted]\\\\\\"}"`,
    );
  });
}

Deno.test("redact() removes a whole JSON string value, escaped quotes and spaces included", () => {
  assert.equal(
    redact('{"password":"correct \\"horse\\" battery","user":"me"}', []),
    '{"password":"[redacted]","user":"me"}',
  );
});

Deno.test("redact() keeps JSON members whose names only look like secrets", () => {
  const text =
    '{"token_type":"Bearer","tokenEndpoint":"https://as/token","max_tokens":5,"code":"rate_limited","key":"k"}';
  assert.equal(redact(text, []), text);
});

Deno.test("redact() keeps numbers, null and objects of secret-named members", () => {
  const text = '{"code": -32000, "token": null, "auth": {"type": "oauth"}}';
  assert.equal(redact(text, []), text);
});

Deno.test("redact() removes credentials in URLs", () => {
  assert.equal(redact("GET https://user:pass@host.example/x", []), "GET https://[redacted]@host.example/x");
  assert.equal(redact("see https://ghp_token@github.com/", []), "see https://[redacted]@github.com/");
  assert.equal(redact('"https:\\/\\/u:p@h.example\\/"', []), '"https:\\/\\/[redacted]@h.example\\/"');
  assert.equal(redact("mail me at someone@example.com", []), "mail me at someone@example.com");
});

Deno.test("redact() removes JSON Web Tokens anywhere", () => {
  assert.equal(
    redact("got eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJl back", []),
    "got [redacted] back",
  );
});

Deno.test("redact() removes a registered secret in all its encodings", () => {
  const secret = 'p@ss/w"rd+1 ~';
  const texts = [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    new URLSearchParams({ v: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1),
  ];
  for (const text of texts) {
    const out = redact(`before ${text} after`, [secret]);
    assert.equal(out, "before [redacted] after", text);
  }
});

Deno.test("redact() removes the credential of a header value with a scheme, and Basic's parts", () => {
  const basic = `Basic ${btoa("alice:wonderland-42")}`;
  assert.equal(redact("the server saw t0k3n-abc", ["Token t0k3n-abc"]), "the server saw [redacted]");
  assert.equal(redact("user alice:wonderland-42", [basic]), "user [redacted]");
  assert.equal(redact("password wonderland-42", [basic]), "password [redacted]");
});

Deno.test("redact() keeps prose readable", () => {
  for (
    const text of [
      "Cannot reach 127.0.0.1:9 for authorization: add --allow-net=127.0.0.1:9",
      "Cannot refresh the token: the server said invalid_grant",
      "The secret: it is stored in the config dir",
      'Cannot parse header "X-Foo": missing ":"',
      "The server at 127.0.0.1:8 answered HTTP 500 Internal Server Error for /mcp: try again later",
    ]
  ) assert.equal(redact(text, []), text);
});

Deno.test("redact() removes secret-named values at the start of a line", () => {
  assert.equal(
    redact("first\nAuthorization: sk-live-123\ntoken: abc", []),
    "first\nAuthorization: [redacted]\ntoken: [redacted]",
  );
  assert.equal(redact("a\\nauthorization: xyz", []), "a\\nauthorization: [redacted]");
});

Deno.test("Redactor matches every registered secret in one pass, longest first", () => {
  const redactor = new Redactor();
  redactor.add("abcd");
  redactor.add("abcdefgh");
  assert.equal(redactor.redact("x abcdefgh y abcd"), "x [redacted] y [redacted]");
  assert.equal(redactor.redact("[redacted]"), "[redacted]");
});

Deno.test("isSecretName() decides by the last word of any naming style", () => {
  for (
    const name of ["accessToken", "ACCESS_TOKEN", "x-api-key", "APIKey", "client-secret", "DPoP", "Cookie"]
  ) {
    assert.equal(isSecretName(name), true, name);
  }
  for (const name of ["token_type", "tokenEndpoint", "code", "key", "error_code", "max_tokens", "state"]) {
    assert.equal(isSecretName(name), false, name);
  }
});

Deno.test("secretForms() ignores nothing it can encode and starts with the secret", () => {
  const forms = secretForms("a b/c");
  assert.equal(forms[0], "a b/c");
  assert.ok(forms.includes("a%20b%2Fc"));
  assert.ok(forms.includes("a+b%2Fc"));
  assert.ok(forms.includes("a b\\/c"));
});

Deno.test("redact() is fast enough for log lines", () => {
  const redactor = new Redactor();
  for (let i = 0; i < 50; i++) redactor.add(`secret-value-${i}-${"x".repeat(20)}`);
  const line = `The server at 127.0.0.1:8 answered HTTP 500 (the body starts "${"lorem ipsum ".repeat(10)}")`;
  const start = performance.now();
  for (let i = 0; i < 2000; i++) redactor.redact(line);
  const perLine = (performance.now() - start) / 2000;
  assert.ok(perLine < 0.5, `${perLine} ms per line`);
});

Deno.test("redact() keeps a sign-in URL and a device verification URL usable", () => {
  const signIn = "Open https://as.example/authorize?response_type=code&client_id=abc&code_challenge=E9Mel" +
    "&code_challenge_method=S256&redirect_uri=http%3A%2F%2Flocalhost%3A3334%2Foauth%2Fcallback&state=xyz" +
    "&resource=https%3A%2F%2Fmcp.example%2Fmcp&scope=mcp%3Aread to sign in";
  assert.equal(redact(signIn, []), signIn);
  const device = "Visit https://as.example/device?user_code=ABCD-EFGH and enter ABCD-EFGH";
  assert.equal(redact(device, []), device);
});

Deno.test("redact() does not redact values shorter than 4 characters, except by their name", () => {
  // A 1–3 character value would erase ordinary text ("1", "on", "eu"); a secret that short is no secret.
  assert.equal(redact("region eu, tier 42", ["eu", "42"]), "region eu, tier 42");
  assert.equal(redact("sent X-Api-Key: abc", ["abc"]), "sent X-Api-Key: [redacted]");
  assert.equal(redact('{"x-api-key":"abc"}', ["abc"]), '{"x-api-key":"[redacted]"}');
});

Deno.test("redact() stays fast on hostile input (no quadratic backtracking)", () => {
  const redactor = new Redactor();
  redactor.add("some-secret-value");
  for (
    const text of [
      "\\".repeat(50_000),
      '"a":"'.repeat(10_000),
      "?a=".repeat(15_000),
      "x-api-key: ".repeat(5_000),
      '"token":"' + "a".repeat(50_000),
    ]
  ) {
    const start = performance.now();
    redactor.redact(text);
    const ms = performance.now() - start;
    assert.ok(ms < 200, `${ms} ms for ${text.slice(0, 12)}…`);
  }
});

Deno.test("OAuth error codes are not secret names: the description after them stays", () => {
  const text = "invalid_token: The access token is invalid";
  assert.equal(redact(text, []), text);
  assert.equal(isSecretName("expired_token"), false);
  assert.equal(isSecretName("refresh_token"), true);
});
