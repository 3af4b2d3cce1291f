import assert from "node:assert/strict";
import { bridgeArgs, connectHost, type Host, HostConnectError, MAIN } from "../_fixtures/bridge_host.ts";
import { BROWSER, withWorld, type World } from "../_fixtures/oauth_world.ts";
import { v8FlagsArgument } from "../../src/config/runtime_flags.ts";
import { keychainToolFor } from "../../src/auth/store/keychain_tool.ts";
import { serveExample } from "../../src/demo/example_server.ts";
import { dirnamePath } from "../../src/fs/path.ts";

/** Runs `mcp-bridge config …` as a user would (with the rights to discover), returning stdout and stderr. */
/** The arguments that make `config` print one host's entry for the local bridge and the world's dir. */
function entryFor(world: World, hostApp: string): string[] {
  return ["--host-app", hostApp, "--bridge-module", MAIN, "--config-dir", world.dir];
}

function config(
  world: World,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return configFor(world.mcp.url, world.dir, args);
}

async function configFor(
  url: URL,
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(["config", String(url), ...args], {
      net: ["127.0.0.1"],
      env: ["BROWSER", "HOME", "XDG_CONFIG_HOME", "MCP_BRIDGE_CONFIG_DIR"],
      read: [dir],
    }),
    env: { BROWSER, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** The `--allow-<name>=…` flag of the one Claude Desktop entry `config` printed ("" when absent). */
function allowFlagOf(stdout: string): (name: string) => string {
  const entry = Object.values(
    (JSON.parse(stdout) as { mcpServers: Record<string, { args: string[] }> }).mcpServers,
  )[0]!;
  return (name) => entry.args.find((a) => a.startsWith(`--allow-${name}=`)) ?? "";
}

/** Splits a line of POSIX shell words as `shellWord` writes them (plain, or in single quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/(?:'((?:[^']|'\\'')*)'|(\S+))(?=\s|$)/g)) {
    words.push(match[1] !== undefined ? match[1].replaceAll(`'\\''`, "'") : match[2]!);
  }
  return words;
}

/**
 * Runs the `deno install -g` line that `config --install` printed (into a scratch root) and checks that
 * the installed command runs exactly the arguments of the plain entry.
 */
async function installsTheSameCommand(line: string, name: string, runArgs: string[]): Promise<void> {
  const words = shellWords(line);
  assert.deepEqual(words.slice(0, 3), ["deno", "install", "-g"]);
  const root = await Deno.makeTempDir({ dir: "./.tmp" });
  try {
    const output = await new Deno.Command("deno", {
      args: [...words.slice(1, 3), "--root", root, ...words.slice(3)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const shim = await Deno.readTextFile(`${root}/bin/mcp-bridge-${name}`);
    const exec = shellWords(/^exec (deno run .*) "\$@"$/m.exec(shim)?.[1] ?? "");
    // Deno adds its own --config and may reorder the flags; the module and the bridge's arguments stay last.
    const module = new URL(`file://${MAIN}`).href;
    const expected = runArgs.slice(1).map((arg) => arg === MAIN ? module : arg);
    const got = exec.slice(2).filter((word, i, all) => word !== "--config" && all[i - 1] !== "--config");
    assert.deepEqual([...got].sort(), [...expected].sort());
    assert.deepEqual(got.slice(got.indexOf(module)), expected.slice(expected.indexOf(module)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Starts exactly the command of an entry, as a host would, and connects an SDK client to it. */
async function launch(
  entry: { command: string; args: string[] },
  env: Record<string, string>,
): Promise<Host> {
  return await connectHost("unused:", { launch: entry, env });
}

Deno.test("config prints a Claude Desktop entry whose exact flags are enough for a sign-in and a refresh", async () => {
  await withWorld({ accessTokenTtl: 2 }, async (world) => {
    const out = await config(world, [
      ...entryFor(world, "claude-desktop"),
      "--host",
      "127.0.0.1",
    ]);
    assert.equal(out.code, 0, out.stderr);
    const parsed = JSON.parse(out.stdout) as {
      mcpServers: Record<string, { command: string; args: string[] }>;
    };
    const [name, entry] = Object.entries(parsed.mcpServers)[0]!;
    assert.equal(name, `127-0-0-1-${world.mcp.url.port}`);
    assert.equal(entry.command, "deno");
    const as = new URL(world.as.issuer);
    assert.deepEqual(entry.args, [
      "run",
      "--quiet",
      "--no-prompt",
      v8FlagsArgument(),
      `--allow-net=127.0.0.1:${world.mcp.url.port},127.0.0.1:${as.port},127.0.0.1`,
      `--allow-read=${world.dir}`,
      `--allow-write=${world.dir}`,
      "--allow-env=HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,ALL_PROXY,all_proxy,BROWSER",
      `--allow-run=${BROWSER}`,
      MAIN,
      String(world.mcp.url),
      "--config-dir",
      world.dir,
      "--host",
      "127.0.0.1",
    ]);
    assert.match(out.stderr, /signs in with the authorization server http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out.stderr, /run this again with --install/);

    const host = await launch(entry, { BROWSER });
    try {
      const first = await host.client.callTool({ name: "echo", arguments: { text: "signed in" } });
      assert.deepEqual(first.content, [{ type: "text", text: "signed in" }]);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // the access token expires
      const second = await host.client.callTool({ name: "echo", arguments: { text: "refreshed" } });
      assert.deepEqual(second.content, [{ type: "text", text: "refreshed" }]);
    } finally {
      await host.close();
    }
    assert.equal(world.as.counters.authorizations, 1, "one browser sign-in");
    assert.ok((world.as.counters.tokenRequests.refresh_token ?? 0) >= 1, "a refresh");
  });
});

Deno.test("config for a server without sign-in: the entry grants the config dir, and with exactly its flags a 2025-era server is probed once", async () => {
  const methods: string[] = [];
  const server = await serveExample({
    port: 0,
    intercept: async (request) => {
      const method = request.method === "POST" &&
        /"method"\s*:\s*"([^"]+)"/.exec(await request.clone().text())?.[1];
      if (method) methods.push(method);
      return undefined;
    },
  });
  await Deno.mkdir("./.tmp", { recursive: true });
  // Not made yet: the bridge makes <dir>/eras (and <dir>) with only <dir>/eras granted.
  const dir = `${await Deno.realPath(
    await Deno.makeTempDir({ dir: "./.tmp", prefix: "config-era-" }),
  )}/config`;
  try {
    const out = await configFor(server.url, dir, [
      "--host-app",
      "cursor",
      "--bridge-module",
      MAIN,
      "--config-dir",
      dir,
    ]);
    assert.equal(out.code, 0, out.stderr);
    const entry = Object.values(
      (JSON.parse(out.stdout) as { mcpServers: Record<string, { command: string; args: string[] }> })
        .mcpServers,
    )[0]!;
    assert.deepEqual(entry.args, [
      "run",
      "--quiet",
      "--no-prompt",
      v8FlagsArgument(),
      `--allow-net=127.0.0.1:${server.url.port}`,
      // The era memory only: this bridge may not read the credentials of other servers.
      `--allow-read=${dir}/eras`,
      `--allow-write=${dir}/eras`,
      "--allow-env=HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,ALL_PROXY,all_proxy",
      MAIN,
      String(server.url),
      "--config-dir",
      dir,
    ]);
    methods.length = 0;
    for (const text of ["first", "second"]) {
      const host = await launch(entry, {});
      try {
        const result = await host.client.callTool({ name: "echo", arguments: { text } });
        assert.deepEqual(result.content, [{ type: "text", text }]);
      } finally {
        await host.close();
      }
    }
    assert.equal(methods.filter((m) => m === "server/discover").length, 1, `probed once: ${methods}`);
    // With --protocol legacy nothing is probed, so nothing is remembered and no dir is granted.
    const forced = await configFor(server.url, dir, ["--host-app", "cursor", "--protocol", "legacy"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.doesNotMatch(forced.stdout, /--allow-read|--allow-write|--config-dir/);
  } finally {
    await server.close();
    await Deno.remove(dirnamePath(dir), { recursive: true });
  }
});

Deno.test("config: each permission of the entry is needed; without it the bridge names the flag", async () => {
  await withWorld({}, async (world) => {
    const out = await config(world, [
      ...entryFor(world, "cursor"),
      "--host",
      "127.0.0.1",
      "--auth-timeout",
      "3s",
    ]);
    assert.equal(out.code, 0, out.stderr);
    const entry = Object.values(
      (JSON.parse(out.stdout) as { mcpServers: Record<string, { command: string; args: string[] }> })
        .mcpServers,
    )[0]!;
    const permissions = entry.args.filter((arg) => arg.startsWith("--allow-"));
    assert.equal(permissions.length, 5);
    for (const removed of permissions) {
      const flag = removed.split("=")[0]!;
      const args = entry.args.filter((arg) => arg !== removed);
      const failure = await launch({ command: entry.command, args }, { BROWSER }).then(
        async (host) => {
          try {
            await host.client.callTool({ name: "echo", arguments: { text: "x" } });
            return `no failure; stderr:\n${host.stderr()}`;
          } catch (error) {
            return `${(error as Error).message}\n${host.stderr()}`;
          } finally {
            await host.close();
          }
        },
        (error: Error) =>
          error instanceof HostConnectError ? `${error.message}\n${error.stderr}` : error.message,
      );
      assert.match(failure, new RegExp(flag.replace(/-/g, "\\-")), `without ${removed}: ${failure}`);
    }
  });
});

Deno.test("config --install: a deno install line that bakes in the entry's exact flags (header templates kept), and entries that run it", async () => {
  await withWorld({}, async (world) => {
    const args = [
      ...entryFor(world, "cursor"),
      "--header",
      "X-Api-Key: ${API_KEY}",
    ];
    const plain = await config(world, args);
    assert.equal(plain.code, 0, plain.stderr);
    const [name, entry] = Object.entries(
      (JSON.parse(plain.stdout) as { mcpServers: Record<string, { args: string[] }> }).mcpServers,
    )[0]!;
    const installed = await config(world, [...args, "--install"]);
    assert.equal(installed.code, 0, installed.stderr);
    const [line, ...rest] = installed.stdout.split("\n");
    assert.match(line!, /'X-Api-Key: \$\{API_KEY\}'/, "the template is printed as it is, not redacted");
    assert.deepEqual(JSON.parse(rest.join("\n")), {
      mcpServers: { [name]: { command: `mcp-bridge-${name}`, args: [] } },
    });
    assert.match(installed.stderr, new RegExp(`installs "mcp-bridge-${name}", which the entries run`));
    await installsTheSameCommand(line!, name, entry.args);
  });
});

Deno.test("config: a server that cannot be reached is exit 1 (not a usage error), with the reason", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(["config", `http://127.0.0.1:${port}/mcp`, "--host-app", "cursor"], {
      net: [`127.0.0.1:${port}`],
      env: ["HOME", "XDG_CONFIG_HOME", "MCP_BRIDGE_CONFIG_DIR"],
    }),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 1, stderr);
  assert.match(stderr, /Cannot make the configuration: /);
  assert.equal(new TextDecoder().decode(output.stdout), "");
});

Deno.test("config: the enterprise flags add what they need: the keychain tool, the token and key files, the IdP host", async () => {
  await withWorld({}, async (world) => {
    const idp = {
      token_endpoint: "https://idp.example.com/oauth2/token",
      client_id: "b",
      id_token: "@/run/sso/id_token",
    };
    const out = await config(world, [
      ...entryFor(world, "claude-desktop"),
      "--store",
      "keychain",
      "--enterprise-idp",
      JSON.stringify(idp),
      "--static-oauth-client-info",
      JSON.stringify({ client_id: "app", private_key: "@/keys/app.pem" }),
    ]);
    assert.equal(out.code, 0, out.stderr);
    const flag = allowFlagOf(out.stdout);
    assert.ok(flag("run").split(/[=,]/).includes(keychainToolFor(Deno.build.os)!.program), flag("run"));
    assert.ok(flag("read").split(/[=,]/).includes("/run/sso/id_token"), flag("read"));
    assert.ok(flag("read").split(/[=,]/).includes("/keys/app.pem"), flag("read"));
    assert.ok(flag("net").split(/[=,]/).includes("idp.example.com:443"), flag("net"));
  });
});

Deno.test("config: --enterprise-idp with an issuer only (browser sign-in at the IdP) adds the IdP host, the browser and the callback", async () => {
  await withWorld({}, async (world) => {
    const out = await config(world, [
      ...entryFor(world, "claude-desktop"),
      "--enterprise-idp",
      JSON.stringify({ issuer: "https://sso.example.com/oauth2/default", client_id: "b" }),
      "--static-oauth-client-info",
      JSON.stringify({ client_id: "app", client_secret: "s" }),
    ]);
    assert.equal(out.code, 0, out.stderr);
    const flag = allowFlagOf(out.stdout);
    assert.ok(flag("net").split(/[=,]/).includes("sso.example.com:443"), flag("net"));
    assert.ok(flag("run").split(/[=,]/).includes(BROWSER), `the browser may not run: ${flag("run")}`);
    assert.ok(flag("env").split(/[=,]/).includes("BROWSER"), flag("env"));
    assert.ok(flag("net").split(/[=,]/).includes("[::1]"), `no callback listener: ${flag("net")}`);
  });
});
