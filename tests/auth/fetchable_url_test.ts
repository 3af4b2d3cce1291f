import assert from "node:assert/strict";
import { AuthError } from "../../src/auth/errors.ts";
import { checkServerSuppliedUrl, checkUserGivenUrl } from "../../src/auth/fetchable_url.ts";

const PUBLIC_SERVER = new URL("https://mcp.example.com/mcp");
const LOOPBACK_SERVER = new URL("http://127.0.0.1:8080/mcp");
const PRIVATE_SERVER = new URL("https://10.1.2.3/mcp");

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AuthError, String(error));
    return error.message;
  }
  throw new Error("not refused");
}

Deno.test("checkServerSuppliedUrl: the address rule, whatever --allow-http says", () => {
  const refused: [string, URL, boolean, RegExp][] = [
    [
      "http://169.254.169.254/latest",
      PUBLIC_SERVER,
      true,
      /link-local or cloud metadata address \(169\.254\.169\.254\)/,
    ],
    ["https://[fe80::1]/x", LOOPBACK_SERVER, true, /link-local or cloud metadata address \(\[fe80::1\]\)/],
    ["https://metadata.google.internal/", PUBLIC_SERVER, false, /link-local/],
    [
      "https://10.0.0.1/token",
      PUBLIC_SERVER,
      false,
      /private address \(10\.0\.0\.1\) and the MCP server is not on one/,
    ],
    ["https://10.0.0.1/token", LOOPBACK_SERVER, false, /private address/],
    ["https://127.0.0.1/token", PUBLIC_SERVER, false, /loopback address \(127\.0\.0\.1\)/],
    ["http://as.example.com/token", PUBLIC_SERVER, false, /not https/],
    ["file:///etc/passwd", LOOPBACK_SERVER, true, /the scheme "file:" is not https/],
    ["javascript:alert(1)", PUBLIC_SERVER, true, /the scheme "javascript:" is not https/],
    ["https://u:pw@as.example.com/", PUBLIC_SERVER, false, /carries credentials/],
    ["/relative", PUBLIC_SERVER, false, /not an absolute URL/],
  ];
  for (const [url, server, allowHttp, reason] of refused) {
    const message = refusal(() => checkServerSuppliedUrl(url, server, allowHttp, "token endpoint"));
    assert.match(message, /^Refusing the token endpoint "/, url);
    assert.match(message, reason, url);
    assert.doesNotMatch(message, /pw@/, "credentials are not shown");
  }
  assert.match(refusal(() => checkServerSuppliedUrl(42, PUBLIC_SERVER, false, "issuer")), /not a URL string/);
  const allowed: [string, URL, boolean][] = [
    ["https://as.example.com/token", PUBLIC_SERVER, false],
    ["http://as.example.com/token", PUBLIC_SERVER, true],
    ["http://127.0.0.1:9/token", LOOPBACK_SERVER, false],
    ["http://localhost:9/token", LOOPBACK_SERVER, false],
    ["https://10.9.9.9/token", PRIVATE_SERVER, false],
    ["https://as.example.com/token", LOOPBACK_SERVER, false],
  ];
  for (const [url, server, allowHttp] of allowed) {
    assert.equal(checkServerSuppliedUrl(url, server, allowHttp, "token endpoint").href, new URL(url).href);
  }
});

Deno.test("checkServerSuppliedUrl: the message shows no query and no control characters", () => {
  const message = refusal(() =>
    checkServerSuppliedUrl("http://169.254.169.254/a\u001b[2J?token=secret", PUBLIC_SERVER, true, "x")
  );
  assert.doesNotMatch(message, /secret/);
  assert.ok(!message.includes("\u001b"));
});

Deno.test("checkUserGivenUrl: https, or http on loopback or with --allow-http; no credentials", () => {
  assert.equal(checkUserGivenUrl("https://as.example.com/t", false, "token endpoint").host, "as.example.com");
  assert.equal(checkUserGivenUrl("http://127.0.0.1:9/t", false, "token endpoint").port, "9");
  assert.equal(checkUserGivenUrl("http://10.0.0.5/t", true, "token endpoint").host, "10.0.0.5");
  assert.match(
    refusal(() => checkUserGivenUrl("http://as.example.com/t", false, "token endpoint")),
    /must be https/,
  );
  assert.match(
    refusal(() => checkUserGivenUrl("https://a:b@as.example.com/t", true, "token endpoint")),
    /credentials/,
  );
  assert.match(
    refusal(() => checkUserGivenUrl("ftp://127.0.0.1/t", true, "token endpoint")),
    /must be https/,
  );
});
