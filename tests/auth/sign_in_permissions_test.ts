import assert from "node:assert/strict";
import { missingNetForSignIn } from "../../src/auth/sign_in_permissions.ts";
import { connectHost, HostConnectError } from "../_fixtures/bridge_host.ts";
import { BROWSER, withWorld } from "../_fixtures/oauth_world.ts";

Deno.test("missingNetForSignIn(): every endpoint host and the callback listener, each once", () => {
  const granted = (d: Deno.NetPermissionDescriptor) => d.host === "auth.example.com:443";
  assert.deepEqual(
    missingNetForSignIn({
      urls: [
        new URL("https://auth.example.com/token"),
        new URL("https://register.example.com/r"),
        new URL("https://register.example.com/again"),
      ],
      callbackHosts: ["127.0.0.1", "::1"],
      callbackPort: 33418,
    }, granted),
    ["register.example.com:443", "127.0.0.1:33418", "[::1]:33418"],
  );
  assert.deepEqual(missingNetForSignIn({ urls: [], callbackHosts: [] }, () => false), []);
});

Deno.test("a host configuration missing the authorization server and the callback hears about both in one error", async () => {
  await withWorld({}, async (world) => {
    const failure = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions: {
        net: [`127.0.0.1:${world.mcp.url.port}`],
        run: [BROWSER],
        env: ["BROWSER"],
        read: [world.dir],
        write: [world.dir],
      },
      env: { BROWSER },
    }).then(async (host) => {
      await host.close();
      return undefined;
    }, (error: Error) => error);
    assert.ok(failure instanceof HostConnectError, `expected a failed connect, got ${failure}`);
    const as = new URL(world.as.issuer);
    assert.match(
      failure.message,
      new RegExp(
        `add --allow-net=127\\.0\\.0\\.1:${as.port},127\\.0\\.0\\.1 \\(everything the sign-in needs`,
      ),
    );
    assert.equal(world.as.counters.authorizations, 0, "no sign-in started");
  });
});
