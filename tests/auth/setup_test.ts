import assert from "node:assert/strict";
import { parseEnterpriseIdp, parseStaticClientInfo } from "../../src/auth/setup.ts";

Deno.test("parseStaticClientInfo: private_key as PEM from ${VAR} (newlines kept), as a JWK, with its algorithm", () => {
  const pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";
  Deno.env.set("MCP_BRIDGE_TEST_KEY", pem);
  try {
    const parsed = parseStaticClientInfo(
      JSON.stringify({
        client_id: "app",
        private_key: "${MCP_BRIDGE_TEST_KEY}",
        token_endpoint_auth_signing_alg: "ES256",
      }),
    );
    assert.equal(parsed.private_key, pem);
    assert.equal(parsed.signing_alg, "ES256");
  } finally {
    Deno.env.delete("MCP_BRIDGE_TEST_KEY");
  }
  const jwk = parseStaticClientInfo(JSON.stringify({ client_id: "app", private_key: { kty: "EC", d: "x" } }));
  assert.deepEqual(jwk.private_key, { kty: "EC", d: "x" });
  assert.throws(
    () => parseStaticClientInfo(JSON.stringify({ client_id: "app", private_key: 42 })),
    /private_key is a PEM text, a JWK object or @file/,
  );
  assert.throws(
    () =>
      parseStaticClientInfo(JSON.stringify({ client_id: "app", client_secret: "${MCP_BRIDGE_TEST_UNSET}" })),
    /Cannot expand "\$\{MCP_BRIDGE_TEST_UNSET\}" in --static-oauth-client-info client_secret: environment variable MCP_BRIDGE_TEST_UNSET is not set/,
  );
});

Deno.test("parseEnterpriseIdp: the ID token from a file or a value; every required member named when missing", () => {
  const idp = parseEnterpriseIdp(
    JSON.stringify({
      token_endpoint: "https://idp.example.com/token",
      client_id: "bridge",
      id_token: "@/run/sso/id_token",
      issuer: "https://idp.example.com",
    }),
  );
  assert.deepEqual(idp, {
    tokenEndpoint: "https://idp.example.com/token",
    clientId: "bridge",
    idToken: { file: "/run/sso/id_token" },
    issuer: "https://idp.example.com",
  });
  const inline = parseEnterpriseIdp(
    JSON.stringify({ token_endpoint: "https://idp.example.com/token", client_id: "b", id_token: "a.b.c" }),
  );
  assert.deepEqual(inline.idToken, { value: "a.b.c" });
  assert.throws(
    () =>
      parseEnterpriseIdp(JSON.stringify({ token_endpoint: "https://idp.example.com/token", client_id: "b" })),
    /Cannot use --enterprise-idp: it needs "id_token"/,
  );
  assert.throws(
    () => parseEnterpriseIdp(JSON.stringify({ token_endpoint: "not a url", client_id: "b", id_token: "x" })),
    /token_endpoint "not a url" is not a URL/,
  );
});

Deno.test("parseEnterpriseIdp: with the issuer alone, the user signs in at the identity provider in the browser", () => {
  assert.deepEqual(
    parseEnterpriseIdp(JSON.stringify({ issuer: "https://sso.example.com", client_id: "b" })),
    {
      clientId: "b",
      issuer: "https://sso.example.com",
    },
  );
  assert.throws(
    () => parseEnterpriseIdp(JSON.stringify({ client_id: "b" })),
    /Cannot use --enterprise-idp: it needs "token_endpoint"/,
  );
  assert.throws(
    () => parseEnterpriseIdp(JSON.stringify({ issuer: "sso.example.com", client_id: "b" })),
    /issuer "sso.example.com" is not a URL/,
  );
});
