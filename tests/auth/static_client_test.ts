import assert from "node:assert/strict";
import { staticBinding, staticClientInfo } from "../../src/auth/static_client.ts";
import type { ServerRecord } from "../../src/auth/types.ts";

const serverUrl = new URL("https://mcp.example/mcp");
const discovery = (issuer: string, methods?: string[]) => ({
  issuer,
  metadata: { issuer, ...(methods ? { token_endpoint_auth_methods_supported: methods } : {}) },
  legacy: false,
});

Deno.test("staticClientInfo: the secret is refused for an issuer other than the one it is bound to", () => {
  const record: ServerRecord = {
    version: 1,
    server_url: serverUrl.href,
    static_client: { client_id: "app", issuer: "https://as.example" },
  };
  const staticClient = { client_id: "app", client_secret: "s3cret" };
  const ok = staticClientInfo({
    staticClient,
    tokenEndpointGiven: false,
    serverUrl,
    discovery: discovery("https://as.example"),
    record,
  });
  assert.equal(ok.client_secret, "s3cret");
  assert.throws(
    () =>
      staticClientInfo({
        staticClient,
        tokenEndpointGiven: false,
        serverUrl,
        discovery: discovery("https://evil.example"),
        record,
      }),
    /Refusing to send the client secret of --static-oauth-client-info to https:\/\/evil.example: it belongs to https:\/\/as.example/,
  );
  // With --token-endpoint the user named where the secret goes: no binding applies.
  staticClientInfo({
    staticClient,
    tokenEndpointGiven: true,
    serverUrl,
    discovery: discovery("https://evil.example"),
    record,
  });
});

Deno.test("staticClientInfo: the method is the user's, else none without a secret, else from the metadata", () => {
  const base = { tokenEndpointGiven: false, serverUrl, record: undefined };
  assert.equal(
    staticClientInfo({
      ...base,
      staticClient: { client_id: "a" },
      discovery: discovery("https://as.example"),
    }).token_endpoint_auth_method,
    "none",
  );
  assert.equal(
    staticClientInfo({
      ...base,
      staticClient: { client_id: "a", client_secret: "s" },
      discovery: discovery("https://as.example", ["client_secret_post"]),
    })
      .token_endpoint_auth_method,
    "client_secret_post",
  );
  assert.equal(
    staticClientInfo({
      ...base,
      staticClient: { client_id: "a", client_secret: "s", token_endpoint_auth_method: "client_secret_basic" },
      discovery: discovery("https://as.example", ["client_secret_post"]),
    }).token_endpoint_auth_method,
    "client_secret_basic",
  );
});

Deno.test("staticBinding: a record from before bindings binds to the issuer of tokens stored without a client", () => {
  const old: ServerRecord = {
    version: 1,
    server_url: serverUrl.href,
    issuer: "https://as.example",
    tokens: { access_token: "a", token_type: "Bearer", obtained_at: 0 },
  };
  assert.deepEqual(staticBinding({ client_id: "app" }, old), {
    client_id: "app",
    issuer: "https://as.example",
  });
  assert.equal(
    staticBinding({ client_id: "app" }, { ...old, client: { client_id: "x", source: "dcr" } }),
    undefined,
  );
});
