import assert from "node:assert/strict";
import {
  authServerMetadataUrls,
  legacyAuthorizationBase,
  legacyDefaultEndpoints,
  protectedResourceMetadataUrls,
} from "../../src/auth/discovery_urls.ts";
import { AuthError } from "../../src/auth/errors.ts";

function prm(url: string): string[] {
  return protectedResourceMetadataUrls(new URL(url)).map(String);
}

Deno.test("protectedResourceMetadataUrls() tries the path-inserted URL, then the root", () => {
  assert.deepEqual(prm("https://h.example/mcp"), [
    "https://h.example/.well-known/oauth-protected-resource/mcp",
    "https://h.example/.well-known/oauth-protected-resource",
  ]);
  assert.deepEqual(prm("https://h.example/a/b/mcp"), [
    "https://h.example/.well-known/oauth-protected-resource/a/b/mcp",
    "https://h.example/.well-known/oauth-protected-resource",
  ]);
});

Deno.test("protectedResourceMetadataUrls() drops a trailing slash, the query and the fragment", () => {
  assert.deepEqual(prm("https://h.example/mcp/?session=1#x"), [
    "https://h.example/.well-known/oauth-protected-resource/mcp",
    "https://h.example/.well-known/oauth-protected-resource",
  ]);
});

Deno.test("protectedResourceMetadataUrls() gives only the root URL for a root path", () => {
  assert.deepEqual(prm("https://h.example"), ["https://h.example/.well-known/oauth-protected-resource"]);
  assert.deepEqual(prm("https://h.example/"), ["https://h.example/.well-known/oauth-protected-resource"]);
  assert.deepEqual(prm("https://h.example/?q=1"), ["https://h.example/.well-known/oauth-protected-resource"]);
});

Deno.test("protectedResourceMetadataUrls() keeps the port and drops user info", () => {
  assert.deepEqual(prm("http://user:pw@127.0.0.1:8080/mcp"), [
    "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp",
    "http://127.0.0.1:8080/.well-known/oauth-protected-resource",
  ]);
});

Deno.test("protectedResourceMetadataUrls() keeps percent-encoding in the path", () => {
  assert.deepEqual(prm("https://h.example/a%20b/mcp"), [
    "https://h.example/.well-known/oauth-protected-resource/a%20b/mcp",
    "https://h.example/.well-known/oauth-protected-resource",
  ]);
});

Deno.test("authServerMetadataUrls() tries three URLs for an issuer with a path", () => {
  assert.deepEqual(authServerMetadataUrls("https://auth.example/tenant1").map(String), [
    "https://auth.example/.well-known/oauth-authorization-server/tenant1",
    "https://auth.example/.well-known/openid-configuration/tenant1",
    "https://auth.example/tenant1/.well-known/openid-configuration",
  ]);
  assert.deepEqual(authServerMetadataUrls("https://auth.example:9443/a/b/").map(String), [
    "https://auth.example:9443/.well-known/oauth-authorization-server/a/b",
    "https://auth.example:9443/.well-known/openid-configuration/a/b",
    "https://auth.example:9443/a/b/.well-known/openid-configuration",
  ]);
});

Deno.test("authServerMetadataUrls() tries two URLs for an issuer without a path", () => {
  const expected = [
    "https://auth.example/.well-known/oauth-authorization-server",
    "https://auth.example/.well-known/openid-configuration",
  ];
  assert.deepEqual(authServerMetadataUrls("https://auth.example").map(String), expected);
  assert.deepEqual(authServerMetadataUrls("https://auth.example/").map(String), expected);
});

Deno.test("authServerMetadataUrls() refuses an issuer that is not a URL, naming it", () => {
  assert.throws(
    () => authServerMetadataUrls("auth.example"),
    (error: unknown) => error instanceof AuthError && error.message.includes('"auth.example"'),
  );
});

Deno.test("legacyAuthorizationBase() discards the path, query and fragment", () => {
  assert.equal(legacyAuthorizationBase(new URL("https://h.example/v1/mcp?x=1#f")).href, "https://h.example/");
  assert.equal(legacyAuthorizationBase(new URL("http://127.0.0.1:3000/mcp")).href, "http://127.0.0.1:3000/");
});

Deno.test("legacyDefaultEndpoints() puts /authorize, /token and /register at the origin", () => {
  assert.deepEqual(legacyDefaultEndpoints(new URL("http://127.0.0.1:3000/some/path/mcp?x=1")), {
    authorization_endpoint: "http://127.0.0.1:3000/authorize",
    token_endpoint: "http://127.0.0.1:3000/token",
    registration_endpoint: "http://127.0.0.1:3000/register",
  });
});
