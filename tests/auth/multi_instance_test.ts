/**
 * Several bridge processes sharing one credential store, as hosts start them: at once, across a
 * rotating refresh, after a revocation, and when a host (or a signing-in bridge) goes away in the
 * middle of a sign-in. Every bridge is the real CLI with exact permissions.
 */

import assert from "node:assert/strict";
import type { Host } from "../_fixtures/bridge_host.ts";
import { INITIALIZED_LINE, initializeLine } from "../_fixtures/bridge_host.ts";
import {
  bridge,
  lockFiles,
  NEVER_FINISHING_BROWSER,
  rawBridge,
  rawRequest,
  readResponse,
  sleep,
  stopRaw,
  storedRecord,
  waitFor,
  withWorld,
  type World,
} from "../_fixtures/oauth_world.ts";

/** How long a waiter may take to take over a sign-in lock whose holder died (heartbeat silence ~10 s). */
const TAKEOVER_BUDGET_MS = 15_000;

async function closeAll(hosts: Host[]): Promise<void> {
  await Promise.allSettled(hosts.map((host) => host.close()));
}

async function echo(host: Host, text: string): Promise<void> {
  const result = await host.client.callTool({ name: "echo", arguments: { text } });
  assert.deepEqual(result.content, [{ type: "text", text }], `echo "${text}"`);
}

/** Waits until the stored access token has expired (by the client's own clock), plus a margin. */
async function untilStoredTokenExpired(world: World, marginMs = 150): Promise<void> {
  const expiresAt = (await storedRecord(world)).tokens?.expires_at;
  assert.ok(expiresAt !== undefined, "the stored tokens expire");
  await sleep(Math.max(0, expiresAt - Date.now() + marginMs));
}

function counters(world: World): string {
  return `AS counters: ${JSON.stringify(world.as.counters)}\nMCP counters: ${
    JSON.stringify(world.mcp.counters)
  }`;
}

Deno.test("OAuth, several instances: three bridges started at once on an empty store sign in once", async () => {
  await withWorld({ prefix: "oauth-multi-" }, async (world) => {
    const started = await Promise.allSettled([bridge(world), bridge(world), bridge(world)]);
    const hosts = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    try {
      const failures = started.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
      assert.deepEqual(failures, [], `every instance connected\n${counters(world)}`);
      const lists = await Promise.all(hosts.map((host) => host.client.listTools()));
      for (const list of lists) assert.ok(list.tools.some((t) => t.name === "echo"));
      await Promise.all(hosts.map((host, i) => echo(host, `instance ${i}`)));
    } finally {
      await closeAll(hosts);
    }
    const stderrs = hosts.map((host) => host.stderr());
    const detail = `${counters(world)}\n${stderrs.join("\n-----\n")}`;
    assert.equal(world.as.counters.registrations, 1, `one registration\n${detail}`);
    assert.equal(world.as.counters.authorizations, 1, `one authorization\n${detail}`);
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1, `one code exchange\n${detail}`);
    assert.equal(
      stderrs.filter((s) => /Signed in to 127\.0\.0\.1/.test(s)).length,
      1,
      `exactly one instance signed in\n${detail}`,
    );
  });
});

