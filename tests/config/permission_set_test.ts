import assert from "node:assert/strict";
import { denoPermissionFlags, netEntry, type PermissionPlan } from "../../src/config/permission_set.ts";
import { hostEntry, serverName, shellWord } from "../../src/config/host_entries.ts";
import { parseConfigArgs } from "../../src/config/config_command.ts";

const BASE: PermissionPlan = {
  serverUrl: new URL("https://mcp.example.com/mcp"),
  authUrls: [],
  browserSignIn: false,
  envVars: [],
  readFiles: [],
  runPrograms: [],
};

Deno.test("denoPermissionFlags(): a server without sign-in needs its host and port only", () => {
  assert.deepEqual(denoPermissionFlags(BASE), ["--allow-net=mcp.example.com:443"]);
  assert.deepEqual(denoPermissionFlags({ ...BASE, serverUrl: new URL("http://127.0.0.1:8080/mcp") }), [
    "--allow-net=127.0.0.1:8080",
  ]);
});

Deno.test("denoPermissionFlags(): a sign-in adds the authorization server's hosts, the callback, the config dir and the opener", () => {
  const flags = denoPermissionFlags({
    ...BASE,
    authUrls: [
      new URL("https://auth.example.com"),
      new URL("https://auth.example.com/token"),
      new URL("https://register.example.com:8443/reg"),
    ],
    browserSignIn: true,
    configDir: "/home/me/.config/mcp-bridge",
    envVars: ["API_TOKEN", "API_TOKEN", "BROWSER"],
    readFiles: ["/etc/headers.txt"],
    runPrograms: ["xdg-open"],
  });
  assert.deepEqual(flags, [
    "--allow-net=mcp.example.com:443,auth.example.com:443,register.example.com:8443,127.0.0.1,[::1]",
    "--allow-read=/home/me/.config/mcp-bridge,/etc/headers.txt",
    "--allow-write=/home/me/.config/mcp-bridge",
    "--allow-env=API_TOKEN,BROWSER",
    "--allow-run=xdg-open",
  ]);
  assert.deepEqual(
    denoPermissionFlags({ ...BASE, browserSignIn: true, callbackPort: 33418, callbackIpv4Only: true })[0],
    "--allow-net=mcp.example.com:443,127.0.0.1:33418",
  );
  assert.equal(netEntry(new URL("socks5://proxy.corp")), "proxy.corp:1080");
});

Deno.test("hostEntry(): each host's own format", () => {
  const launch = {
    name: "docs",
    command: "deno",
    args: ["run", "--allow-net=a:443,[::1]", "jsr:x", "https://a/mcp"],
  };
  assert.deepEqual(JSON.parse(hostEntry("claude-desktop", launch)), {
    mcpServers: { docs: { command: "deno", args: launch.args } },
  });
  assert.deepEqual(JSON.parse(hostEntry("windsurf", launch)), JSON.parse(hostEntry("cursor", launch)));
  assert.deepEqual(JSON.parse(hostEntry("vscode", launch)), {
    servers: { docs: { type: "stdio", command: "deno", args: launch.args } },
  });
  assert.equal(
    hostEntry("claude-code", launch),
    "claude mcp add docs -- deno run '--allow-net=a:443,[::1]' jsr:x https://a/mcp",
  );
  assert.equal(shellWord("a b"), "'a b'");
  assert.equal(serverName(new URL("https://mcp.example.com/mcp")), "mcp-example-com");
});

Deno.test("parseConfigArgs(): config's own options, every host by default, an unknown host refused", () => {
  const all = parseConfigArgs(["https://x/mcp", "--debug"]);
  assert.deepEqual(all.hostApps, ["claude-desktop", "cursor", "windsurf", "vscode", "claude-code"]);
  assert.deepEqual(all.bridgeArgv, ["https://x/mcp", "--debug"]);
  assert.equal(all.bridgeModule, "jsr:@mcp-bridge/mcp-bridge");
  const some = parseConfigArgs(["--host-app=vscode", "https://x/mcp", "--binary", "--name", "docs"]);
  assert.deepEqual(some.hostApps, ["vscode"]);
  assert.equal(some.binary, true);
  assert.equal(some.name, "docs");
  assert.throws(
    () => parseConfigArgs(["https://x/mcp", "--host-app", "emacs"]),
    /Cannot use --host-app emacs: expected one of/,
  );
});
