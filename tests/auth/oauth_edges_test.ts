/**
 * OAuth edge cases of the bridge, run as the real CLI with exact permissions against a real
 * authorization server (oidc-provider) and a protected MCP server: `--no-browser`, step-up
 * authorization, a static client, missing permissions, the `resource` parameter and early discovery.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  connectHost,
  finishRaw,
  HostConnectError,
  INITIALIZED_LINE,
  initializeLine,
  netFor,
  type Permissions,
  spawnRaw,
} from "../_fixtures/bridge_host.ts";
import {
  allFiles,
  BROWSER,
  freePort,
  type OAuthWorld,
  onlyRecord,
  signInPermissions,
  sleep,
  waitFor,
  withOAuthWorld,
} from "../_fixtures/oauth_cli.ts";
import { browse } from "../../src/demo/headless_browser.ts";

function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1]!;
  const base64 = payload.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
}

function scopeSet(scope: string | undefined): Set<string> {
  return new Set((scope ?? "").split(" ").filter((s) => s !== ""));
}

/** Connects a host that is expected to fail; returns the connect error. */
async function failingHost(
  world: OAuthWorld,
  args: string[],
  permissions: Permissions,
  env: Record<string, string> = { BROWSER },
): Promise<HostConnectError> {
  const outcome = await connectHost(world.mcp.url, { args, permissions, env }).then(
    async (host) => {
      await host.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  assert.ok(outcome instanceof HostConnectError, `the connect failed with the bridge's error: ${outcome}`);
  return outcome;
}

Deno.test("--no-browser: the sign-in URL is printed on stderr even with --silent, and no program is run", async () => {
  await withOAuthWorld({}, async (world) => {
    // No --allow-run and no --allow-env: a browser could not be run even if the bridge tried.
    const raw = spawnRaw(
      [world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1", "--no-browser", "--silent"],
      { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
    );
    try {
      await raw.write(initializeLine(1));
      const printed = /Open this URL in a browser to sign in: (\S+)/;
      await waitFor(() => printed.test(raw.stderr()), 15_000, "the sign-in URL on stderr");
      const url = new URL(printed.exec(raw.stderr())![1]!);
      assert.equal(`${url.origin}${url.pathname}`, world.as.endpoints.authorization);
      const redirect = new URL(url.searchParams.get("redirect_uri")!);
      assert.equal(redirect.hostname, "127.0.0.1");

      const browsed = await browse(url);
      assert.equal(browsed.delivered, true);
      assert.equal(browsed.callbackStatus, 200, browsed.callbackBody);

      const initialized = JSON.parse(await raw.readLine(15_000));
      assert.equal(initialized.id, 1);
      assert.ok(initialized.result?.serverInfo, JSON.stringify(initialized));
      await raw.write(INITIALIZED_LINE);
      await raw.write(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "echo", arguments: { text: "no browser" } },
        }) + "\n",
      );
      const echo = JSON.parse(await raw.readLine(10_000));
      assert.equal(echo.id, 2);
      assert.deepEqual(echo.result?.content, [{ type: "text", text: "no browser" }]);
    } finally {
      const status = await finishRaw(raw);
      assert.equal(status.code, 0, raw.stderr());
    }
    assert.equal(world.as.counters.authorizations, 1);
    const stderr = raw.stderr();
    // --silent: the URL is the only thing printed; no "cannot run a browser" advice.
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    assert.ok(!/allow-run|allow-env|Signed in/.test(stderr), stderr);
  });
});

Deno.test("step-up: a 403 insufficient_scope signs in again with the union of the scopes", async () => {
  await withOAuthWorld(
    { mcp: { requiredScope: "mcp:write", scopesSupported: ["mcp:read"] } },
    async (world) => {
      const host = await connectHost(world.mcp.url, {
        args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
        permissions: signInPermissions(world.dir),
        env: { BROWSER },
      });
      let stderr = "";
      try {
        const echo = await host.client.callTool({ name: "echo", arguments: { text: "stepped up" } });
        assert.deepEqual(echo.content, [{ type: "text", text: "stepped up" }]);
      } finally {
        stderr = host.stderr();
        await host.close();
      }
      assert.equal(world.as.counters.authorizations, 2, "a first sign-in and one step-up");
      assert.equal(world.as.counters.registrations, 1, "the client is reused for the step-up");
      assert.equal(world.mcp.counters.insufficientScope, 1, "one 403 insufficient_scope");
      assert.match(stderr, /needs more scope for .*\(mcp:write\): signing in again/);

      assert.equal(world.authorizations.length, 2, JSON.stringify(world.authorizations));
      const [first, second] = world.authorizations;
      const firstScopes = scopeSet(first!.scope);
      assert.ok(firstScopes.has("mcp:read") && !firstScopes.has("mcp:write"), `first scope: ${first!.scope}`);
      const secondScopes = scopeSet(second!.scope);
      assert.ok(
        secondScopes.has("mcp:read") && secondScopes.has("mcp:write"),
        `second scope: ${second!.scope}`,
      );
      for (const s of firstScopes) assert.ok(secondScopes.has(s), `the step-up keeps ${s}`);

      const { record } = await onlyRecord(world.dir);
      assert.deepEqual(scopeSet(record.requested_scope), secondScopes);
      const granted = scopeSet(String(claimsOf(record.tokens!.access_token).scope));
      assert.ok(granted.has("mcp:read") && granted.has("mcp:write"), `granted ${[...granted]}`);
    },
  );
});

Deno.test("--static-oauth-client-info @file with ${VAR}: no registration, and the secret is never logged", async () => {
  const port = freePort();
  const secret = `static-secret-${crypto.randomUUID()}`;
  const clientId = "mcp-bridge-static-client";
  await withOAuthWorld({
    as: {
      clients: [{
        client_id: clientId,
        client_secret: secret,
        application_type: "native",
        redirect_uris: [`http://127.0.0.1:${port}/oauth/callback`],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      }],
    },
  }, async (world) => {
    const file = join(world.dir, "client.json");
    await Deno.writeTextFile(
      file,
      JSON.stringify({ client_id: clientId, client_secret: "${MCP_TEST_CLIENT_SECRET}" }),
    );
    const host = await connectHost(world.mcp.url, {
      args: [
        "--config-dir",
        world.dir,
        "--host",
        "127.0.0.1",
        "--callback-port",
        String(port),
        "--static-oauth-client-info",
        `@${file}`,
        "--debug",
      ],
      permissions: { ...signInPermissions(world.dir), env: ["BROWSER", "MCP_TEST_CLIENT_SECRET"] },
      env: { BROWSER, MCP_TEST_CLIENT_SECRET: secret },
    });
    let stderr = "";
    try {
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "static" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "static" }]);
    } finally {
      stderr = host.stderr();
      await host.close();
    }
    assert.equal(world.as.counters.registrations, 0, "no dynamic registration");
    assert.equal(world.as.counters.authorizations, 1);
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1);
    assert.deepEqual(world.as.counters.tokenErrors, {}, "the secret authenticated the client");
    assert.equal(world.authorizations[0]?.clientId, clientId);
    assert.equal(world.authorizations[0]?.redirectUri, `http://127.0.0.1:${port}/oauth/callback`);

    const { record } = await onlyRecord(world.dir);
    assert.equal(record.client, undefined, "a static client is not stored");
    const files = await allFiles(world.dir);
    const debugLog = files.find((f) => f.endsWith("debug.log"));
    assert.ok(debugLog, "a debug log was written");
    const logged = stderr + await Deno.readTextFile(debugLog);
    assert.ok(logged.includes("Signed in to"), "the debug output is there");
    assert.ok(!logged.includes(secret), "the client secret reached stderr or the debug log");
    assert.ok(!(await Deno.readTextFile(files.find((f) => f.includes("servers"))!)).includes(secret));
  });
});

