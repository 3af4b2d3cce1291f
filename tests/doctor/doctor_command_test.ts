import assert from "node:assert/strict";
import { join } from "node:path";
import { bridgeArgs, netFor, type Permissions } from "../_fixtures/bridge_host.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";
import { withWorld } from "../_fixtures/oauth_world.ts";
import type { DoctorJson } from "../../src/doctor/render.ts";
import { PROXY_VARIABLES } from "../../src/net/reach.ts";

/** Runs `mcp-bridge doctor …` as a subprocess with exact permissions (stdout piped: no colour). */
async function doctor(
  args: string[],
  permissions: Permissions,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(["doctor", ...args], permissions),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** A HOME with a Cursor configuration that mentions the server, and the rights to read it. */
async function withHome<T>(serverUrl: string, fn: (home: string) => Promise<T>): Promise<T> {
  await Deno.mkdir(".tmp", { recursive: true });
  const home = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "doctor-home-" }));
  try {
    await Deno.mkdir(join(home, ".cursor"));
    await Deno.writeTextFile(
      join(home, ".cursor", "mcp.json"),
      JSON.stringify({ mcpServers: { test: { command: "mcp-bridge", args: [serverUrl] } } }),
    );
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

const ENV_NAMES = [...PROXY_VARIABLES, "HOME", "XDG_CONFIG_HOME", "USERPROFILE", "APPDATA", "NO_COLOR"];

Deno.test("doctor: a healthy server → exit 0, no step warns or fails, the server's info is shown", async () => {
  const server = await serveTestServer();
  try {
    const url = String(server.url);
    await withHome(url, async (home) => {
      const out = await doctor(
        [url, "--config-dir", home],
        { net: [netFor(url)], env: ENV_NAMES, read: [home] },
        { HOME: home },
      );
      assert.equal(out.code, 0, out.stdout + out.stderr);
      assert.ok(!out.stdout.includes("\x1b["), "no colour when piped");
      const rows = out.stdout.split("\n").filter((line) => /^(ok|warn|fail|skip) /.test(line));
      assert.equal(rows.length, 8, out.stdout);
      for (const row of rows) assert.match(row, /^(ok|skip) /, out.stdout);
      assert.match(out.stdout, /^ok +server URL/m);
      assert.match(out.stdout, /^ok +TCP connect +127\.0\.0\.1:\d+ accepts connections/m);
      assert.match(out.stdout, /^ok +MCP initialize +HTTP 200 \([^)]+\): protocol 2025-11-25, server \S+/m);
      assert.match(out.stdout, /^ok +host config files +mentioned in cursor/m);
      assert.match(out.stdout, /The bridge can use this server/);
    });
  } finally {
    await server.close();
  }
});

Deno.test("doctor: a closed port → exit 1, the TCP step fails and says what to do", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const url = `http://127.0.0.1:${port}/mcp`;
  const out = await doctor([url, "--json"], { net: [netFor(url)], env: ENV_NAMES });
  assert.equal(out.code, 1, out.stderr);
  const report = JSON.parse(out.stdout) as DoctorJson;
  assert.equal(report.ok, false);
  const tcp = report.steps.find((s) => s.name === "TCP connect")!;
  assert.equal(tcp.status, "fail");
  assert.match(tcp.detail, /refused/);
  assert.match(tcp.next!, /check that the server runs/);
});

Deno.test("doctor: without --allow-net the TCP step names the exact flag", async () => {
  const server = await serveTestServer();
  try {
    const url = String(server.url);
    const out = await doctor([url], { env: ENV_NAMES });
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stdout, /^fail +TCP connect +no permission to connect to 127\.0\.0\.1:\d+/m);
    assert.ok(out.stdout.includes(`next: run again with --allow-net=${netFor(url)}`), out.stdout);
    // Unreadable files are skipped naming the flag too.
    assert.match(out.stdout, /--allow-read=/);
  } finally {
    await server.close();
  }
});

