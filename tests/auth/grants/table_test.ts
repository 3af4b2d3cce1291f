import assert from "node:assert/strict";
import { GRANTS } from "../../../src/auth/grants/table.ts";

Deno.test("GRANTS: each grant says how it renews, whether it needs the callback, and what it registers for", () => {
  assert.deepEqual(Object.keys(GRANTS).sort(), [
    "authorization_code",
    "client_credentials",
    "device_code",
    "enterprise_managed",
    "workload_identity",
  ]);
  assert.equal(GRANTS.workload_identity.renewal, "obtain");
  assert.equal(GRANTS.workload_identity.tokenEndpointSuffices, true);
  assert.equal(GRANTS.enterprise_managed.callback, false);
  assert.equal(
    GRANTS.enterprise_managed.tokenEndpointSuffices,
    false,
    "the ID-JAG's audience needs discovery",
  );
  assert.equal(GRANTS.authorization_code.renewal, "refresh");
  assert.equal(GRANTS.authorization_code.callback, true);
  assert.deepEqual(GRANTS.authorization_code.registration.response_types, ["code"]);
  assert.equal(GRANTS.device_code.callback, false);
  assert.ok(
    GRANTS.device_code.registration.grant_types.includes("urn:ietf:params:oauth:grant-type:device_code"),
  );
  assert.equal(GRANTS.client_credentials.renewal, "obtain");
  assert.equal(GRANTS.client_credentials.tokenEndpointSuffices, true);
  assert.equal(GRANTS.authorization_code.tokenEndpointSuffices, false);
});