Deno.test("OAuth, several instances: five bridges across rotating refreshes never reuse a refresh token", async () => {
  const rounds = 3;
  await withWorld({ prefix: "oauth-multi-", accessTokenTtl: 3 }, async (world) => {
    const hosts: Host[] = [];
    try {
      hosts.push(await bridge(world));
      await hosts[0]!.client.listTools();
      const others = await Promise.allSettled([1, 2, 3, 4].map(() => bridge(world)));
      for (const s of others) if (s.status === "fulfilled") hosts.push(s.value);
      assert.equal(
        hosts.length,
        5,
        `five instances connected: ${others.map((s) => s.status)}\n${counters(world)}`,
      );
      assert.equal(world.as.counters.authorizations, 1, "the later instances used the stored tokens");

      for (let round = 1; round <= rounds; round++) {
        await untilStoredTokenExpired(world);
        const calls = hosts.flatMap((host, i) => [
          echo(host, `round ${round} host ${i} a`),
          echo(host, `round ${round} host ${i} b`),
          host.client.listTools().then((list) => assert.ok(list.tools.length > 0)),
        ]);
        const results = await Promise.allSettled(calls);
        const failed = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
        assert.deepEqual(failed, [], `round ${round}: every call succeeded\n${counters(world)}`);
      }
    } finally {
      await closeAll(hosts);
    }
    const detail = `${counters(world)}\n${hosts.map((h) => h.stderr()).join("\n-----\n")}`;
    assert.deepEqual(world.as.counters.refreshFailures, {}, `no refresh failed\n${detail}`);
    assert.deepEqual(world.as.counters.tokenErrors, {}, `no token request failed\n${detail}`);
    assert.equal(world.as.counters.authorizations, 1, `no second sign-in\n${detail}`);
    assert.equal(world.as.counters.registrations, 1, `no second registration\n${detail}`);
    const refreshes = world.as.counters.tokenRequests.refresh_token ?? 0;
    assert.ok(refreshes >= rounds, `a refresh in every round (${refreshes})\n${detail}`);
    // One refresh per expiry, not one per instance.
    assert.ok(refreshes < rounds * 2, `refreshes are shared between the instances (${refreshes})\n${detail}`);
  });
});

Deno.test("OAuth, revoked refresh token: one refresh attempt, then exactly one new sign-in", async () => {
  await withWorld({ prefix: "oauth-multi-", accessTokenTtl: 2 }, async (world) => {
    const host = await bridge(world);
    try {
      await host.client.listTools();
      assert.equal(world.as.counters.authorizations, 1);
      const record = await storedRecord(world);
      const refreshToken = record.tokens?.refresh_token;
      const client = record.client;
      assert.ok(refreshToken && client, "a refresh token and a registered client are stored");
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
      const body = new URLSearchParams({ token: refreshToken, token_type_hint: "refresh_token" });
      if (client.client_secret) {
        headers.authorization = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;
      } else {
        body.set("client_id", client.client_id);
      }
      const revoked = await fetch(world.as.endpoints.revocation, { method: "POST", headers, body });
      await revoked.body?.cancel();
      assert.equal(revoked.status, 200, "the revocation was accepted");
      assert.equal(world.as.counters.revocations, 1);

      // The protected server checks JWTs locally: the access token stays good until it expires.
      await untilStoredTokenExpired(world);
      const refused = world.mcp.counters.missing + world.mcp.counters.invalid;
      await echo(host, "after revocation");
      assert.ok(
        world.mcp.counters.missing + world.mcp.counters.invalid > refused,
        `the server refused a request (401) before the new sign-in\n${counters(world)}`,
      );
    } finally {
      await host.close();
    }
    const detail = `${counters(world)}\n${host.stderr()}`;
    assert.equal(world.as.counters.tokenRequests.refresh_token, 1, `exactly one refresh attempt\n${detail}`);
    assert.deepEqual(
      world.as.counters.refreshFailures,
      { invalid_grant: 1 },
      `it failed: invalid_grant\n${detail}`,
    );
    assert.equal(world.as.counters.authorizations, 2, `exactly one new sign-in\n${detail}`);
    assert.equal(world.as.counters.tokenRequests.authorization_code, 2, `one more code exchange\n${detail}`);
    assert.equal(world.as.counters.registrations, 1, `the registration was kept\n${detail}`);
  });
});