Deno.test("doctor: an OAuth server → sign-in needed, discovery lists the authorization server and PKCE", async () => {
  await withWorld({ prefix: "doctor-oauth-" }, async (world) => {
    const out = await doctor(
      [String(world.mcp.url), "--config-dir", world.dir, "--json"],
      { net: ["127.0.0.1"], env: ENV_NAMES, read: [world.dir] },
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const report = JSON.parse(out.stdout) as DoctorJson;
    assert.equal(report.ok, true);
    assert.equal(report.server, String(world.mcp.url));
    const byName = new Map(report.steps.map((s) => [s.name, s]));
    assert.match(byName.get("MCP initialize")!.detail, /HTTP 401.*sign in/);
    const discovery = byName.get("OAuth discovery")!;
    assert.equal(discovery.status, "ok", discovery.detail);
    assert.ok(discovery.detail.includes(`authorization server ${world.as.issuer}`), discovery.detail);
    assert.match(discovery.detail, /PKCE S256: yes/);
    const credentials = byName.get("stored credentials")!;
    assert.equal(credentials.status, "ok");
    assert.match(credentials.next!, /mcp-bridge login/);
  });
});

Deno.test("doctor: an OAuth server whose authorization server is not allowed → the flag for it", async () => {
  await withWorld({ prefix: "doctor-oauth-" }, async (world) => {
    const out = await doctor(
      [String(world.mcp.url), "--config-dir", world.dir, "--json"],
      { net: [netFor(world.mcp.url)], env: ENV_NAMES, read: [world.dir] },
    );
    assert.equal(out.code, 1, out.stdout + out.stderr);
    const discovery = (JSON.parse(out.stdout) as DoctorJson).steps.find((s) => s.name === "OAuth discovery")!;
    assert.equal(discovery.status, "fail");
    assert.ok(discovery.next?.includes(`--allow-net=${netFor(world.as.issuer)}`), JSON.stringify(discovery));
  });
});

Deno.test("doctor: the user's headers go with the probe (a server that wants an API key), the URL found after them", async () => {
  // A server that answers only with its API key, as a gateway in front of it would.
  const deletes: (string | null)[] = [];
  const server = await serveTestServer({
    intercept: (request) => {
      if (request.method === "DELETE") deletes.push(request.headers.get("x-api-key"));
      return request.headers.get("x-api-key") === "k-12345"
        ? undefined
        : new Response("no key", { status: 403 });
    },
  });
  try {
    const url = String(server.url);
    await withHome(url, async (home) => {
      const permissions = { net: [netFor(url)], env: [...ENV_NAMES, "API_KEY"], read: [home] };
      // The header flag comes first: its value must not be taken for the URL.
      const args = ["--header", "X-Api-Key: ${API_KEY}", url, "--config-dir", home];
      const out = await doctor(args, permissions, { HOME: home, API_KEY: "k-12345" });
      assert.equal(out.code, 0, out.stdout + out.stderr);
      assert.match(out.stdout, /^ok +headers +sent: X-Api-Key/m);
      assert.match(out.stdout, /^ok +MCP initialize +HTTP 200/m);
      assert.doesNotMatch(out.stdout + out.stderr, /k-12345/);
      // The probe's session is closed again, with the same headers (the server wants its key for that too).
      assert.deepEqual(deletes, ["k-12345"]);

      const wrong = await doctor(args, permissions, { HOME: home, API_KEY: "wrong" });
      assert.equal(wrong.code, 1, wrong.stdout);
      assert.match(wrong.stdout, /^fail +MCP initialize +HTTP 403/m);

      // The variable cannot be read: the step says so, as the bridge would, and names the flag.
      const denied = await doctor(args, { ...permissions, env: ENV_NAMES }, {
        HOME: home,
        API_KEY: "k-12345",
      });
      assert.equal(denied.code, 1, denied.stdout);
      assert.match(denied.stdout, /^fail +headers +.*--allow-env=API_KEY/m);
    });
  } finally {
    await server.close();
  }
});
