import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfigDir } from "../../src/cli/config_dir.ts";

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}

const FULL = {
  MCP_BRIDGE_CONFIG_DIR: "/from/env",
  HOME: "/home/me",
  XDG_CONFIG_HOME: "/xdg",
  APPDATA: "C:\\Users\\me\\AppData\\Roaming",
};

for (const os of ["linux", "darwin", "windows", "freebsd"]) {
  Deno.test(`resolveConfigDir() prefers --config-dir over everything (${os})`, () => {
    assert.deepEqual(resolveConfigDir("/from/flag", os, envOf(FULL)), { path: "/from/flag" });
  });

  Deno.test(`resolveConfigDir() prefers MCP_BRIDGE_CONFIG_DIR over the default (${os})`, () => {
    assert.deepEqual(resolveConfigDir(undefined, os, envOf(FULL)), { path: "/from/env" });
  });
}

Deno.test("resolveConfigDir() does not read the environment when the flag is given", () => {
  const asked: string[] = [];
  const result = resolveConfigDir("/flag", "linux", (name) => {
    asked.push(name);
    return "/x";
  });
  assert.deepEqual(result, { path: "/flag" });
  assert.deepEqual(asked, []);
});

Deno.test("resolveConfigDir() treats an empty flag or MCP_BRIDGE_CONFIG_DIR as unset", () => {
  assert.deepEqual(resolveConfigDir("", "linux", envOf({ MCP_BRIDGE_CONFIG_DIR: "", HOME: "/home/me" })), {
    path: "/home/me/.config/mcp-bridge",
  });
});

Deno.test("resolveConfigDir() uses XDG_CONFIG_HOME on linux", () => {
  assert.deepEqual(
    resolveConfigDir(undefined, "linux", envOf({ XDG_CONFIG_HOME: "/xdg", HOME: "/home/me" })),
    {
      path: "/xdg/mcp-bridge",
    },
  );
});

Deno.test("resolveConfigDir() falls back to ~/.config on linux", () => {
  assert.deepEqual(resolveConfigDir(undefined, "linux", envOf({ HOME: "/home/me" })), {
    path: "/home/me/.config/mcp-bridge",
  });
  assert.deepEqual(resolveConfigDir(undefined, "linux", envOf({ HOME: "/home/me", XDG_CONFIG_HOME: "" })), {
    path: "/home/me/.config/mcp-bridge",
  });
});

Deno.test("resolveConfigDir() reports HOME missing on linux", () => {
  assert.deepEqual(resolveConfigDir(undefined, "linux", envOf({})), { missing: "HOME" });
  assert.deepEqual(resolveConfigDir(undefined, "linux", envOf({ HOME: "", APPDATA: "/appdata" })), {
    missing: "HOME",
  });
});

Deno.test("resolveConfigDir() uses ~/Library/Application Support on darwin, ignoring XDG_CONFIG_HOME", () => {
  assert.deepEqual(
    resolveConfigDir(undefined, "darwin", envOf({ HOME: "/Users/me", XDG_CONFIG_HOME: "/xdg" })),
    {
      path: "/Users/me/Library/Application Support/mcp-bridge",
    },
  );
});

Deno.test("resolveConfigDir() reports HOME missing on darwin", () => {
  assert.deepEqual(resolveConfigDir(undefined, "darwin", envOf({ XDG_CONFIG_HOME: "/xdg" })), {
    missing: "HOME",
  });
});

Deno.test("resolveConfigDir() uses APPDATA on windows, ignoring HOME", () => {
  const appData = "C:\\Users\\me\\AppData\\Roaming";
  const result = resolveConfigDir(undefined, "windows", envOf({ APPDATA: appData, HOME: "/home/me" }));
  assert.deepEqual(result, { path: join(appData, "mcp-bridge") });
  assert.ok("path" in result && result.path.startsWith(appData) && result.path.endsWith("mcp-bridge"));
});

Deno.test("resolveConfigDir() reports APPDATA missing on windows even when HOME is set", () => {
  assert.deepEqual(resolveConfigDir(undefined, "windows", envOf({ HOME: "/home/me" })), {
    missing: "APPDATA",
  });
});

Deno.test("resolveConfigDir() treats other systems like linux", () => {
  assert.deepEqual(resolveConfigDir(undefined, "freebsd", envOf({ HOME: "/usr/home/me" })), {
    path: "/usr/home/me/.config/mcp-bridge",
  });
});