Deno.test("a missing --allow-write for the config dir: the host's error names the flag", async () => {
  await withOAuthWorld({}, async (world) => {
    const error = await failingHost(
      world,
      ["--config-dir", world.dir, "--host", "127.0.0.1"],
      { net: ["127.0.0.1"], run: [BROWSER], env: ["BROWSER"], read: [world.dir] },
    );
    assert.ok(error.clientError.message.includes(`--allow-write=${world.dir}`), error.message);
    assert.equal(world.as.counters.authorizations, 0, "no browser was opened");
  });
});

function missingNetPermissions(world: OAuthWorld): Permissions {
  return {
    net: [netFor(world.mcp.url)],
    run: [BROWSER],
    env: ["BROWSER"],
    read: [world.dir],
    write: [world.dir],
  };
}

Deno.test("a missing --allow-net for the authorization server: the host's error names the flag", async () => {
  await withOAuthWorld({}, async (world) => {
    const asUrl = new URL(world.as.issuer);
    const error = await failingHost(
      world,
      ["--config-dir", world.dir, "--host", "127.0.0.1"],
      missingNetPermissions(world),
    );
    assert.ok(
      error.clientError.message.includes(`--allow-net=${asUrl.hostname}:${asUrl.port}`),
      error.message,
    );
    assert.equal(world.as.counters.authorizations, 0);
    assert.equal(world.as.counters.registrations, 0);
  });
});

