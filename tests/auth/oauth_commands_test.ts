/**
 * `mcp-bridge login`, `status` and `logout`, run as the real CLI with exact permissions against a
 * real authorization server (oidc-provider) and a protected MCP server, signing in through the
 * headless browser as `$BROWSER`.
 */

import assert from "node:assert/strict";
import { connectHost } from "../_fixtures/bridge_host.ts";
import {
  BROWSER,
  type OAuthWorld,
  onlyRecord,
  runCli,
  signInPermissions,
  storedRecords,
  withOAuthWorld,
} from "../_fixtures/oauth_cli.ts";
import { serveProtected } from "../../src/demo/protected_server.ts";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function login(world: OAuthWorld, url: URL = world.mcp.url) {
  return await runCli(
    ["login", url.href, "--config-dir", world.dir, "--host", "127.0.0.1"],
    signInPermissions(world.dir),
    { BROWSER },
  );
}

async function status(world: OAuthWorld) {
  return await runCli(["status", "--config-dir", world.dir], { read: [world.dir] });
}

Deno.test("login: signs in through $BROWSER and prints it; the next bridge run uses the stored tokens", async () => {
  await withOAuthWorld({}, async (world) => {
    const result = await login(world);
    assert.equal(result.code, 0, `login failed:\n${result.stderr}`);
    assert.match(
      result.stdout,
      new RegExp(
        `^Signed in to ${escape(world.mcp.url.host)} \\(issuer ${escape(world.as.issuer)}, scopes [^,]+, ` +
          `expires \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)\\n$`,
      ),
    );
    assert.equal(world.as.counters.authorizations, 1, "one browser sign-in");
    assert.equal(world.as.counters.registrations, 1, "one dynamic registration");
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1, "one code exchange");
    const { record } = await onlyRecord(world.dir);
    assert.equal(record.server_url, world.mcp.url.href);
    assert.equal(record.issuer, world.as.issuer);
    assert.ok(record.tokens?.access_token, "an access token is stored");

    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    try {
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "after login" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "after login" }]);
    } finally {
      await host.close();
    }
    assert.equal(world.as.counters.authorizations, 1, "no new authorization");
    assert.equal(world.as.counters.registrations, 1, "no new registration");
    assert.equal(world.mcp.counters.invalid, 0, "the stored token was accepted");
    assert.ok(world.mcp.counters.valid >= 2, "initialize and tools/call went through with the token");
  });
});

Deno.test("status: a table of server, issuer, client id, scopes and expiry, without any secret", async () => {
  await withOAuthWorld({}, async (world) => {
    const signedIn = await login(world);
    assert.equal(signedIn.code, 0, signedIn.stderr);
    const { record } = await onlyRecord(world.dir);

    const result = await status(world);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, `a header, a rule and one row:\n${result.stdout}`);
    for (const column of ["server", "issuer", "client id", "scopes", "access token", "last refresh"]) {
      assert.ok(lines[0]!.includes(column), `column "${column}" in ${lines[0]}`);
    }
    assert.match(lines[1]!, /^-+( +-+)+$/);
    const row = lines[2]!;
    assert.ok(row.includes(world.mcp.url.href), "the server URL");
    assert.ok(row.includes(world.as.issuer), "the issuer");
    assert.ok(record.client?.client_id && row.includes(record.client.client_id), "the client id");
    assert.ok(record.requested_scope && row.includes(record.requested_scope), "the scopes");
    const expiry = new Date(record.tokens!.expires_at!).toISOString().replace(/\.\d+Z$/, "Z");
    assert.ok(row.includes(`expires ${expiry}`), `the expiry ${expiry} in ${row}`);

    const output = result.stdout + result.stderr;
    const secrets = [
      record.tokens?.access_token,
      record.tokens?.refresh_token,
      record.tokens?.id_token,
      record.client?.client_secret,
    ].filter((s): s is string => typeof s === "string" && s.length > 0);
    assert.ok(secrets.length >= 2, "an access and a refresh token to look for");
    for (const secret of secrets) {
      assert.ok(!output.includes(secret), "a token or secret reached the status output");
      // Not even a prefix long enough to identify it.
      assert.ok(!output.includes(secret.slice(0, 16)), "a token prefix reached the status output");
    }
    assert.ok(!/verifier|code_challenge|refresh_token|client_secret/i.test(output), output);
  });
});

