/**
 * Identity-provider profiles: the pure table, then the real CLI against oidc-provider made to behave
 * like each provider (`behaveLike` of src/demo/oauth_server.ts): an Entra-like server refuses `resource`,
 * an Auth0-like one issues API tokens only for a named `audience`, a Google-like one gives a refresh
 * token only after `access_type=offline`. Each profile is shown to work, and its absence to fail.
 */

import assert from "node:assert/strict";
import { IDP_PROFILES, profileFor } from "../../src/auth/idp_profiles.ts";
import { connectHost } from "../_fixtures/bridge_host.ts";
import {
  BROWSER,
  type OAuthWorld,
  onlyRecord,
  runCli,
  signInPermissions,
  sleep,
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

/** Signs in through a bridge with `--idp-profile <name>` and calls a tool: the answer, or the error. */
async function callWith(
  world: OAuthWorld,
  name: string,
): Promise<{ text?: string; error?: string; stderr: string }> {
  let host: Awaited<ReturnType<typeof connectHost>> | undefined;
  try {
    host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--idp-profile", name, "--auth-timeout", "20s"],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    const result = await host.client.callTool({ name: "echo", arguments: { text: "hi" } });
    return { text: (result.content as { text?: string }[])[0]?.text ?? "", stderr: host.stderr() };
  } catch (error) {
    return { error: (error as Error).message, stderr: host?.stderr() ?? "" };
  } finally {
    await host?.close();
  }
}

Deno.test("--idp-profile entra against an Entra-like server (refuses resource): audience-bound scopes, a call, a refresh", async () => {
  // Tokens live 3 s: past four fifths of that, the second bridge refreshes the stored one.
  await withOAuthWorld({ as: { behaveLike: "entra", accessTokenTtl: 3 } }, async (world) => {
    const call = await callWith(world, "entra");
    assert.equal(call.text, "hi", call.error ?? call.stderr);
    const sent = world.authorizations[0]!;
    assert.equal(sent.resource, undefined, "resource was sent to an Entra-like server");
    const audience = world.mcp.url.href.replace(/\/+$/, "");
    const scopes = sent.scope?.split(" ") ?? [];
    assert.ok(scopes.some((s) => s.startsWith(`${audience}/`)), sent.scope);
    assert.ok(scopes.every((s) => s === "offline_access" || s.startsWith(`${audience}/`)), sent.scope);
    const { record } = await onlyRecord(world.dir);
    assert.ok(record.tokens?.refresh_token, "no refresh token: the user would sign in again every hour");
    await sleep(Math.max(0, record.tokens!.expires_at! - 600 - Date.now()) + 100);
    const again = await callWith(world, "entra");
    assert.equal(again.text, "hi", again.error ?? again.stderr);
    assert.equal(world.as.counters.tokenRequests.refresh_token, 1, again.stderr);
    assert.deepEqual(world.as.counters.refreshFailures, {});
    assert.equal(world.authorizations.length, 1, "signed in again instead of refreshing");
  });
});

Deno.test("--idp-profile none against an Entra-like server: refused with invalid_target (what the profile avoids)", async () => {
  await withOAuthWorld({ as: { behaveLike: "entra" } }, async (world) => {
    const { result } = await authorizationWith(world, "none", ["--auth-timeout", "20s"]);
    assert.notEqual(result.code, 0, "the Entra-like server accepted resource");
    assert.match(result.stderr, /invalid_target/);
  });
});

Deno.test("--idp-profile auth0 against an Auth0-like server: the API is named as audience, and the token works", async () => {
  await withOAuthWorld({ as: { behaveLike: "auth0" } }, async (world) => {
    const call = await callWith(world, "auth0");
    assert.equal(call.text, "hi", call.error ?? call.stderr);
    assert.equal(world.authorizations[0]?.query.audience, world.mcp.url.href);
  });
});

Deno.test("--idp-profile none against an Auth0-like server: a token for its userinfo, which the MCP server refuses", async () => {
  await withOAuthWorld({ as: { behaveLike: "auth0" } }, async (world) => {
    const call = await callWith(world, "none");
    assert.equal(call.text, undefined, "the Auth0-like server issued an API token without audience");
    assert.equal(world.authorizations[0]?.query.audience, undefined);
  });
});

Deno.test("--idp-profile google against a Google-like server: access_type=offline and prompt=consent bring a refresh token", async () => {
  await withOAuthWorld({ as: { behaveLike: "google" } }, async (world) => {
    const call = await callWith(world, "google");
    assert.equal(call.text, "hi", call.error ?? call.stderr);
    const sent = world.authorizations[0]!;
    assert.equal(sent.query.access_type, "offline");
    assert.equal(sent.query.prompt, "consent");
    assert.equal(sent.resource, undefined);
    assert.ok(!(sent.scope ?? "").split(" ").includes("offline_access"), sent.scope);
    const { record } = await onlyRecord(world.dir);
    assert.ok(record.tokens?.refresh_token, "no refresh token from the Google-like server");
  });
});

Deno.test("--idp-profile none against a Google-like server: signed in, but no refresh token (hourly sign-in)", async () => {
  await withOAuthWorld({ as: { behaveLike: "google" } }, async (world) => {
    const call = await callWith(world, "none");
    assert.equal(call.text, "hi", call.error ?? call.stderr);
    const { record } = await onlyRecord(world.dir);
    assert.equal(
      record.tokens?.refresh_token,
      undefined,
      "the Google-like server gave a refresh token anyway",
    );
  });
});
