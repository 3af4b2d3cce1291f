/**
 * Rule 3 (the authorization side): every token the bridge obtains or loads is registered as a
 * secret the moment it exists, so a server that echoes it bare (without "Bearer ", which no
 * pattern could recognise) still gets it redacted everywhere the bridge writes: stderr, the debug
 * log, and the error text it sends to the host on stdout.
 *
 * The attack, against the real CLI: after a real sign-in at oidc-provider (opaque access tokens,
 * short enough to fit whole in an error excerpt), the MCP server answers
 * `tools/call` with a JSON-RPC error whose message holds the bare access token, and `tools/list`
 * with an HTTP 500 whose body holds it; both in a first bridge (tokens just obtained) and in a
 * second one (tokens loaded from the store).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
} from "../_fixtures/bridge_host.ts";
import { BROWSER, onlyRecord, signInPermissions } from "../_fixtures/oauth_cli.ts";
import { serveTokenEcho } from "../_fixtures/hostile_token_echo.ts";
import { startOAuthServer } from "../../src/demo/oauth_server.ts";

async function responseTo(raw: RawBridge, id: number, timeoutMs: number): Promise<StdoutMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = JSON.parse(await raw.readLine(Math.max(1, deadline - Date.now()))) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

async function session(url: URL, dir: string): Promise<{ stdout: string; stderr: string; errors: string[] }> {
  const raw = spawnRaw(
    [url.href, "--config-dir", dir, "--host", "127.0.0.1", "--debug"],
    signInPermissions(dir),
    { BROWSER },
  );
  const errors: string[] = [];
  try {
    await raw.write(initializeLine(1));
    const initialized = await responseTo(raw, 1, 30_000);
    assert.ok(initialized.result, `${JSON.stringify(initialized)}\n${raw.stderr()}`);
    await raw.write(INITIALIZED_LINE);
    for (
      const [id, method, params] of [[2, "tools/call", { name: "echo", arguments: { text: "x" } }], [
        3,
        "tools/list",
        {},
      ]] as const
    ) {
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
      const answer = await responseTo(raw, id, 30_000);
      assert.ok(answer.error, `${method}: ${JSON.stringify(answer)}`);
      errors.push(answer.error.message);
    }
  } finally {
    await finishRaw(raw);
  }
  return { stdout: raw.stdout(), stderr: raw.stderr(), errors };
}

/** Runs two bridges (sign in, then tokens from the store) against the echoing server. */
async function echoWorld(
  fn: (
    runs: { stdout: string; stderr: string; errors: string[] }[],
    debugLog: string,
    secrets: string[],
  ) => void,
): Promise<void> {
  // Opaque access tokens (43 characters): the whole token fits in any excerpt of an error body.
  const as = await startOAuthServer({ opaqueAccessTokens: true });
  const server = await serveTokenEcho(as.issuer);
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-redact-" }));
  try {
    // First run: the tokens are obtained by signing in. Second run: they are loaded from the store.
    const first = await session(server.url, dir);
    const second = await session(server.url, dir);
    const { record } = await onlyRecord(dir);
    const secrets = [record.tokens!.access_token, record.tokens!.refresh_token!].filter(Boolean);
    assert.ok(server.echoed.length >= 4, "the server echoed the token");
    assert.ok(server.echoed.every((t) => t === record.tokens!.access_token));
    fn([first, second], await Deno.readTextFile(join(dir, "logs", "debug.log")), secrets);
  } finally {
    await server.close();
    await as.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Fails when the text holds a secret; with `cut`, also its first 40 characters (an excerpt cut
 * inside the token before redaction).
 */
function assertClean(where: string, text: string, secrets: string[], cut = false): void {
  for (const secret of secrets) {
    const line = text.split("\n").find((l) => l.includes(cut ? secret.slice(0, 40) : secret));
    assert.equal(line, undefined, `a token reached ${where}: ${line?.slice(0, 120)}`);
  }
}

Deno.test("redaction: a token the server echoes bare never reaches stderr or the debug log", async () => {
  await echoWorld(([first, second], debugLog, secrets) => {
    assertClean("stderr (signed in)", first!.stderr, secrets);
    assertClean("stderr (loaded from the store)", second!.stderr, secrets);
    assertClean("the debug log", debugLog, secrets);
    assert.match(debugLog, /\[redacted\]/, "the echoed token was seen and redacted");
  });
});

Deno.test("redaction: a token the server echoes bare never reaches the host (stdout), not even cut in an excerpt", async () => {
  await echoWorld(([first, second], debugLog, secrets) => {
    assertClean("stdout (signed in)", first!.stdout, secrets, true);
    assertClean("stdout (loaded from the store)", second!.stdout, secrets, true);
    assertClean("stderr (signed in)", first!.stderr, secrets, true);
    assertClean("the debug log", debugLog, secrets, true);
    for (const message of [...first!.errors, ...second!.errors]) assert.match(message, /\[redacted\]/);
  });
});
