import assert from "node:assert/strict";
import { IDP_PROFILES, profileFor } from "../../src/auth/idp_profiles.ts";
import {
  BROWSER,
  type OAuthWorld,
  runCli,
  signInPermissions,
  withOAuthWorld,
} from "../_fixtures/oauth_cli.ts";

const profile = (name: string) => IDP_PROFILES.find((p) => p.name === name)!;

/** Runs `login --idp-profile <name>` and returns the first authorization request the server saw. */
async function authorizationWith(world: OAuthWorld, name: string, extra: string[] = []) {
  const result = await runCli(
    ["login", world.mcp.url.href, "--config-dir", world.dir, "--idp-profile", name, ...extra],
    signInPermissions(world.dir),
    { BROWSER },
  );
  const sent = world.authorizations[0];
  assert.ok(sent, `no authorization request was made: ${result.stderr}`);
  return { sent, result };
}

Deno.test("profileFor: recognised by the issuer's host (not by a look-alike), chosen by name, or off", () => {
  assert.equal(profileFor("https://login.microsoftonline.com/tid/v2.0")?.name, "entra");
  assert.equal(profileFor("https://sts.windows.net/tid/"), undefined, "the v1 issuer needs resource");
  assert.equal(profileFor("https://acme.eu.auth0.com/")?.name, "auth0");
  assert.equal(profileFor("https://accounts.google.com")?.name, "google");
  assert.equal(profileFor("https://login.microsoftonline.com.evil.example/"), undefined);
  assert.equal(profileFor("https://notauth0.com/"), undefined);
  assert.equal(profileFor("https://keycloak.example.com/realms/a"), undefined);
  assert.equal(profileFor("https://as.example.com", "entra")?.name, "entra");
  assert.equal(profileFor("https://accounts.google.com", "none"), undefined);
});

Deno.test("entra: no resource; scopes get the resource as their audience, .default when there are none", () => {
  const entra = profile("entra");
  assert.equal(entra.sendResource, false);
  assert.equal(
    entra.scope("mcp.read offline_access", "api://mcp-app/"),
    "api://mcp-app/mcp.read offline_access",
  );
  assert.equal(entra.scope(undefined, "https://mcp.example.com/mcp"), "https://mcp.example.com/mcp/.default");
  // A hostile server asking for another API's scope does not get a token for that API.
  assert.equal(
    entra.scope("https://graph.microsoft.com/Mail.Read openid", "https://mcp.example.com"),
    "https://mcp.example.com/.default openid",
  );
  assert.equal(entra.scope("api://other/x", "https://mcp.example.com"), "https://mcp.example.com/.default");
  assert.equal(
    entra.scope("https://mcp.example.com/read", "https://mcp.example.com/"),
    "https://mcp.example.com/read",
  );
});

Deno.test("auth0 asks for the API as audience; google asks for a refresh token its own way", () => {
  assert.deepEqual(profile("auth0").authorizeParams("https://mcp.example.com/mcp"), [[
    "audience",
    "https://mcp.example.com/mcp",
  ]]);
  const google = profile("google");
  assert.equal(google.sendResource, false);
  assert.deepEqual(google.authorizeParams(undefined), [["access_type", "offline"], ["prompt", "consent"]]);
  assert.equal(google.scope("openid offline_access", undefined), "openid");
  assert.equal(google.scope("offline_access", undefined), undefined);
});

Deno.test("--idp-profile entra: the authorization request carries no resource and audience-bound scopes", async () => {
  await withOAuthWorld({}, async (world) => {
    const { sent } = await authorizationWith(world, "entra", ["--auth-timeout", "10s"]);
    assert.equal(sent.resource, undefined, "resource was sent to an Entra-like server");
    const audience = world.mcp.url.href.replace(/\/+$/, "");
    assert.ok(
      sent.scope?.split(" ").every((s) => s === "offline_access" || s.startsWith(`${audience}/`)),
      sent.scope,
    );
  });
});

Deno.test("--idp-profile auth0: the authorization request names the MCP server as audience (and resource)", async () => {
  await withOAuthWorld({}, async (world) => {
    const { sent, result } = await authorizationWith(world, "auth0");
    assert.equal(sent.query.audience, world.mcp.url.href);
    assert.equal(sent.resource, world.mcp.url.href);
    assert.equal(result.code, 0, result.stderr);
  });
});

Deno.test("--idp-profile google: access_type=offline and prompt=consent, no resource, no offline_access", async () => {
  await withOAuthWorld({}, async (world) => {
    const { sent } = await authorizationWith(world, "google", ["--auth-timeout", "10s"]);
    assert.equal(sent.query.access_type, "offline");
    assert.equal(sent.query.prompt, "consent");
    assert.equal(sent.resource, undefined);
    assert.ok(!(sent.scope ?? "").split(" ").includes("offline_access"), sent.scope);
  });
});
