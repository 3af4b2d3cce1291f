/**
 * Rule 6: `$BROWSER` runs one program. A hostile environment sets `$BROWSER` to shell code,
 * interpreters, wrappers and extra arguments; the bridge is even granted `--allow-run` for every one
 * of those programs, so only the rule stands between them and the marker files. Each entry is
 * refused with a warning naming it, a later valid entry is used, and the host gets every answer.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { connectHost, initializeLine, type Permissions, spawnRaw } from "../_fixtures/bridge_host.ts";
import { BROWSER, withOAuthWorld } from "../_fixtures/oauth_cli.ts";
import { readResponse, stopRaw } from "../_fixtures/oauth_world.ts";

interface Attack {
  /** The hostile entries, in order. */
  entries: string[];
  /** Every marker a successful attack would create. */
  markers: string[];
  /** Programs granted with --allow-run, so that a refusal cannot come from the permissions. */
  run: string[];
}

async function attack(dir: string): Promise<Attack> {
  const base = join(dir, `pwned-${crypto.randomUUID()}`);
  const marker = (name: string) => `${base}-${name}`;
  // A program that creates its marker whenever it runs (with whatever arguments).
  const prog = join(dir, `hostile-prog-${crypto.randomUUID()}`);
  await Deno.writeTextFile(prog, `#!/bin/sh\ntouch '${marker("prog")}'\n`, { mode: 0o755 });
  await Deno.chmod(prog, 0o755);
  return {
    entries: [
      `sh -c 'touch ${marker("sh")}'`,
      `nice ${prog}`,
      `env X=1 ${prog}`,
      `${prog} --flag %s`,
      `${prog};touch ${marker("semicolon")}`,
      `python3 -c open('${marker("python")}','w')`,
      `${prog} $(touch ${marker("subst")})`,
    ],
    markers: ["sh", "prog", "semicolon", "python", "subst"].map(marker),
    run: ["sh", "nice", "env", "python3", prog],
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

function permissionsFor(dir: string, run: string[]): Permissions {
  return { net: ["127.0.0.1"], run, env: ["BROWSER"], read: [dir], write: [dir] };
}

Deno.test("$BROWSER: shell code, interpreters, wrappers and extra arguments are refused; the next valid entry signs in", async () => {
  await withOAuthWorld({}, async (world) => {
    const hostile = await attack(world.dir);
    const host = await connectHost(world.mcp.url, {
      args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
      permissions: permissionsFor(world.dir, [...hostile.run, BROWSER]),
      env: { BROWSER: [...hostile.entries, BROWSER].join(":") },
    });
    let stderr = "";
    try {
      const tools = await host.client.listTools();
      assert.ok(tools.tools.length > 0, "the host got its answer after the sign-in");
    } finally {
      stderr = host.stderr();
      await host.close();
    }
    for (const marker of hostile.markers) assert.equal(await exists(marker), false, `${marker}\n${stderr}`);
    for (const entry of hostile.entries) {
      // The entry is split at ":" like any list; each piece that is refused is named.
      const first = entry.split(":")[0]!;
      assert.ok(
        stderr.includes(`Not using $BROWSER entry ${JSON.stringify(first)}: `),
        `${first}\n${stderr}`,
      );
    }
    assert.match(stderr, /sh is a shell or script interpreter/);
    assert.match(stderr, /nice runs another program/);
    assert.match(stderr, /env runs another program/);
    assert.match(stderr, /extra arguments are not allowed \(--flag\)/);
    assert.match(stderr, /";" is shell syntax/);
    assert.match(stderr, /python is a shell or script interpreter/);
    assert.equal(world.authorizations.length, 1, "the valid entry opened the sign-in page once");
    assert.ok(!stderr.includes("Open this URL in your browser"), "the URL was not needed on stderr");
  });
});

Deno.test("$BROWSER with only hostile entries: nothing runs, the URL is printed, the host still gets an answer", async () => {
  await withOAuthWorld({}, async (world) => {
    const hostile = await attack(world.dir);
    const raw = spawnRaw(
      [world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1", "--auth-timeout", "2s"],
      permissionsFor(world.dir, hostile.run),
      { BROWSER: hostile.entries.join(":") },
    );
    try {
      await raw.write(initializeLine(1));
      const response = await readResponse(raw, 1, 20_000);
      assert.ok("error" in response, `the sign-in could not finish: an error answer\n${raw.stderr()}`);
    } finally {
      await stopRaw(raw);
    }
    const stderr = raw.stderr();
    for (const marker of hostile.markers) assert.equal(await exists(marker), false, `${marker}\n${stderr}`);
    assert.match(stderr, /Open this URL in your browser to sign in: http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(stderr, /no usable \$BROWSER entry/);
    assert.equal(world.authorizations.length, 0, "no program opened the page");
  });
});