Deno.test("logout <url>: revokes at the authorization server and deletes the record", async () => {
  await withOAuthWorld({}, async (world) => {
    const signedIn = await login(world);
    assert.equal(signedIn.code, 0, signedIn.stderr);
    const { record } = await onlyRecord(world.dir);
    const refreshToken = record.tokens?.refresh_token;
    assert.ok(refreshToken, "a refresh token is stored");
    assert.equal(world.as.counters.revocations, 0);

    const result = await runCli(
      ["logout", world.mcp.url.href, "--config-dir", world.dir],
      { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Signed out of ${world.mcp.url.href}\n`);
    // oidc-provider revokes the refresh token (and with it the whole grant) but answers
    // unsupported_token_type for JWT access tokens, which the bridge reports as a warning.
    assert.equal(world.as.counters.revocations, 1, "the refresh token revoked");
    assert.match(result.stderr, /Revoking the access token failed: .*unsupported_token_type/);
    assert.deepEqual(await storedRecords(world.dir), [], "the record is deleted");
    const refresh = await fetch(world.as.endpoints.token, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: record.client!.client_id,
      }),
    });
    assert.equal(refresh.status, 400);
    assert.equal((await refresh.json()).error, "invalid_grant", "the refresh token is dead at the AS");

    const after = await status(world);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout, "No stored credentials\n");

    // The revoked refresh token no longer works: the next run signs in again.
    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    await host.close();
    assert.equal(world.as.counters.authorizations, 2, "signed in again after logout");

    const out = await runCli(["logout", world.mcp.url.href, "--config-dir", world.dir], {
      net: ["127.0.0.1"],
      read: [world.dir],
      write: [world.dir],
    });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(world.as.counters.revocations, 2);

    // Logging out of a server with nothing stored says so and succeeds.
    const again = await runCli(["logout", world.mcp.url.href, "--config-dir", world.dir], {
      net: ["127.0.0.1"],
      read: [world.dir],
      write: [world.dir],
    });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `No stored credentials for ${world.mcp.url.href}\n`);
  });
});

Deno.test("logout --all: revokes and deletes the credentials of every stored server", async () => {
  await withOAuthWorld({}, async (world) => {
    const second = await serveProtected({ issuer: world.as.issuer });
    try {
      for (const url of [world.mcp.url, second.url]) {
        const signedIn = await login(world, url);
        assert.equal(signedIn.code, 0, signedIn.stderr);
      }
      assert.equal(world.as.counters.authorizations, 2);
      const records = await storedRecords(world.dir);
      assert.deepEqual(
        records.map((r) => r.record.server_url).sort(),
        [world.mcp.url.href, second.url.href].sort(),
      );
      const refreshTokens = records.filter((r) => r.record.tokens?.refresh_token).length;
      assert.equal(refreshTokens, 2);

      const listed = await status(world);
      assert.equal(listed.stdout.trimEnd().split("\n").length, 4, listed.stdout);

      const result = await runCli(
        ["logout", "--all", "--config-dir", world.dir],
        { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        result.stdout.trimEnd().split("\n").sort(),
        [`Signed out of ${world.mcp.url.href}`, `Signed out of ${second.url.href}`].sort(),
      );
      // One revocation per refresh token (oidc-provider refuses to revoke JWT access tokens).
      assert.equal(world.as.counters.revocations, refreshTokens, "every refresh token revoked");
      assert.deepEqual(await storedRecords(world.dir), []);
      assert.equal((await status(world)).stdout, "No stored credentials\n");

      const empty = await runCli(
        ["logout", "--all", "--config-dir", world.dir],
        { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
      );
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.stdout, "No stored credentials\n");
    } finally {
      await second.close();
    }
  });
});

Deno.test("login: a missing --allow-write for the config dir is exit code 1 naming the flag", async () => {
  await withOAuthWorld({}, async (world) => {
    const result = await runCli(
      ["login", world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1"],
      { net: ["127.0.0.1"], run: [BROWSER], env: ["BROWSER"], read: [world.dir] },
      { BROWSER },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.includes(`--allow-write=${world.dir}`), result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(world.as.counters.authorizations, 0, "no browser was opened");
    assert.deepEqual(await storedRecords(world.dir), []);
  });
});

Deno.test({
  name: "login: a missing --allow-net for the authorization server is exit code 1 naming the flag",
  fn: async () => {
    await withOAuthWorld({}, async (world) => {
      const asUrl = new URL(world.as.issuer);
      const result = await runCli(
        ["login", world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1"],
        {
          net: [world.mcp.url.host],
          run: [BROWSER],
          env: ["BROWSER"],
          read: [world.dir],
          write: [world.dir],
        },
        { BROWSER },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stderr.includes(`--allow-net=${asUrl.hostname}:${asUrl.port}`), result.stderr);
      assert.equal(world.as.counters.authorizations, 0);
      assert.equal(world.as.counters.registrations, 0);
    });
  },
});