Deno.test({
  name: "a missing --allow-net for the authorization server: stderr names the flag too",
  fn: async () => {
    await withOAuthWorld({}, async (world) => {
      const asUrl = new URL(world.as.issuer);
      const error = await failingHost(
        world,
        ["--config-dir", world.dir, "--host", "127.0.0.1"],
        missingNetPermissions(world),
      );
      assert.ok(error.stderr.includes(`--allow-net=${asUrl.hostname}:${asUrl.port}`), error.stderr);
    });
  },
});

Deno.test("resource: the sign-in sends the PRM resource, and the token's audience is the MCP server", async () => {
  await withOAuthWorld({}, async (world) => {
    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    try {
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "audience" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "audience" }]);
    } finally {
      await host.close();
    }
    // The protected server checks `aud` against its URL: success proves the audience.
    assert.equal(world.mcp.counters.invalid, 0);
    assert.ok(world.mcp.counters.valid >= 2);
    assert.equal(world.authorizations.length, 1);
    assert.equal(world.authorizations[0]!.resource, world.mcp.url.href, "resource = the PRM resource");
    const { record } = await onlyRecord(world.dir);
    assert.equal(record.resource, world.mcp.url.href);
    assert.equal(claimsOf(record.tokens!.access_token).aud, world.mcp.url.href);
  });
});

Deno.test('resource: --resource "" omits it; the authorization server refuses, and the host gets a clear error', async () => {
  await withOAuthWorld({}, async (world) => {
    // Without a resource indicator oidc-provider knows no resource server, so the MCP scopes the
    // PRM advertises are unknown to it: it grants nothing and answers access_denied.
    const error = await failingHost(
      world,
      ["--config-dir", world.dir, "--host", "127.0.0.1", "--resource", ""],
      signInPermissions(world.dir),
    );
    assert.equal(world.as.counters.authorizations, 1, "no retry of a refused authorization");
    assert.equal(world.authorizations.length, 1);
    assert.equal(world.authorizations[0]!.resource, undefined, "no resource sent");
    assert.match(
      error.clientError.message,
      /requires authorization \(HTTP 401\) and signing in failed: .*refused the authorization: access_denied/,
    );
  });
});

