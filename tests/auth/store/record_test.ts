import assert from "node:assert/strict";
import { isServerRecord } from "../../../src/auth/store/record.ts";

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
