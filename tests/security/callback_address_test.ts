/**
 * Rule 10: the callback address. Another local program listens first on one of the two loopback
 * addresses of the callback port; a redirect URI naming `localhost` could send the browser (and the
 * authorization code) to it. The bridge must name the IP literal it does listen on, register that
 * redirect URI, and complete the sign-in through its own listener while the attacker gets nothing.
 */

import assert from "node:assert/strict";
import { connectHost } from "../_fixtures/bridge_host.ts";
import { BROWSER, freePort, onlyRecord, withOAuthWorld } from "../_fixtures/oauth_cli.ts";

/** The attacker: an HTTP listener on one loopback address that records every request. */
function squat(hostname: string, port: number): { requests: string[]; close(): Promise<void> } {
  const requests: string[] = [];
  const server = Deno.serve({ hostname, port, onListen: () => {} }, (request) => {
    requests.push(request.url);
    return new Response("got your code", { status: 200 });
  });
  return { requests, close: () => server.shutdown() };
}

function freePortOnBoth(): number {
  for (let i = 0; i < 20; i++) {
    const port = freePort();
    try {
      Deno.listen({ hostname: "::1", port }).close();
      return port;
    } catch {
      // Taken on ::1: try another.
    }
  }
  throw new Error("No port free on both 127.0.0.1 and ::1");
}

for (
  const [attacker, expected] of [
    ["::1", "127.0.0.1"],
    ["127.0.0.1", "[::1]"],
  ] as const
) {
  Deno.test(`Callback: another program on ${attacker} makes the redirect URI name ${expected}, and the sign-in completes`, async () => {
    await withOAuthWorld({}, async (world) => {
      const port = freePortOnBoth();
      const squatter = squat(attacker, port);
      let stderr = "";
      try {
        const host = await connectHost(world.mcp.url, {
          // --host localhost is the default.
          args: ["--config-dir", world.dir, "--callback-port", String(port)],
          permissions: {
            net: ["127.0.0.1", "[::1]"],
            run: [BROWSER],
            env: ["BROWSER"],
            read: [world.dir],
            write: [world.dir],
          },
          env: { BROWSER },
        });
        try {
          const tools = await host.client.listTools();
          assert.ok(tools.tools.length > 0, "the host got its answer after the sign-in");
        } finally {
          stderr = host.stderr();
          await host.close();
        }
      } finally {
        await squatter.close();
      }
      const redirectUri = `http://${expected}:${port}/oauth/callback`;
      assert.deepEqual(world.authorizations.map((a) => a.redirectUri), [redirectUri], stderr);
      assert.deepEqual(squatter.requests, [], "the attacker's listener received nothing");
      const { record } = await onlyRecord(world.dir);
      assert.deepEqual(
        record.client?.redirect_uris,
        [redirectUri],
        "the registered redirect URI is the one used",
      );
      const where = attacker === "::1" ? `[::1]:${port}` : `127.0.0.1:${port}`;
      assert.ok(stderr.includes(`Another program listens on ${where}`), stderr);
    });
  });
}

Deno.test("Callback: without --allow-net for ::1 the redirect URI names 127.0.0.1, never localhost", async () => {
  await withOAuthWorld({}, async (world) => {
    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir],
      permissions: {
        net: ["127.0.0.1"],
        run: [BROWSER],
        env: ["BROWSER"],
        read: [world.dir],
        write: [world.dir],
      },
      env: { BROWSER },
    });
    try {
      await host.client.listTools();
    } finally {
      await host.close();
    }
    assert.equal(world.authorizations.length, 1);
    assert.match(world.authorizations[0]!.redirectUri ?? "", /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
  });
});
