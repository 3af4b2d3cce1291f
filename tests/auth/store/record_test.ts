import assert from "node:assert/strict";
import { isServerRecord, recordSecrets } from "../../../src/auth/store/record.ts";

Deno.test("isServerRecord: the static client binding is a client id and an issuer", () => {
  const base = { version: 1, server_url: "https://mcp.example/mcp", issuer: "https://as.example" };
  assert.equal(isServerRecord(base), true);
  assert.equal(
    isServerRecord({ ...base, static_client: { client_id: "abc", issuer: "https://as.example" } }),
    true,
  );
  for (
    const bad of [{ client_id: "abc" }, { issuer: "https://as.example" }, "abc", null, {
      client_id: 1,
      issuer: "x",
    }]
  ) {
    assert.equal(isServerRecord({ ...base, static_client: bad }), false, JSON.stringify(bad));
  }
});

Deno.test("isServerRecord and recordSecrets: the session at an enterprise identity provider", () => {
  const idp = {
    issuer: "https://sso.example.com",
    client_id: "b",
    tokens: {
      access_token: "idp-at",
      token_type: "Bearer",
      id_token: "idp-id",
      refresh_token: "idp-rt",
      obtained_at: 0,
    },
  };
  const record = { version: 1 as const, server_url: "https://mcp.example.com/mcp", idp };
  assert.equal(isServerRecord(record), true);
  assert.equal(isServerRecord({ ...record, idp: { ...idp, tokens: { id_token: "x" } } }), false);
  assert.equal(isServerRecord({ ...record, idp: { ...idp, issuer: 7 } }), false);
  assert.deepEqual(recordSecrets(record), ["idp-at", "idp-rt", "idp-id"]);
});
