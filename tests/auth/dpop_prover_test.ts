import assert from "node:assert/strict";
import * as jose from "jose";
import { DpopProver, htu } from "../../src/auth/dpop.ts";

Deno.test("DpopProver: a proof is a dpop+jwt signed by the key in its header, with htm, htu, iat, a fresh jti", async () => {
  const { prover, jwk } = await DpopProver.generate(() => 1_800_000_000_000);
  const url = new URL("https://mcp.example.com/mcp?session=1#x");
  const a = await prover.proof({ method: "post", url });
  const b = await prover.proof({ method: "post", url });
  const { payload, protectedHeader } = await jose.jwtVerify(a, jose.EmbeddedJWK, {
    typ: "dpop+jwt",
    currentDate: new Date(1_800_000_000_000),
  });
  assert.equal(protectedHeader.alg, "ES256");
  assert.equal(
    (protectedHeader.jwk as Record<string, unknown>).d,
    undefined,
    "the private part went into the header",
  );
  assert.equal(protectedHeader.jwk?.x, jwk.x);
  assert.equal(payload.htm, "POST");
  assert.equal(payload.htu, "https://mcp.example.com/mcp", "htu keeps neither query nor fragment");
  assert.equal(payload.iat, 1_800_000_000);
  assert.equal(payload.ath, undefined);
  assert.notEqual(jose.decodeJwt(b).jti, payload.jti, "two proofs share a jti");
});

Deno.test("DpopProver: ath is the token's SHA-256; a server's nonce goes into later proofs to that origin only", async () => {
  const { prover } = await DpopProver.generate();
  const mcp = new URL("https://mcp.example.com/mcp");
  const as = new URL("https://as.example.com/token");
  prover.rememberNonce(mcp, "n-1");
  prover.rememberNonce(as, null);
  assert.equal(prover.hasNonce(mcp), true);
  assert.equal(prover.hasNonce(as), false);
  const proof = jose.decodeJwt(await prover.proof({ method: "GET", url: mcp, accessToken: "at" }));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("at")));
  assert.equal(proof.ath, jose.base64url.encode(digest));
  assert.equal(proof.nonce, "n-1");
  assert.equal(jose.decodeJwt(await prover.proof({ method: "POST", url: as })).nonce, undefined);
});

Deno.test("DpopProver.fromJwk: a stored key signs again (same thumbprint); a public or foreign key is refused", async () => {
  const { jwk } = await DpopProver.generate();
  const again = await DpopProver.fromJwk(jwk);
  const header = jose.decodeProtectedHeader(
    await again.proof({ method: "POST", url: new URL("https://a.example/t") }),
  );
  assert.equal(
    await jose.calculateJwkThumbprint(header.jwk!),
    await jose.calculateJwkThumbprint({ kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! }),
  );
  const { d: _, ...publicOnly } = jwk;
  await assert.rejects(DpopProver.fromJwk(publicOnly), /not a private P-256 key/);
  assert.equal(htu(new URL("https://x.example:8443/a/b?c=d")), "https://x.example:8443/a/b");
});
