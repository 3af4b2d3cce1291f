/**
 * Rule 9: the device authorization grant (RFC 8628) polls politely and for the right resource,
 * whatever the authorization server says: `resource` on the device authorization request and on
 * every poll, never less than 5 s between polls (a smaller `interval` is raised), 5 s more after
 * `slow_down`, and the instructions (verification URI and user code, escape sequences neutralised)
 * shown even with `--silent`.
 *
 * The attack, against the real CLI: a hostile authorization server answers `interval: 0`, then
 * `slow_down` to the first poll, and records when each poll arrives. (The arithmetic itself is unit
 * tested in tests/auth/device_interval_test.ts; this test takes about 15 s by design.)
 */

import assert from "node:assert/strict";
import {
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
} from "../_fixtures/bridge_host.ts";
import { startHostileDeviceAs } from "../_fixtures/hostile_device_as.ts";
import { type IssuerSwitchServer, serveIssuerSwitch } from "../_fixtures/hostile_issuer_switch.ts";

async function responseTo(raw: RawBridge, id: number, timeoutMs: number): Promise<StdoutMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = JSON.parse(await raw.readLine(Math.max(1, deadline - Date.now()))) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

Deno.test("device flow: interval 0 is raised to 5 s, slow_down adds 5 s, resource on every poll, instructions with --silent", async () => {
  const as = await startHostileDeviceAs();
  let mcp: IssuerSwitchServer | undefined;
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-device-" }));
  try {
    // An MCP server that accepts only the tokens this authorization server issued.
    mcp = await serveIssuerSwitch(as.issuer, as);
    const raw = spawnRaw(
      [mcp.url.href, "--config-dir", dir, "--device-code", "--silent"],
      { net: ["127.0.0.1"], read: [dir], write: [dir] },
    );
    try {
      await raw.write(initializeLine(1));
      const initialized = await responseTo(raw, 1, 40_000);
      assert.ok(initialized.result, `${JSON.stringify(initialized)}\n${raw.stderr()}`);
      await raw.write(INITIALIZED_LINE);
      await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }) + "\n");
      const tools = await responseTo(raw, 2, 10_000);
      assert.ok(tools.result, JSON.stringify(tools));
    } finally {
      await finishRaw(raw);
    }

    const stderr = raw.stderr();
    // Shown with --silent, the user code's escape sequence neutralised.
    assert.match(
      stderr,
      new RegExp(`visit ${as.issuer}/device and enter the code WDJB-MJHT\\\\x1b\\]0;pwned\\\\x07`),
    );
    assert.ok(!stderr.includes("\u001b"), "no raw escape character on stderr");

    const device = as.timed.filter((r) => r.target === "/device/auth");
    const polls = as.timed.filter((r) => r.target === "/token");
    assert.equal(device.length, 1);
    assert.equal(polls.length, 2, "one slow_down, then the tokens");
    const resource = mcp.url.href;
    assert.equal(
      new URLSearchParams(device[0]!.body).get("resource"),
      resource,
      "resource on the device request",
    );
    for (const poll of polls) {
      const form = new URLSearchParams(poll.body);
      assert.equal(form.get("grant_type"), "urn:ietf:params:oauth:grant-type:device_code");
      assert.equal(form.get("resource"), resource, "resource on every poll");
    }
    const first = polls[0]!.at - device[0]!.at;
    const second = polls[1]!.at - polls[0]!.at;
    assert.ok(
      first >= 4_900,
      `the first poll came ${Math.round(first)} ms after the device request (interval 0)`,
    );
    assert.ok(second >= 9_900, `the poll after slow_down came ${Math.round(second)} ms later`);
    assert.ok(
      second < 14_000,
      `the poll after slow_down came ${Math.round(second)} ms later (not more than needed)`,
    );
  } finally {
    await mcp?.close();
    await as.close();
    await Deno.remove(dir, { recursive: true });
  }
});
