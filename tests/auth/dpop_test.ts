/**
 * DPoP (RFC 9449) end to end: the real CLI, oidc-provider (DPoP on, nonces required at the token
 * endpoint) and a protected MCP server that takes DPoP-bound tokens only and requires its own nonce.
 * Proofs are checked by the servers (signature, `htm`, `htu`, `ath`, the token's `cnf.jkt`, replay,
 * nonce); the tests check what the bridge did with them.
 */

import assert from "node:assert/strict";
import { connectHost } from "../_fixtures/bridge_host.ts";
import { BROWSER, onlyRecord, signInPermissions, sleep, withOAuthWorld } from "../_fixtures/oauth_cli.ts";

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

async function thumbprint(jwk: JsonWebKey): Promise<string> {
  const { calculateJwkThumbprint } = await import("jose");
  return await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! });
}

Deno.test("DPoP: sign-in, nonces at both servers, a fresh proof per request, the key stored with the tokens", async () => {
  await withOAuthWorld(
    { as: { dpopRequireNonce: true }, mcp: { dpop: { requireNonce: true } } },
    async (world) => {
      const host = await connectHost(world.mcp.url, {
        args: ["--config-dir", world.dir, "--debug"],
        permissions: signInPermissions(world.dir),
        env: { BROWSER },
      });
      let stderr = "";
      try {
        for (let i = 0; i < 3; i++) {
          assert.equal(
            text(await host.client.callTool({ name: "echo", arguments: { text: `d${i}` } })),
            `d${i}`,
          );
        }
      } finally {
        stderr = host.stderr();
        await host.close();
      }
      const counters = world.mcp.counters;
      assert.ok(counters.valid >= 4, `requests accepted with a valid proof: ${JSON.stringify(counters)}`);
      assert.ok(counters.dpopNonceChallenges >= 1, "the MCP server's nonce was asked for and then used");
      assert.equal(new Set(counters.dpopJtis).size, counters.dpopJtis.length, "a proof was used twice");
      // The token endpoint asked for its nonce once (the first proof had none), then took the proof.
      assert.deepEqual(world.as.counters.tokenErrors, { authorization_code: { use_dpop_nonce: 1 } });
      assert.ok((world.as.counters.tokenRequests.authorization_code ?? 0) >= 2);
      const { path, record } = await onlyRecord(world.dir);
      assert.equal(record.tokens?.token_type, "DPoP");
      const key = record.dpop_key!;
      assert.ok(key && typeof key.d === "string", "the private key is stored with the tokens");
      assert.equal(
        claimsOf(record.tokens!.access_token).cnf &&
          (claimsOf(record.tokens!.access_token).cnf as { jkt: string }).jkt,
        await thumbprint(key),
      );
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.ok(!stderr.includes(key.d!), "the private DPoP key reached stderr");
    },
  );
});

Deno.test("DPoP: a refresh in a new process proves the stored key, and the new token is bound to it", async () => {
  await withOAuthWorld(
    { as: { dpopRequireNonce: true, accessTokenTtl: 2 }, mcp: { dpop: { requireNonce: true } } },
    async (world) => {
      const first = await connectHost(world.mcp.url, {
        args: ["--config-dir", world.dir],
        permissions: signInPermissions(world.dir),
        env: { BROWSER },
      });
      try {
        assert.equal(text(await first.client.callTool({ name: "echo", arguments: { text: "a" } })), "a");
      } finally {
        await first.close();
      }
      const before = (await onlyRecord(world.dir)).record;
      await sleep(2500);
      const second = await connectHost(world.mcp.url, {
        args: ["--config-dir", world.dir],
        permissions: { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
      });
      try {
        assert.equal(text(await second.client.callTool({ name: "echo", arguments: { text: "b" } })), "b");
      } finally {
        await second.close();
      }
      assert.ok((world.as.counters.tokenRequests.refresh_token ?? 0) >= 1, "the second process refreshed");
      assert.equal(world.as.counters.authorizations, 1, "no second sign-in");
      const after = (await onlyRecord(world.dir)).record;
      assert.notEqual(after.tokens!.access_token, before.tokens!.access_token);
      assert.deepEqual(after.dpop_key, before.dpop_key, "the key is kept for the refreshed tokens");
      const jkt = (claimsOf(after.tokens!.access_token).cnf as { jkt: string }).jkt;
      assert.equal(jkt, await thumbprint(after.dpop_key!));
    },
  );
});

Deno.test("DPoP is not used when the MCP server does not ask for it, though the authorization server offers it", async () => {
  await withOAuthWorld({}, async (world) => {
    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    try {
      assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "b" } })), "b");
    } finally {
      await host.close();
    }
    const metadata = await (await fetch(`${world.as.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.ok(metadata.dpop_signing_alg_values_supported?.includes("ES256"), "the AS offers DPoP");
    const { record } = await onlyRecord(world.dir);
    assert.equal(record.tokens?.token_type, "Bearer", "a Bearer-only MCP server must get a Bearer token");
    assert.equal(record.dpop_key, undefined);
  });
});

Deno.test("DPoP: two bridges started at once sign in once and both present the one stored key", async () => {
  await withOAuthWorld(
    { as: { dpopRequireNonce: true }, mcp: { dpop: { requireNonce: true } } },
    async (world) => {
      const start = () =>
        connectHost(world.mcp.url, {
          args: ["--config-dir", world.dir],
          permissions: signInPermissions(world.dir),
          env: { BROWSER },
        });
      const hosts = await Promise.all([start(), start()]);
      try {
        const results = await Promise.all(
          hosts.map((host, i) => host.client.callTool({ name: "echo", arguments: { text: `h${i}` } })),
        );
        assert.deepEqual(results.map(text), ["h0", "h1"]);
      } finally {
        await Promise.all(hosts.map((host) => host.close()));
      }
      assert.equal(world.as.counters.authorizations, 1, "one sign-in for both");
      const { record } = await onlyRecord(world.dir);
      assert.equal(record.tokens?.token_type, "DPoP");
      assert.equal(new Set(world.mcp.counters.dpopJtis).size, world.mcp.counters.dpopJtis.length);
    },
  );
});
