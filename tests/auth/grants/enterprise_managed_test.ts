/**
 * Enterprise-managed authorization (SEP-990) end to end, with a browser sign-in at the enterprise
 * identity provider: two oidc-provider servers, one the company's IdP (OpenID sign-in, then token
 * exchange to an ID-JAG) and one the MCP server's authorization server (JWT-bearer grant of the ID-JAG),
 * both from src/demo/id_jag.ts. The real CLI signs the user in at the IdP, keeps that session, and uses
 * it again (or refreshes it there) when the access token runs out: one browser sign-in in all.
 */

import assert from "node:assert/strict";
import { connectHost, HostConnectError } from "../../_fixtures/bridge_host.ts";
import {
  BROWSER,
  freePort,
  type OAuthWorld,
  onlyRecord,
  runCli,
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
  type IdJagAcceptor,
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
  acceptor: IdJagAcceptor;
  /** Runs a bridge (in `dir`, default the world's; with `extra` flags), calls `echo`, and returns its stderr. */
  call(options?: { dir?: string; extra?: string[] }): Promise<string>;
  /** The same, for a call that must fail: its error and the bridge's stderr. */
  fail(options?: { dir?: string; extra?: string[] }): Promise<{ error: string; stderr: string }>;
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
      const acceptor = acceptIdJags(world.as, idp.issuer, jag.publicJwk);
      const launch = (options: { dir?: string; extra?: string[] }) => {
        const dir = options.dir ?? world.dir;
        return connectHost(world.mcp.url, {
          args: [
            "--config-dir",
            dir,
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
            ...(options.extra ?? []),
          ],
          permissions: signInPermissions(dir),
          env: { BROWSER },
        });
      };
      const call = async (options: { dir?: string; extra?: string[] } = {}) => {
        const host = await launch(options);
        try {
          const echo = await host.client.callTool({ name: "echo", arguments: { text: "sso" } });
          assert.deepEqual(echo.content, [{ type: "text", text: "sso" }], host.stderr());
        } finally {
          await host.close();
        }
        return host.stderr();
      };
      const fail = async (options: { dir?: string; extra?: string[] } = {}) => {
        try {
          const host = await launch(options);
          await host.close();
          throw new Error(`the bridge connected:\n${host.stderr()}`);
        } catch (error) {
          if (!(error instanceof HostConnectError)) throw error;
          return { error: error.message, stderr: error.stderr };
        }
      };
      await fn({ world, idp, jag, acceptor, call, fail });
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
    const stderr = await call({ extra: ["--debug"] });
    assert.equal(idp.counters.authorizations, 1, stderr);
    assert.equal(jag.issued, 1);
    assert.equal(world.as.counters.tokenRequests[JWT_BEARER_GRANT], 1);
    assert.equal(world.as.counters.authorizations, 0, "the MCP server's AS saw a browser");
    assert.match(stderr, new RegExp(`Sign in to 127\\.0\\.0\\.1:${new URL(idp.issuer).port}`));
    const { record } = await onlyRecord(world.dir);
    assert.equal(record.idp?.issuer, idp.issuer);
    assert.ok(record.idp?.tokens.id_token, "the IdP session was not kept");
    assert.equal(record.issuer, world.as.issuer);
    const secrets = {
      "the ID token": record.idp!.tokens.id_token!,
      "the IdP's refresh token": record.idp!.tokens.refresh_token!,
      "the IdP's access token": record.idp!.tokens.access_token,
      "the ID-JAG": jag.last!,
      "the access token": record.tokens!.access_token,
      "the client secret": AT_SECRET,
    };
    const debugLog = await Deno.readTextFile(`${world.dir}/logs/debug.log`);
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(secret, `no ${name} to look for`);
      assert.ok(!stderr.includes(secret), `${name} reached stderr`);
      assert.ok(!debugLog.includes(secret), `${name} reached the debug log`);
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

Deno.test("--enterprise-idp: a JWT-bearer refused after a refresh at the IdP: the rotated refresh token was kept, no second sign-in", async () => {
  await withEnterprise({ idTokenTtl: 30 }, async ({ world, idp, jag, acceptor, call }) => {
    await call();
    await untilAccessTokenRenews(world);
    // The MCP server's authorization server refuses once; the bridge signs in again at once, which
    // needs the IdP session again: the refresh token rotated a moment ago, not the spent one.
    acceptor.refuse = 1;
    const stderr = await call();
    assert.deepEqual(idp.counters.refreshFailures, {}, `a spent refresh token was sent: ${stderr}`);
    assert.equal(idp.counters.authorizations, 1, `signed in at the IdP again: ${stderr}`);
    assert.equal(world.as.counters.tokenErrors[JWT_BEARER_GRANT]?.invalid_grant, 1);
    assert.equal(jag.issued, 3);
  });
});

Deno.test("--enterprise-idp: an IdP that answers with the ID token of another sign-in (a replay) is refused for its nonce", async () => {
  const replayed: { idToken?: string } = {};
  const replay = async (ctx: { path: string; body?: Record<string, unknown> }, next: () => Promise<void>) => {
    await next();
    if (replayed.idToken && ctx.path === "/token" && typeof ctx.body?.id_token === "string") {
      ctx.body.id_token = replayed.idToken;
    }
  };
  await withEnterprise({ middleware: replay }, async ({ world, idp, jag, call, fail }) => {
    await call();
    // From now on the IdP's token endpoint answers with that old ID token: signed by it, for this
    // client, unexpired, but from another sign-in.
    replayed.idToken = (await onlyRecord(world.dir)).record.idp!.tokens.id_token!;
    const other = await Deno.makeTempDir({ dir: world.dir, prefix: "other-" });
    const failed = await fail({ dir: other });
    assert.match(failed.error, /Refusing the ID token of .*: its nonce is not the one of this sign-in/);
    assert.equal(idp.counters.authorizations, 2);
    assert.equal(jag.issued, 1, "the replayed ID token was exchanged");
  });
});

Deno.test("--enterprise-idp: an IdP that accepts the connection and never answers: one error naming it, no hang", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    await withEnterprise({}, async ({ world }) => {
      const issuer = `http://127.0.0.1:${(silent.addr as Deno.NetAddr).port}`;
      const started = Date.now();
      const host = await connectHost(world.mcp.url, {
        args: [
          "--config-dir",
          world.dir,
          "--enterprise-idp",
          JSON.stringify({ issuer, client_id: "bridge-at-idp" }),
          "--static-oauth-client-info",
          JSON.stringify({ client_id: "bridge-at-as", client_secret: AT_SECRET }),
        ],
        permissions: signInPermissions(world.dir),
        env: { BROWSER },
      }).then(
        (host) => ({ host, error: undefined }),
        (error: Error) => ({ host: undefined, error }),
      );
      await host.host?.close();
      assert.ok(host.error, "the bridge connected without the IdP");
      assert.match(host.error.message, new RegExp(`Cannot reach the identity provider ${issuer}`));
      assert.ok(Date.now() - started < 45_000, `answered after ${Date.now() - started} ms`);
    });
  } finally {
    silent.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("logout after an enterprise sign-in: the session at the IdP ends too (its refresh token revoked there)", async () => {
  await withEnterprise({}, async ({ world, idp, call }) => {
    await call();
    const { record } = await onlyRecord(world.dir);
    assert.ok(record.idp?.tokens.refresh_token);
    const out = await runCli(
      [
        "logout",
        world.mcp.url.href,
        "--config-dir",
        world.dir,
        "--enterprise-idp",
        JSON.stringify({ issuer: idp.issuer, client_id: "bridge-at-idp" }),
        "--static-oauth-client-info",
        JSON.stringify({ client_id: "bridge-at-as", client_secret: AT_SECRET }),
      ],
      signInPermissions(world.dir),
      { BROWSER },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(idp.counters.revocations, 1, out.stderr);
    const refresh = await idp.provider.RefreshToken.find(record.idp!.tokens.refresh_token!);
    assert.equal(refresh, undefined, "the IdP refresh token still works");
  });
});
