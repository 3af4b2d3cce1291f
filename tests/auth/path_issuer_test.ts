/**
 * Authorization servers whose issuer has a path and that serve their metadata only below it, the way
 * Keycloak (`/realms/<realm>`) and Okta's custom authorization servers (`/oauth2/<id>`) do: oidc-provider
 * mounted below such a path, nothing at the root. The bridge finds the metadata at the third well-known
 * URL of the specification's order and signs in with the standard requests.
 */

import assert from "node:assert/strict";
import { connectHost } from "../_fixtures/bridge_host.ts";
import { BROWSER, onlyRecord, signInPermissions, withOAuthWorld } from "../_fixtures/oauth_cli.ts";

function text(result: { content?: unknown }): string {
  return ((result.content as { text?: string }[] | undefined)?.[0]?.text) ?? "";
}

for (const [provider, issuerPath] of [["Keycloak", "/realms/mcp"], ["Okta", "/oauth2/default"]] as const) {
  Deno.test(`a ${provider}-like issuer (${issuerPath}): discovery below the path, sign-in, a call`, async () => {
    await withOAuthWorld({ as: { issuerPath } }, async (world) => {
      assert.ok(world.as.issuer.endsWith(issuerPath));
      const host = await connectHost(world.mcp.url, {
        args: ["--config-dir", world.dir],
        permissions: signInPermissions(world.dir),
        env: { BROWSER },
      });
      try {
        assert.equal(text(await host.client.callTool({ name: "echo", arguments: { text: "p" } })), "p");
      } finally {
        await host.close();
      }
      const { record } = await onlyRecord(world.dir);
      assert.equal(
        record.issuer,
        world.as.issuer,
        "the issuer, path included, is what the record is bound to",
      );
      assert.ok(record.tokens?.refresh_token, "a refresh token came back");
    });
  });
}
