import assert from "node:assert/strict";
import { createPkce, requireS256, s256Challenge } from "../../src/auth/pkce.ts";
import { AuthError } from "../../src/auth/errors.ts";

Deno.test("s256Challenge() matches the RFC 7636 Appendix B vector", async () => {
  assert.equal(
    await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
});

Deno.test("s256Challenge() gives unpadded base64url", async () => {
  for (const verifier of ["a".repeat(43), "~._-".repeat(32), "Z".repeat(128)]) {
    assert.match(await s256Challenge(verifier), /^[A-Za-z0-9_-]{43}$/);
  }
});

Deno.test("s256Challenge() refuses a verifier of the wrong length or alphabet", async () => {
  for (
    const verifier of [
      "",
      "a".repeat(42),
      "a".repeat(129),
      "a".repeat(42) + "+",
      "a".repeat(42) + "=",
      "é".repeat(43),
    ]
  ) {
    await assert.rejects(() => s256Challenge(verifier), RangeError, JSON.stringify(verifier));
  }
});

Deno.test("createPkce() gives a 43-character unreserved verifier and its S256 challenge", async () => {
  const pkce = await createPkce();
  assert.equal(pkce.method, "S256");
  assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(pkce.challenge, await s256Challenge(pkce.verifier));
  assert.notEqual(pkce.challenge, pkce.verifier);
});

Deno.test("createPkce() gives a different verifier each time", async () => {
  const verifiers = new Set<string>();
  for (let i = 0; i < 20; i++) verifiers.add((await createPkce()).verifier);
  assert.equal(verifiers.size, 20);
});

Deno.test("requireS256() accepts metadata listing S256", () => {
  requireS256({ issuer: "https://auth.example", code_challenge_methods_supported: ["S256"] });
  requireS256({ issuer: "https://auth.example", code_challenge_methods_supported: ["plain", "S256"] });
});

Deno.test("requireS256() refuses metadata without code_challenge_methods_supported, naming the issuer", () => {
  assert.throws(
    () => requireS256({ issuer: "https://auth.example/tenant" }),
    (error: unknown) =>
      error instanceof AuthError && error.message.includes('"https://auth.example/tenant"') &&
      error.message.includes("does not support PKCE S256") &&
      error.message.includes("no code_challenge_methods_supported"),
  );
});

Deno.test("requireS256() refuses metadata listing only other methods", () => {
  for (const methods of [["plain"], [], ["s256"]]) {
    assert.throws(
      () => requireS256({ issuer: "https://auth.example", code_challenge_methods_supported: methods }),
      (error: unknown) =>
        error instanceof AuthError && error.message.includes("does not support PKCE S256") &&
        error.message.includes(JSON.stringify(methods)),
      JSON.stringify(methods),
    );
  }
});

Deno.test("requireS256() refuses a malformed code_challenge_methods_supported", () => {
  assert.throws(
    () =>
      requireS256({
        issuer: "https://auth.example",
        code_challenge_methods_supported: "S256" as unknown as string[],
      }),
    AuthError,
  );
});