Deno.test('resource: --resource "" with an opaque token the server rejects ends in a clear error, not a loop', async () => {
  // PRM scopes ["openid"]: the authorization server then issues an opaque access token (no
  // resource, no audience), which the protected server rejects with 401 invalid_token.
  await withOAuthWorld({ mcp: { scopesSupported: ["openid"] } }, async (world) => {
    const started = Date.now();
    const error = await failingHost(
      world,
      ["--config-dir", world.dir, "--host", "127.0.0.1", "--resource", ""],
      signInPermissions(world.dir),
    );
    const elapsed = Date.now() - started;
    const { authorizations } = world.as.counters;
    assert.ok(authorizations >= 1 && authorizations <= 3, `${authorizations} authorizations`);
    for (const seen of world.authorizations) assert.equal(seen.resource, undefined, "no resource sent");
    assert.ok(world.mcp.counters.invalid >= 1, "the server rejected the token");
    assert.equal(world.mcp.counters.valid, 0);
    assert.match(world.mcp.counters.lastRejection ?? "", /not a JWT/);
    assert.ok(elapsed < 30_000, `bounded: ${elapsed} ms`);
    // Bounded by the transport's attempts per exchange (each 401 refreshes the opaque token).
    const tokenRequests = Object.values(world.as.counters.tokenRequests).reduce((a, b) => a + b, 0);
    assert.ok(tokenRequests <= 6, `${tokenRequests} token requests`);
    assert.match(error.clientError.message, /HTTP 401, the server says "invalid_token"/);
  });
});

Deno.test({
  name: "resource: the error for a rejected OAuth token does not blame the user's Authorization header",
  fn: async () => {
    await withOAuthWorld({ mcp: { scopesSupported: ["openid"] } }, async (world) => {
      const error = await failingHost(
        world,
        ["--config-dir", world.dir, "--host", "127.0.0.1", "--resource", ""],
        signInPermissions(world.dir),
      );
      assert.doesNotMatch(error.clientError.message, /your Authorization header/);
    });
  },
});

Deno.test("early discovery: with needs_auth and no tokens stored, discovery starts before initialize", async () => {
  await withOAuthWorld({}, async (world) => {
    const permissions = signInPermissions(world.dir);
    const counters = () => {
      const { valid, invalid, missing, insufficientScope, prm } = world.mcp.counters;
      return { valid, invalid, missing, insufficientScope, prm };
    };

    // A fresh, empty store: nothing at all is sent before the host's first message.
    const fresh = join(world.dir, "fresh");
    await Deno.mkdir(fresh);
    const quiet = spawnRaw(
      [world.mcp.url.href, "--config-dir", fresh, "--host", "127.0.0.1", "--debug"],
      { ...permissions, read: [fresh], write: [fresh] },
      { BROWSER },
    );
    try {
      await waitFor(() => /Server http/.test(quiet.stderr()), 15_000, "the bridge to start");
      await sleep(500);
      assert.deepEqual(counters(), { valid: 0, invalid: 0, missing: 0, insufficientScope: 0, prm: 0 });
      assert.equal(world.as.counters.authorizations, 0);
    } finally {
      await finishRaw(quiet);
    }

    // Sign in once, then forget the tokens but keep needs_auth.
    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions,
      env: { BROWSER },
    });
    await host.close();
    const { path, record } = await onlyRecord(world.dir);
    assert.equal(record.needs_auth, true);
    delete record.tokens;
    await Deno.writeTextFile(path, JSON.stringify(record));

    const before = counters();
    const early = spawnRaw(
      [world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1", "--debug"],
      permissions,
      { BROWSER },
    );
    try {
      await waitFor(() => /Server http/.test(early.stderr()), 15_000, "the bridge to start");
      const start = Date.now();
      await waitFor(() => world.mcp.counters.prm > before.prm, 3_000, "a PRM request before initialize");
      await sleep(Math.max(0, 500 - (Date.now() - start)));
      const after = counters();
      assert.equal(after.missing, before.missing, "no MCP request was sent");
      assert.equal(after.valid, before.valid);
      assert.equal(after.invalid, before.invalid);
      assert.equal(early.stdout(), "", "nothing for the host");
    } finally {
      await finishRaw(early);
    }
    assert.match(early.stderr(), /needed authorization before: discovering/);
    assert.equal(world.as.counters.authorizations, 1, "no sign-in without a host request");
  });
});
