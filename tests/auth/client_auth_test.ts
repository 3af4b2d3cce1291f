import assert from "node:assert/strict";
import {
  applyClientAuthentication,
  chooseRegistrationMethod,
  chooseSecretMethod,
  CLIENT_AUTH_METHODS,
} from "../../src/auth/client_auth.ts";
import type { ClientInfo } from "../../src/auth/types.ts";

function request() {
  return {
    body: new URLSearchParams(),
    headers: new Headers(),
    what: "token endpoint",
    url: new URL("https://as.example/token"),
    issuer: "https://as.example",
    now: Date.now(),
  };
}

Deno.test("client_secret_basic: both parts form-encoded before Basic (RFC 6749 §2.3.1), nothing in the body", async () => {
  const r = request();
  await applyClientAuthentication({ client_id: "a b:c", client_secret: "p&w=é", source: "static" }, r);
  const decoded = new TextDecoder().decode(
    Uint8Array.from(atob(r.headers.get("authorization")!.slice(6)), (c) => c.charCodeAt(0)),
  );
  assert.equal(decoded, "a+b%3Ac:p%26w%3D%C3%A9");
  assert.equal([...r.body].length, 0);
});

Deno.test("client_secret_post and none put the client in the body; a missing secret or unknown method is refused", async () => {
  const post = request();
  await applyClientAuthentication(
    { client_id: "app", client_secret: "s", token_endpoint_auth_method: "client_secret_post", source: "dcr" },
    post,
  );
  assert.deepEqual(Object.fromEntries(post.body), { client_id: "app", client_secret: "s" });
  assert.equal(post.headers.get("authorization"), null);
  const none = request();
  await applyClientAuthentication(
    { client_id: "app", source: "cimd", token_endpoint_auth_method: "none" },
    none,
  );
  assert.deepEqual(Object.fromEntries(none.body), { client_id: "app" });
  const noSecret: ClientInfo = {
    client_id: "app",
    token_endpoint_auth_method: "client_secret_basic",
    source: "dcr",
  };
  await assert.rejects(
    applyClientAuthentication(noSecret, request()),
    /client_secret_basic needs a client secret/,
  );
  await assert.rejects(
    applyClientAuthentication(
      { client_id: "app", token_endpoint_auth_method: "toString", source: "dcr" },
      request(),
    ),
    /unsupported token_endpoint_auth_method "toString"/,
  );
  assert.ok(!Object.hasOwn(CLIENT_AUTH_METHODS, "toString"));
});

Deno.test("chooseRegistrationMethod / chooseSecretMethod: public where allowed, Basic before post", () => {
  assert.equal(chooseRegistrationMethod(["client_secret_basic", "none"]), "none");
  assert.equal(
    chooseRegistrationMethod(["client_secret_post", "client_secret_basic"]),
    "client_secret_basic",
  );
  assert.equal(chooseSecretMethod(["private_key_jwt", "client_secret_post"]), "client_secret_post");
  assert.equal(chooseSecretMethod(["private_key_jwt"]), "private_key_jwt");
  assert.equal(chooseSecretMethod([]), "client_secret_basic");
});
