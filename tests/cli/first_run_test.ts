/**
 * What a new user meets first, run as the real CLI: typos in subcommands, flags and URLs, a URL that
 * is no MCP endpoint, a port the runtime refuses, the credential commands without their permissions,
 * and `login` against a server that needs no sign-in.
 */

import assert from "node:assert/strict";
import { bridgeArgs, type Permissions } from "../_fixtures/bridge_host.ts";
import { serveExample } from "../../src/demo/example_server.ts";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], permissions: Permissions = {}): Promise<Result> {
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(args, permissions),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

function assertUsageError(result: Result, message: string): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "", "nothing on stdout");
  assert.equal(result.stderr, `[mcp-bridge] error: ${message}\n`);
}

Deno.test("a mistyped subcommand is named as unknown, with the command it is closest to", async () => {
  assertUsageError(await cli(["clinet", "https://x/mcp"]), 'Unknown command "clinet": did you mean client?');
});

Deno.test("`mcp-bridge help` prints the help and exits 0", async () => {
  const result = await cli(["help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^mcp-bridge .*\n\nUsage:[\s\S]*Examples:/);
  assert.equal(result.stderr, "");
});

Deno.test("a mistyped flag gets the known flag it is closest to, on stderr only, exit 2", async () => {
  assertUsageError(
    await cli(["https://example.com/mcp", "--heder", "X-A: 1"]),
    "Unknown option --heder: did you mean --header?",
  );
});

Deno.test("a server URL without a scheme gets the URL it was meant to be", async () => {
  assertUsageError(
    await cli(["example.com/mcp"]),
    'Cannot parse server URL "example.com/mcp": the scheme is missing: did you mean https://example.com/mcp?',
  );
});

Deno.test("a 501 to the initialize POST says there is no MCP endpoint at the URL", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("Not Implemented", { status: 501 }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/mcp`;
  const result = await cli(["client", url], { net: [`127.0.0.1:${server.addr.port}`] });
  assert.equal(result.code, 1, result.stderr);
  // The transports do not pass the method on yet; once they do, the message adds "to a POST".
  assert.match(
    result.stderr,
    /there is no MCP endpoint at this URL \(HTTP 501( to a POST)?\): check the server URL/,
  );
  assert.doesNotMatch(result.stderr, /try again later/);
});

Deno.test("a port the runtime refuses (a Fetch 'bad port') is explained, with what to do", async () => {
  const result = await cli(["client", "http://127.0.0.1:6000/mcp"], { net: ["127.0.0.1:6000"] });
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /Cannot connect to 127\.0\.0\.1:6000: the runtime \(Deno's fetch\) refuses port 6000 as unsafe.*: run the MCP server on another port/,
  );
  assert.doesNotMatch(result.stderr, /check the URL, your network/);
});

Deno.test("status and logout without the permission to find the config dir name the flag, exit 1", async () => {
  for (const args of [["status"], ["logout", "--all"], ["logout", "https://example.com/mcp"]]) {
    const result = await cli(args);
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "", args.join(" "));
    assert.match(
      result.stderr,
      /Cannot find the config dir where credentials are stored: run again with --allow-env=(HOME|APPDATA) to use the default one, or with --config-dir <dir>/,
      args.join(" "),
    );
  }
});

Deno.test("status without the permission to read the config dir names the flag, exit 1", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "first-run-" }));
  try {
    const result = await cli(["status", "--config-dir", dir]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`run again with --allow-read=${dir.replace(/[.\\]/g, "\\$&")}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("login against a server that needs no sign-in says so, registers nothing, leaves no session", async () => {
  const seen: string[] = [];
  const server = await serveExample({
    intercept: (request) => {
      seen.push(`${request.method} ${new URL(request.url).pathname}`);
      return undefined;
    },
  });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "first-run-" }));
  try {
    const result = await cli(["login", server.url.href, "--config-dir", dir], {
      net: [`127.0.0.1:${server.url.port}`],
      read: [dir],
      write: [dir],
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      `The server at ${server.url.href} needs no sign-in: it answered without asking for authorization\n`,
    );
    assert.doesNotMatch(result.stderr, /Regist|404/);
    assert.deepEqual(seen, ["POST /mcp", "DELETE /mcp"], "one initialize, its session deleted, no discovery");
    assert.equal(server.sessions.size, 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
