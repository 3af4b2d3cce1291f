import assert from "node:assert/strict";
import { hostConfigPath, mergeEntry } from "../../src/config/host_config_file.ts";
import { v8FlagsArgument } from "../../src/config/runtime_flags.ts";
import { bridgeArgs, MAIN } from "../_fixtures/bridge_host.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";

const LAUNCH = { name: "docs", command: "deno", args: ["run", "x"] };

Deno.test("hostConfigPath(): each host's file on each system; a variable that cannot be read names its flag", () => {
  const env = (name: string) =>
    ({ HOME: "/home/me", APPDATA: "C:\\Users\\me\\AppData\\Roaming", USERPROFILE: "C:\\Users\\me" })[name];
  assert.equal(
    hostConfigPath("claude-desktop", "darwin", env, "/w"),
    "/home/me/Library/Application Support/Claude/claude_desktop_config.json",
  );
  assert.equal(
    hostConfigPath("claude-desktop", "linux", env, "/w"),
    "/home/me/.config/Claude/claude_desktop_config.json",
  );
  assert.equal(hostConfigPath("windsurf", "linux", env, "/w"), "/home/me/.codeium/windsurf/mcp_config.json");
  assert.throws(() => hostConfigPath("cursor", "linux", () => undefined, "/w"), /--allow-env=HOME/);
});

Deno.test("mergeEntry(): adds or replaces one server, keeps the rest, refuses what is not a JSON object", () => {
  const vscode = JSON.parse(
    mergeEntry("vscode", '{"servers":{"a":{"type":"http","url":"u"}},"inputs":[]}', LAUNCH),
  );
  assert.deepEqual(vscode, {
    servers: { a: { type: "http", url: "u" }, docs: { type: "stdio", command: "deno", args: ["run", "x"] } },
    inputs: [],
  });
  const replaced = JSON.parse(mergeEntry("cursor", '{"mcpServers":{"docs":{"command":"old"}}}', LAUNCH));
  assert.deepEqual(replaced.mcpServers.docs, { command: "deno", args: ["run", "x"] });
  assert.deepEqual(JSON.parse(mergeEntry("cursor", undefined, LAUNCH)), {
    mcpServers: { docs: { command: "deno", args: ["run", "x"] } },
  });
  assert.throws(() => mergeEntry("cursor", "[1]", LAUNCH), /not a JSON object/);
  assert.throws(() => mergeEntry("cursor", "{oops", LAUNCH), /not JSON/);
  assert.throws(() => mergeEntry("cursor", '{"mcpServers":[]}', LAUNCH), /"mcpServers" is not an object/);
});

Deno.test("config --write merges the entry into the host's file, backs the old one up, and keeps the other servers", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  await Deno.mkdir(".tmp", { recursive: true });
  const home = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "config-write-" }));
  try {
    const file = `${home}/.cursor/mcp.json`;
    await Deno.mkdir(`${home}/.cursor`);
    await Deno.writeTextFile(
      file,
      JSON.stringify({ mcpServers: { mine: { command: "node", args: ["x.js"] } } }),
    );
    const output = await new Deno.Command("deno", {
      args: bridgeArgs(
        [
          "config",
          String(server.url),
          "--host-app",
          "cursor",
          "--write",
          "--name",
          "test",
          "--bridge-module",
          MAIN,
        ],
        { net: ["127.0.0.1"], env: ["HOME"], read: [home], write: [home] },
      ),
      env: { HOME: home, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const written = JSON.parse(await Deno.readTextFile(file));
    const configDir = Deno.build.os === "darwin"
      ? `${home}/Library/Application Support/mcp-bridge`
      : `${home}/.config/mcp-bridge`;
    assert.deepEqual(written.mcpServers.mine, { command: "node", args: ["x.js"] });
    assert.deepEqual(written.mcpServers.test, {
      command: "deno",
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        v8FlagsArgument(),
        `--allow-net=127.0.0.1:${server.url.port}`,
        // The config dir's era memory, and no more of it.
        `--allow-read=${configDir}/eras`,
        `--allow-write=${configDir}/eras`,
        "--allow-env=HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,ALL_PROXY,all_proxy",
        MAIN,
        String(server.url),
        "--config-dir",
        configDir,
      ],
    });
    const backups = [...Deno.readDirSync(`${home}/.cursor`)].filter((e) =>
      e.name.startsWith("mcp.json.bak-")
    );
    assert.equal(backups.length, 1);
    assert.match(stderr, /Added "test" to .*mcp\.json \(the old file is in .*\.bak-/);
  } finally {
    await Deno.remove(home, { recursive: true });
    await server.close();
  }
});
