/**
 * Rule 3: nothing secret reaches the host or any output. Every error message the bridge composes
 * for the host (stdout) passes through the same redactor and secret set as stderr and the debug
 * log; the redactor knows the user's `--header` values in all their encodings and recognises
 * secret-shaped text (secret-named headers, camelCase/kebab-case JSON keys, escaped JSON, query
 * parameters, `user:pass@` in URLs).
 *
 * The attack, against the real CLI with exact permissions: the user passes
 * `--header "X-Api-Key: ${KEY}"` and `--header "Authorization: Bearer ${TOKEN}"`; a hostile server
 * (`serveSecretEcho`) answers `tools/call` with HTTP 500 bodies echoing those values (as headers,
 * bare, percent-encoded) and secrets of its own (`"accessToken"`, `"client-secret"`, escaped JSON,
 * `?access_token=`, `https://user:pass@host`). The host must get exactly one error response per
 * request, and no secret may appear on stdout, stderr or in the `--debug` log file.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  netFor,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
  stdoutMessages,
} from "../_fixtures/bridge_host.ts";
import { LEAKS, SERVER_SECRETS, serveSecretEcho } from "../_fixtures/hostile_secret_echo.ts";

async function responseTo(raw: RawBridge, id: number): Promise<StdoutMessage> {
  for (;;) {
    const message = JSON.parse(await raw.readLine(20_000)) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

function call(id: number, name: string, args: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }) +
    "\n";
}

Deno.test("rule 3: a server echoing the user's headers and its own secrets gets them redacted on stdout, stderr and the debug log", async () => {
  // Values with "/", "+" and "=" so that their percent-encoded forms differ from them.
  const apiKey = `k3y/${crypto.randomUUID()}+v=`;
  const token = `t0k/${crypto.randomUUID()}+w=`;
  const server = await serveSecretEcho();
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-redaction-" }));
  try {
    const raw = spawnRaw(
      [
        server.url.href,
        "--header",
        "X-Api-Key: ${TEST_API_KEY}",
        "--header",
        "Authorization: Bearer ${TEST_AUTH_TOKEN}",
        "--debug",
        "--config-dir",
        dir,
      ],
      { net: [netFor(server.url)], env: ["TEST_API_KEY", "TEST_AUTH_TOKEN"], read: [dir], write: [dir] },
      { TEST_API_KEY: apiKey, TEST_AUTH_TOKEN: token },
    );
    const errors = new Map<string, string>();
    let echoed: StdoutMessage;
    try {
      await raw.write(initializeLine(1));
      const init = await responseTo(raw, 1);
      assert.ok(init.result, `initialize failed: ${JSON.stringify(init)}\n${raw.stderr()}`);
      await raw.write(INITIALIZED_LINE);
      for (const [index, leak] of LEAKS.entries()) {
        const id = 10 + index;
        await raw.write(call(id, leak));
        const answer = await responseTo(raw, id);
        assert.ok(answer.error, `${leak}: ${JSON.stringify(answer)}`);
        assert.deepEqual(answer.error.data, { status: 500 }, leak);
        errors.set(leak, answer.error.message);
      }
      // The bridge still answers after the attacks.
      await raw.write(call(99, "echo", { text: "still here" }));
      echoed = await responseTo(raw, 99);
    } finally {
      await finishRaw(raw);
    }
    assert.deepEqual(
      (echoed.result as { content: { text: string }[] }).content[0]!.text,
      "still here",
    );

    // The attack took place: the server received the user's values and its bodies were quoted.
    assert.ok(server.received.some((r) => r.apiKey === apiKey && r.authorization === `Bearer ${token}`));
    for (const [leak, message] of errors) {
      assert.match(message, /HTTP 500/, leak);
      assert.match(message, /\[redacted\]/, `${leak}: nothing was redacted in ${message}`);
    }
    assert.match(errors.get("leak_headers")!, /x-api-key: \[redacted\]/);
    assert.match(errors.get("leak_json")!, /"accessToken":"\[redacted\]","client-secret":"\[redacted\]"/);
    assert.match(errors.get("leak_escaped")!, /\\"access_token\\":\\"\[redacted\]\\"/);
    assert.match(errors.get("leak_url")!, /https:\/\/\[redacted\]@h\.example\/cb\?access_token=\[redacted\]/);

    // Exactly one response per host request, and stdout carries only JSON-RPC.
    const messages = stdoutMessages(raw.stdout());
    const ids = messages.filter((m) => "result" in m || "error" in m).map((m) => m.id);
    assert.deepEqual(ids.toSorted(), [1, 10, 11, 12, 13, 14, 15, 99].toSorted());

    const debugLog = await Deno.readTextFile(join(dir, "logs", "debug.log"));
    assert.match(debugLog, /debug log/);
    const secrets = [
      apiKey,
      encodeURIComponent(apiKey),
      token,
      encodeURIComponent(token),
      ...Object.values(SERVER_SECRETS),
    ];
    for (
      const [where, text] of [["stdout", raw.stdout()], ["stderr", raw.stderr()], ["debug log", debugLog]]
    ) {
      for (const secret of secrets) {
        assert.ok(!text!.includes(secret), `${secret} appears on ${where}:\n${text}`);
      }
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
