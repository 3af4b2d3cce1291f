/**
 * Rule 8: terminal hygiene. Server-supplied text printed to stderr, the debug log or the
 * terminal (`mcp-bridge client`) has its control characters and escape sequences neutralised:
 * ESC/CSI/OSC sequences, C0 controls except tab, C1 controls, bidi overrides and isolates, and CR
 * are shown as visible escapes (`\x1b`, `\r`, `\u202e`); a line break inside one message starts an
 * indented continuation line, so a server cannot forge a `[mcp-bridge] …` line.
 *
 * The attack, against the real CLI with exact permissions: a hostile server
 * (`serveTerminalAttack`) puts screen-clearing, title-setting and OSC 8 sequences, a one-byte CSI,
 * bidi overrides and a CR + fake log line into an HTTP 500 error body, a JSON-RPC error message,
 * its name, instructions and tool names.
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
import { serveTerminalAttack } from "../_fixtures/hostile_terminal.ts";

// Everything a terminal interprets: C0 except tab and LF, CR included, DEL, C1, bidi controls.
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

function assertTerminalSafe(text: string, where: string): void {
  const found = RAW_CONTROL.exec(text);
  assert.equal(
    found,
    null,
    `${where} carries U+${found?.[0].charCodeAt(0).toString(16).padStart(4, "0")}: ${JSON.stringify(text)}`,
  );
  // No line that the bridge did not write itself.
  for (const line of text.split("\n")) {
    assert.ok(!/^\[mcp-bridge\] (all good|error: forged)/.test(line), `${where} has a forged line: ${line}`);
  }
}

async function responseTo(raw: RawBridge, id: number): Promise<StdoutMessage> {
  for (;;) {
    const message = JSON.parse(await raw.readLine(20_000)) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

Deno.test("rule 8: a server's escape sequences reach stderr and the debug log only as visible text", async () => {
  const server = await serveTerminalAttack();
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-terminal-" }));
  try {
    const raw = spawnRaw(
      [server.url.href, "--debug", "--config-dir", dir],
      { net: [netFor(server.url)], read: [dir], write: [dir] },
    );
    let failed: StdoutMessage;
    let echoed: StdoutMessage;
    try {
      await raw.write(initializeLine(1));
      assert.ok((await responseTo(raw, 1)).result, raw.stderr());
      await raw.write(INITIALIZED_LINE);
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n");
      assert.ok((await responseTo(raw, 2)).result);
      await raw.write(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 3,
          method: "tools/call",
          params: { name: "explode", arguments: {} },
        }) +
          "\n",
      );
      failed = await responseTo(raw, 3);
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "resources/list" }) + "\n");
      assert.ok((await responseTo(raw, 4)).error, "the server's JSON-RPC error is forwarded");
      await raw.write(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 5,
          method: "tools/call",
          params: { name: "echo", arguments: { text: "still here" } },
        }) + "\n",
      );
      echoed = await responseTo(raw, 5);
    } finally {
      await finishRaw(raw);
    }
    // The bridge answered every request, the failed one with one error.
    assert.ok(failed.error, JSON.stringify(failed));
    assert.deepEqual(failed.error.data, { status: 500 });
    assert.equal((echoed.result as { content: { text: string }[] }).content[0]!.text, "still here");
    const ids = stdoutMessages(raw.stdout()).filter((m) => "result" in m || "error" in m).map((m) => m.id);
    assert.deepEqual(ids.toSorted(), [1, 2, 3, 4, 5]);

    const stderr = raw.stderr();
    const debugLog = await Deno.readTextFile(join(dir, "logs", "debug.log"));
    // The hostile text was written (as visible escapes), and nothing raw came with it.
    assert.match(stderr, /exploded\\x1b\[2J\\x1b\[H\\x1b\]0;pwned-title\\x07/);
    assert.match(stderr, /\\u202egnp\.exe\\u2066\\r\[mcp-bridge\] all good/);
    assert.match(debugLog, /exploded\\x1b\[2J/);
    assertTerminalSafe(stderr, "stderr");
    assertTerminalSafe(debugLog, "the debug log");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rule 8: mcp-bridge client prints a server's names, tools and errors without escape sequences", async () => {
  const server = await serveTerminalAttack();
  try {
    const raw = spawnRaw(["client", server.url.href], { net: [netFor(server.url)] });
    const status = await finishRaw(raw);
    const stdout = raw.stdout();
    const stderr = raw.stderr();
    // resources/list failed with the server's JSON-RPC error: exit 1, after the tools were printed.
    assert.equal(status.code, 1, stderr);
    assert.match(stdout, /Server: +evil\\x1b\[2J/);
    assert.match(stdout, /title\\x1b\]0;owned\\x07/);
    assert.match(stdout, /Boom\\x1b\[2J/);
    assert.match(stderr, /resources\/list failed: no resources\\x1b\[2J/);
    assertTerminalSafe(stdout, "stdout");
    assertTerminalSafe(stderr, "stderr");
  } finally {
    await server.close();
  }
});
