import assert from "node:assert/strict";
import { connectHost } from "../_fixtures/bridge_host.ts";
import { allFiles, bridge, BROWSER, permissions, withWorld } from "../_fixtures/oauth_world.ts";

Deno.test("OAuth: the first 401 signs in through the browser; tokens are stored and reused by the next run", async () => {
  await withWorld({}, async (world) => {
    const first = await bridge(world);
    let stderr = "";
    try {
      const tools = await first.client.listTools();
      assert.ok(tools.tools.some((t) => t.name === "echo"));
      const echo = await first.client.callTool({ name: "echo", arguments: { text: "signed in" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "signed in" }]);
    } finally {
      stderr = first.stderr();
      await first.close();
    }
    assert.equal(world.as.counters.registrations, 1, "one dynamic registration");
    assert.equal(world.as.counters.authorizations, 1, "one browser sign-in");
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1, "one code exchange");
    assert.match(stderr, /Signed in to 127\.0\.0\.1/);

    const second = await bridge(world);
    try {
      const echo = await second.client.callTool({ name: "echo", arguments: { text: "again" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "again" }]);
    } finally {
      await second.close();
    }
    assert.equal(world.as.counters.authorizations, 1, "no second sign-in");
    assert.equal(world.as.counters.registrations, 1, "no second registration");

    // Secrets at rest: 0700 directories, 0600 files; and no token in any log.
    const files = await allFiles(world.dir);
    const record = files.find((f) => f.includes(`${"servers"}`) && f.endsWith(".json"));
    assert.ok(record, `a server record in ${files.join(", ")}`);
    const saved = JSON.parse(await Deno.readTextFile(record));
    const secrets = [saved.tokens.access_token, saved.tokens.refresh_token].filter(Boolean) as string[];
    assert.ok(secrets.length >= 1);
    for (const path of files) {
      const info = await Deno.stat(path);
      const mode = info.mode! & 0o777;
      if (info.isDirectory) assert.equal(mode, 0o700, `${path} is 0700`);
      else if (!path.endsWith(".lock")) assert.equal(mode, 0o600, `${path} is 0600`);
    }
    const debugLog = files.find((f) => f.endsWith("debug.log"));
    assert.ok(debugLog, "a debug log was written");
    const written = stderr + await Deno.readTextFile(debugLog);
    for (const secret of secrets) assert.ok(!written.includes(secret), "a token reached a log");
    assert.ok(!/code_verifier=[^[]/.test(written), "a PKCE verifier reached a log");
  });
});

Deno.test("OAuth: an expired access token is refreshed without a new sign-in", async () => {
  await withWorld({ accessTokenTtl: 2 }, async (world) => {
    const host = await bridge(world);
    try {
      await host.client.listTools();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "fresh" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "fresh" }]);
    } finally {
      await host.close();
    }
    assert.equal(world.as.counters.authorizations, 1);
    assert.ok((world.as.counters.tokenRequests.refresh_token ?? 0) >= 1, "a refresh happened");
    assert.equal(Object.keys(world.as.counters.refreshFailures).length, 0);
  });
});

Deno.test("OAuth: a user Authorization header means no discovery and no sign-in at all", async () => {
  await withWorld({}, async (world) => {
    const failure = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--header", "Authorization: Bearer not-a-real-token"],
      permissions: permissions(world),
      env: { BROWSER },
    }).then(
      async (host) => {
        await host.close();
        return undefined;
      },
      (error: Error) => error,
    );
    assert.ok(failure, "the server refused the static token");
    assert.match(failure.message, /HTTP 401/);
    assert.equal(world.mcp.counters.prm, 0, "no resource metadata request");
    assert.equal(world.as.counters.authorizations, 0);
    assert.equal(world.as.counters.registrations, 0);
  });
});

Deno.test("OAuth: the authorization server away while the token expires: the call waits, is refreshed before it is sent again, and no browser opens", async () => {
  await withWorld({ accessTokenTtl: 2 }, async (world) => {
    const host = await bridge(world, ["--reconnect-max-delay", "1s"]);
    try {
      await host.client.listTools();
      assert.equal(world.as.counters.authorizations, 1);
      await world.as.pause();
      await new Promise((resolve) => setTimeout(resolve, 2500)); // the access token expires meanwhile
      const call = host.client.callTool({ name: "echo", arguments: { text: "after the outage" } });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await world.as.resume();
      const echo = await call;
      assert.deepEqual(echo.content, [{ type: "text", text: "after the outage" }]);
      assert.match(host.stderr(), /cannot be reached .*Cannot reach .*127\.0\.0\.1/);
    } finally {
      await host.close();
    }
    assert.equal(world.as.counters.authorizations, 1, "no browser sign-in during the outage");
    assert.ok((world.as.counters.tokenRequests.refresh_token ?? 0) >= 1, "the token was refreshed");
    assert.equal(Object.keys(world.as.counters.refreshFailures).length, 0);
  });
});
