import assert from "node:assert/strict";
import { canonicalResourceUri, chooseResource, prmResourceMatches } from "../../src/auth/resource.ts";
import { AuthError } from "../../src/auth/errors.ts";

Deno.test("canonicalResourceUri() lower-cases scheme and host and keeps the path case", () => {
  assert.equal(
    canonicalResourceUri(new URL("HTTPS://MCP.Example.COM/Server/MCP")),
    "https://mcp.example.com/Server/MCP",
  );
});

Deno.test("canonicalResourceUri() drops the fragment and user info", () => {
  assert.equal(
    canonicalResourceUri(new URL("https://u:p@mcp.example.com/mcp#frag")),
    "https://mcp.example.com/mcp",
  );
});

Deno.test("canonicalResourceUri() adds no trailing slash and keeps one given", () => {
  assert.equal(canonicalResourceUri(new URL("https://mcp.example.com")), "https://mcp.example.com");
  assert.equal(canonicalResourceUri(new URL("https://mcp.example.com/")), "https://mcp.example.com");
  assert.equal(canonicalResourceUri(new URL("https://mcp.example.com/mcp")), "https://mcp.example.com/mcp");
  assert.equal(canonicalResourceUri(new URL("https://mcp.example.com/mcp/")), "https://mcp.example.com/mcp/");
});

Deno.test("canonicalResourceUri() keeps a non-default port and the query", () => {
  assert.equal(
    canonicalResourceUri(new URL("https://mcp.example.com:8443/mcp?t=1")),
    "https://mcp.example.com:8443/mcp?t=1",
  );
  assert.equal(
    canonicalResourceUri(new URL("https://mcp.example.com:443/mcp")),
    "https://mcp.example.com/mcp",
  );
});

Deno.test("prmResourceMatches() accepts the same URL and a parent at a / boundary", () => {
  const server = new URL("https://mcp.example.com/v1/mcp");
  assert.equal(prmResourceMatches("https://mcp.example.com/v1/mcp", server), true);
  assert.equal(prmResourceMatches("https://mcp.example.com/v1/", server), true);
  assert.equal(prmResourceMatches("https://mcp.example.com/v1", server), true);
  assert.equal(prmResourceMatches("https://mcp.example.com/", server), true);
  assert.equal(prmResourceMatches("https://mcp.example.com", server), true);
  assert.equal(prmResourceMatches("HTTPS://MCP.EXAMPLE.COM/v1/mcp", server), true);
});

Deno.test("prmResourceMatches() ignores a trailing slash on either side", () => {
  assert.equal(
    prmResourceMatches("https://mcp.example.com/mcp/", new URL("https://mcp.example.com/mcp")),
    true,
  );
  assert.equal(
    prmResourceMatches("https://mcp.example.com/mcp", new URL("https://mcp.example.com/mcp/")),
    true,
  );
});

Deno.test("prmResourceMatches() refuses another origin", () => {
  const server = new URL("https://mcp.example.com/mcp");
  assert.equal(prmResourceMatches("https://evil.example.com/mcp", server), false);
  assert.equal(prmResourceMatches("http://mcp.example.com/mcp", server), false);
  assert.equal(prmResourceMatches("https://mcp.example.com:8443/mcp", server), false);
  assert.equal(prmResourceMatches("https://sub.mcp.example.com/mcp", server), false);
});

Deno.test("prmResourceMatches() refuses a sibling, a child and a partial segment", () => {
  const server = new URL("https://mcp.example.com/v1/mcp");
  assert.equal(prmResourceMatches("https://mcp.example.com/v1/mc", server), false);
  assert.equal(prmResourceMatches("https://mcp.example.com/v", server), false);
  assert.equal(prmResourceMatches("https://mcp.example.com/v2/mcp", server), false);
  assert.equal(prmResourceMatches("https://mcp.example.com/v1/mcp/child", server), false);
  assert.equal(prmResourceMatches("https://mcp.example.com/V1/mcp", server), false);
});

Deno.test("prmResourceMatches() refuses an unparsable resource and user info", () => {
  const server = new URL("https://mcp.example.com/mcp");
  assert.equal(prmResourceMatches("", server), false);
  assert.equal(prmResourceMatches("/mcp", server), false);
  assert.equal(prmResourceMatches("mcp.example.com/mcp", server), false);
  assert.equal(prmResourceMatches("https://user@mcp.example.com/mcp", server), false);
});

Deno.test("chooseResource() omits the parameter when disabled", () => {
  const serverUrl = new URL("https://mcp.example.com/mcp");
  assert.equal(
    chooseResource({ serverUrl, override: null, prmResource: "https://mcp.example.com/mcp" }),
    undefined,
  );
  assert.equal(chooseResource({ serverUrl, override: "" }), undefined);
});

Deno.test("chooseResource() prefers the override, as written", () => {
  const serverUrl = new URL("https://mcp.example.com/mcp");
  assert.equal(
    chooseResource({
      serverUrl,
      override: "https://Other.example/X/",
      prmResource: "https://mcp.example.com/mcp",
    }),
    "https://Other.example/X/",
  );
  assert.equal(chooseResource({ serverUrl, override: "urn:example:mcp" }), "urn:example:mcp");
});

Deno.test("chooseResource() refuses an override that is not an absolute URI", () => {
  const serverUrl = new URL("https://mcp.example.com/mcp");
  for (const override of ["mcp.example.com/mcp", "/mcp", "://x", "1http://x"]) {
    assert.throws(
      () => chooseResource({ serverUrl, override }),
      (error: unknown) =>
        error instanceof AuthError && error.message.includes(`--resource "${override}"`) &&
        error.message.includes("absolute URI"),
      override,
    );
  }
});

Deno.test("chooseResource() refuses an override with a fragment", () => {
  assert.throws(
    () => chooseResource({ serverUrl: new URL("https://mcp.example.com/mcp"), override: "https://h/mcp#x" }),
    (error: unknown) => error instanceof AuthError && error.message.includes("fragment"),
  );
});

Deno.test("chooseResource() uses the PRM resource byte-exact", () => {
  const serverUrl = new URL("https://mcp.example.com/mcp");
  assert.equal(
    chooseResource({ serverUrl, prmResource: "https://mcp.example.com" }),
    "https://mcp.example.com",
  );
  assert.equal(
    chooseResource({ serverUrl, prmResource: "https://mcp.example.com/" }),
    "https://mcp.example.com/",
  );
  assert.equal(
    chooseResource({ serverUrl, prmResource: "HTTPS://MCP.example.com/mcp" }),
    "HTTPS://MCP.example.com/mcp",
  );
});

Deno.test("chooseResource() falls back to the canonical server URI", () => {
  assert.equal(
    chooseResource({ serverUrl: new URL("HTTPS://MCP.example.com/mcp#x") }),
    "https://mcp.example.com/mcp",
  );
  assert.equal(
    chooseResource({ serverUrl: new URL("https://mcp.example.com/"), prmResource: "" }),
    "https://mcp.example.com",
  );
});
