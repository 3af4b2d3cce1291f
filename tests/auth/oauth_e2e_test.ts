import assert from "node:assert/strict";
import { join } from "node:path";
import { connectHost, type Host, type Permissions } from "../_fixtures/bridge_host.ts";
import { type OAuthServer, startOAuthServer } from "../../src/demo/oauth_server.ts";
import { type ProtectedServer, serveProtected } from "../../src/demo/protected_server.ts";

const BROWSER = `deno run --quiet --no-prompt --allow-net=127.0.0.1 ${
  new URL("../../src/demo/headless_browser.ts", import.meta.url).pathname
}`;

interface World {
  as: OAuthServer;
  mcp: ProtectedServer;
  dir: string;
}

async function withWorld(
  options: { accessTokenTtl?: number; requiredScope?: string },
  fn: (world: World) => Promise<void>,
): Promise<void> {
  const as = await startOAuthServer(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {});
  const mcp = await serveProtected({
    issuer: as.issuer,
    ...(options.requiredScope ? { requiredScope: options.requiredScope } : {}),
  });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "oauth-e2e-" });
  try {
    await fn({ as, mcp, dir: await Deno.realPath(dir) });
  } finally {
    await mcp.close();
    await as.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function permissions(world: World): Permissions {
  return {
    net: ["127.0.0.1"],
    run: ["deno"],
    env: ["BROWSER"],
    read: [world.dir],
    write: [world.dir],
  };
}

async function bridge(world: World, args: string[] = []): Promise<Host> {
  return await connectHost(world.mcp.url, {
    args: ["--config-dir", world.dir, "--host", "127.0.0.1", "--debug", ...args],
    permissions: permissions(world),
    env: { BROWSER },
  });
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(path, ...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

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
