import assert from "node:assert/strict";
import { bridge, NEVER_FINISHING_BROWSER, withWorld } from "../_fixtures/oauth_world.ts";
import { HostConnectError } from "../_fixtures/bridge_host.ts";
import { runCli, signInPermissions } from "../_fixtures/oauth_cli.ts";

Deno.test("a sign-in nobody finishes: the host is told nobody signed in within --auth-timeout (not that the server timed out), and stderr said what was awaited", async () => {
  await withWorld({}, async (world) => {
    const failure = await bridge(
      world,
      ["--auth-timeout", "3s", "--connect-timeout", "2s"],
      NEVER_FINISHING_BROWSER,
    )
      .then(
        async (host) => {
          await host.close();
          return undefined;
        },
        (error: Error) => error,
      );
    assert.ok(failure instanceof HostConnectError, `expected a failed connect, got ${failure}`);
    assert.match(
      failure.message,
      /Nobody finished signing in within 3 s: run `mcp-bridge login <url>` in a terminal/,
    );
    assert.doesNotMatch(failure.message, /Timed out after|--connect-timeout/);
    assert.match(failure.stderr, /Waiting up to 3 s for the sign-in to finish in the browser\n/);
  });
});

Deno.test("login: a sign-in nobody finishes does not advise running login, and says Ctrl-C cancels", async () => {
  await withWorld({}, async (world) => {
    const result = await runCli(
      ["login", world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1", "--auth-timeout", "2s"],
      signInPermissions(world.dir),
      { BROWSER: NEVER_FINISHING_BROWSER },
    );
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /Waiting up to 2 s for the sign-in to finish in the browser \(Ctrl-C cancels\)/,
    );
    assert.match(result.stderr, /Nobody finished signing in within 2 s: start again/);
    assert.doesNotMatch(result.stderr, /run `mcp-bridge login/);
  });
});