Deno.test("OAuth, host exits during sign-in: the bridge is gone within 1 s, releases the sign-in lock, and the next one signs in", async () => {
  await withWorld({ prefix: "oauth-multi-" }, async (world) => {
    const raw = rawBridge(world, NEVER_FINISHING_BROWSER);
    let exitMs: number;
    try {
      await raw.write(initializeLine(1));
      await waitFor(
        "the sign-in to start and the browser to give up",
        () =>
          /Opened the authorization URL with \S*never-finishing-browser/.test(raw.stderr()) &&
          world.as.counters.authorizations === 1,
        15_000,
        () => `${counters(world)}\n${raw.stderr()}`,
      );
      const held = await lockFiles(world);
      assert.ok(held.some((n) => n.endsWith(".signin.lock")), `the sign-in lock is held: ${held}`);
      const eof = performance.now();
      await raw.closeStdin();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        raw.status.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5_000))),
      ]);
      clearTimeout(timer);
      exitMs = performance.now() - eof;
      assert.ok(exited, `the bridge exited after stdin EOF\n${raw.stderr()}`);
    } finally {
      await stopRaw(raw);
    }
    assert.ok(
      exitMs < 1_000,
      `the bridge exited ${Math.round(exitMs)} ms after EOF (at most 1000)\n${raw.stderr()}`,
    );
    // The host left: the sign-in is cancelled and its lock released, not left for a takeover.
    const leftover = await lockFiles(world);
    assert.deepEqual(leftover.filter((n) => n.endsWith(".signin.lock")), [], "the sign-in lock was released");

    const start = performance.now();
    const next = await bridge(world);
    const signInMs = performance.now() - start;
    try {
      await echo(next, "after the host left");
    } finally {
      await next.close();
    }
    const detail = `${counters(world)}\n--- first ---\n${raw.stderr()}\n--- next ---\n${next.stderr()}`;
    assert.ok(
      signInMs < 5_000,
      `signed in within ${Math.round(signInMs)} ms, with no lock to wait for\n${detail}`,
    );
    assert.doesNotMatch(next.stderr(), /Took over lock/, detail);
    assert.equal(world.as.counters.authorizations, 2, `one authorization each\n${detail}`);
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1, `one code exchange\n${detail}`);
    assert.deepEqual(await lockFiles(world), [], "no lock is left");
  });
});

Deno.test("OAuth, one signer at a time: a waiter signs in itself when the signer is killed", async () => {
  await withWorld({ prefix: "oauth-multi-" }, async (world) => {
    const signer = rawBridge(world, NEVER_FINISHING_BROWSER);
    const waiter = rawBridge(world);
    const detail = () =>
      `${counters(world)}\n--- signer ---\n${signer.stderr()}\n--- waiter ---\n${waiter.stderr()}`;
    try {
      await signer.write(initializeLine(1));
      await waitFor(
        "the first instance to open the browser",
        () =>
          /Opened the authorization URL with \S*never-finishing-browser/.test(signer.stderr()) &&
          world.as.counters.authorizations === 1,
        15_000,
        detail,
      );
      const prm = world.mcp.counters.prm;
      await waiter.write(initializeLine(1));
      // The waiter got its 401 and discovered the authorization server: it now waits for the lock.
      await waitFor("the second instance to discover", () => world.mcp.counters.prm > prm, 10_000, detail);
      await sleep(1_500);
      assert.equal(world.as.counters.authorizations, 1, `only one browser sign-in at a time\n${detail()}`);
      assert.doesNotMatch(waiter.stderr(), /in your browser/, "the waiter did not start a sign-in");

      const killed = performance.now();
      signer.kill("SIGKILL");
      await signer.status;
      const init = await readResponse(waiter, 1, TAKEOVER_BUDGET_MS + 5_000);
      const signInMs = performance.now() - killed;
      assert.ok("result" in init, `initialize succeeded: ${JSON.stringify(init)}\n${detail()}`);
      assert.ok(
        signInMs < TAKEOVER_BUDGET_MS,
        `the waiter signed in ${Math.round(signInMs)} ms after the kill`,
      );
      await waiter.write(INITIALIZED_LINE);
      const list = await rawRequest(waiter, 2, "tools/list", {});
      const tools = (list.result as { tools?: { name: string }[] } | undefined)?.tools ?? [];
      assert.ok(tools.some((t) => t.name === "echo"), `tools/list: ${JSON.stringify(list)}`);
    } finally {
      await stopRaw(signer);
      await stopRaw(waiter);
    }
    assert.match(waiter.stderr(), /Took over lock .*signin\.lock/, detail());
    assert.match(waiter.stderr(), /Signed in to 127\.0\.0\.1/, detail());
    assert.equal(world.as.counters.authorizations, 2, `the waiter signed in itself\n${detail()}`);
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1, `one code exchange\n${detail()}`);
  });
});
