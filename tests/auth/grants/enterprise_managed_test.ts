/**
 * Enterprise-managed authorization (SEP-990) end to end, with a browser sign-in at the enterprise
 * identity provider: two oidc-provider servers, one the company's IdP (OpenID sign-in, then token
 * exchange to an ID-JAG) and one the MCP server's authorization server (JWT-bearer grant of the ID-JAG),
 * both from src/demo/id_jag.ts. The real CLI signs the user in at the IdP, keeps that session, and uses
 * it again (or refreshes it there) when the access token runs out: one browser sign-in in all.
 */

import assert from "node:assert/strict";
import { connectHost } from "../../_fixtures/bridge_host.ts";
import {
  BROWSER,
  freePort,
  type OAuthWorld,
  onlyRecord,
  signInPermissions,
  sleep,
  withOAuthWorld,
} from "../../_fixtures/oauth_cli.ts";
import {
  type OAuthServer,
  type OAuthServerOptions,
  startOAuthServer,
} from "../../../src/demo/oauth_server.ts";
import {
  acceptIdJags,
  type IdJagIssuer,
  issueIdJags,
  JWT_BEARER_GRANT,
  TOKEN_EXCHANGE_GRANT,
} from "../../../src/demo/id_jag.ts";

const AT_SECRET = `as-secret-${crypto.randomUUID()}`;

interface Enterprise {
  world: OAuthWorld;
  idp: OAuthServer;
  jag: IdJagIssuer;
  /** Runs a bridge, calls `echo`, and returns its stderr. */
  call(): Promise<string>;
}

async function withEnterprise(
  idpOptions: OAuthServerOptions,
  fn: (enterprise: Enterprise) => Promise<void>,
): Promise<void> {
  const port = freePort();
  const idp = await startOAuthServer({
    ...idpOptions,
    clients: [{
      client_id: "bridge-at-idp",
      application_type: "native",
      redirect_uris: [`http://127.0.0.1:${port}/oauth/callback`],
      grant_types: ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }],
  });
  try {
    const jag = await issueIdJags(idp, { clientAtAs: "bridge-at-as" });
    // Access tokens of 3 s: past four fifths of that, the next bridge obtains a new one.
    await withOAuthWorld({
      as: {
        accessTokenTtl: 3,
        clients: [{
          client_id: "bridge-at-as",
          client_secret: AT_SECRET,
          grant_types: [JWT_BEARER_GRANT],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: "client_secret_basic",
        }],
      },
    }, async (world) => {
      acceptIdJags(world.as, idp.issuer, jag.publicJwk);
      const call = async () => {
        const host = await connectHost(world.mcp.url, {
          args: [
            "--config-dir",
            world.dir,
            "--host",
            "127.0.0.1",
            "--callback-port",
            String(port),
            "--enterprise-idp",
            JSON.stringify({ issuer: idp.issuer, client_id: "bridge-at-idp" }),
            "--static-oauth-client-info",
            JSON.stringify({ client_id: "bridge-at-as", client_secret: AT_SECRET }),
            "--auth-timeout",
            "20s",
          ],
          permissions: signInPermissions(world.dir),
          env: { BROWSER },
        });
        try {
          const echo = await host.client.callTool({ name: "echo", arguments: { text: "sso" } });
          assert.deepEqual(echo.content, [{ type: "text", text: "sso" }], host.stderr());
        } finally {
          await host.close();
        }
        return host.stderr();
      };
      await fn({ world, idp, jag, call });
    });
  } finally {
    await idp.close();
  }
}

async function untilAccessTokenRenews(world: OAuthWorld): Promise<void> {
  const { record } = await onlyRecord(world.dir);
  await sleep(Math.max(0, record.tokens!.expires_at! - 600 - Date.now()) + 100);
}

Deno.test("--enterprise-idp with an issuer: browser sign-in at the IdP, ID-JAG, a call; the ID token is used again", async () => {
  await withEnterprise({}, async ({ world, idp, jag, call }) => {
    const stderr = await call();
    assert.equal(idp.counters.authorizations, 1, stderr);
    assert.equal(jag.issued, 1);
    assert.equal(world.as.counters.tokenRequests[JWT_BEARER_GRANT], 1);
    assert.equal(world.as.counters.authorizations, 0, "the MCP server's AS saw a browser");
    assert.match(stderr, new RegExp(`Sign in to 127\\.0\\.0\\.1:${new URL(idp.issuer).port}`));
    const { record } = await onlyRecord(world.dir);
    assert.equal(record.idp?.issuer, idp.issuer);
    assert.ok(record.idp?.tokens.id_token, "the IdP session was not kept");
    assert.equal(record.issuer, world.as.issuer);
    for (const secret of [record.idp!.tokens.id_token!, record.tokens!.access_token, AT_SECRET]) {
      assert.ok(!stderr.includes(secret), "a secret reached stderr");
    }

    // The access token runs out: a new ID-JAG from the stored ID token, no browser, no refresh.
    await untilAccessTokenRenews(world);
    const again = await call();
    assert.equal(idp.counters.authorizations, 1, again);
    assert.equal(idp.counters.tokenRequests.refresh_token ?? 0, 0);
    assert.equal(jag.issued, 2);
    assert.equal(world.as.counters.tokenRequests[JWT_BEARER_GRANT], 2);
  });
});

Deno.test("--enterprise-idp with an issuer: a short-lived ID token is refreshed at the IdP, not signed in again", async () => {
  // ID tokens of 30 s: under the minute of margin, so the stored one is never used again as it is.
  await withEnterprise({ idTokenTtl: 30 }, async ({ world, idp, jag, call }) => {
    await call();
    assert.equal(idp.counters.authorizations, 1);
    const first = (await onlyRecord(world.dir)).record.idp!.tokens.id_token;
    await untilAccessTokenRenews(world);
    const stderr = await call();
    assert.equal(idp.counters.authorizations, 1, `signed in at the IdP again: ${stderr}`);
    assert.equal(idp.counters.tokenRequests.refresh_token, 1, stderr);
    assert.deepEqual(idp.counters.refreshFailures, {});
    assert.equal(jag.issued, 2);
    const { record } = await onlyRecord(world.dir);
    assert.notEqual(record.idp!.tokens.id_token, first, "the refreshed ID token was not stored");
  });
});

Deno.test("--enterprise-idp: an IdP session that ended (refresh refused) leads to a new browser sign-in there", async () => {
  await withEnterprise({ idTokenTtl: 30 }, async ({ world, idp, jag, call }) => {
    await call();
    // The IdP forgets every grant (an administrator ended the user's sessions).
    const { record } = await onlyRecord(world.dir);
    await idp.provider.RefreshToken.adapter.destroy(
      (await idp.provider.RefreshToken.find(record.idp!.tokens.refresh_token!))?.jti ?? "",
    );
    await untilAccessTokenRenews(world);
    const stderr = await call();
    assert.equal(idp.counters.refreshFailures.invalid_grant, 1, stderr);
    assert.equal(idp.counters.authorizations, 2, stderr);
    assert.equal(jag.issued, 2);
  });
});
