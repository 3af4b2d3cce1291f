import assert from "node:assert/strict";
import { renderJson, renderSteps, useColour } from "../../src/doctor/render.ts";
import { exitCode, type Step, step, STEP_NAMES, usable } from "../../src/doctor/step.ts";
import { credentialsStep, discoveryStep, initializeStep, tcpStep } from "../../src/doctor/verdicts.ts";

const healthy: Step[] = [
  step(STEP_NAMES.url, "ok", "https, host mcp.example.com"),
  step(STEP_NAMES.tcp, "ok", "mcp.example.com:443 accepts connections"),
  step(STEP_NAMES.initialize, "ok", "HTTP 200 (application/json): protocol 2025-11-25"),
  step(STEP_NAMES.discovery, "skip", "the server did not ask to sign in"),
];

Deno.test("verdict: usable when URL, TCP and initialize are ok and discovery is ok or skipped", () => {
  assert.equal(exitCode(healthy), 0);
  const signIn = [...healthy.slice(0, 3), step(STEP_NAMES.discovery, "ok", "as")];
  assert.equal(usable(signIn), true);
  for (const index of [0, 1, 2]) {
    const broken = healthy.map((s, i) => i === index ? { ...s, status: "fail" as const } : s);
    assert.equal(exitCode(broken), 1, `with ${healthy[index]!.name} failing`);
  }
  assert.equal(exitCode([...healthy.slice(0, 3), step(STEP_NAMES.discovery, "fail", "no S256")]), 1);
  // A proxy skips the direct TCP check.
  assert.equal(usable([healthy[0]!, step(STEP_NAMES.tcp, "skip", "proxy"), ...healthy.slice(2)]), true);
});

Deno.test("verdicts: the TCP step tells DNS, refusal and timeout apart, each with what to do", () => {
  const url = new URL("https://mcp.example.com/mcp");
  assert.match(tcpStep(url, { kind: "dns", message: "failed to lookup" }).detail, /DNS/);
  assert.match(tcpStep(url, { kind: "refused", message: "refused" }).detail, /refused/);
  assert.match(tcpStep(url, { kind: "timeout", message: "" }, 5000).detail, /within 5 s/);
  for (const kind of ["dns", "refused", "timeout"] as const) {
    const s = tcpStep(url, { kind, message: "x" });
    assert.equal(s.status, "fail");
    assert.ok(s.next);
  }
});

Deno.test("verdicts: initialize 2xx reads the server's version and info; 405 is no endpoint", () => {
  const url = new URL("https://mcp.example.com/mcp");
  const sse = initializeStep(url, { kind: "response" }, {
    status: 200,
    contentType: "text/event-stream",
    message: { result: { protocolVersion: "2025-06-18", serverInfo: { name: "srv", version: "2.0" } } },
  });
  assert.equal(sse.status, "ok");
  assert.match(sse.detail, /HTTP 200 \(text\/event-stream\): protocol 2025-06-18, server srv 2\.0/);
  const none = initializeStep(url, { kind: "response" }, { status: 405, contentType: null });
  assert.equal(none.status, "fail");
  assert.match(none.detail, /no MCP endpoint/);
});

Deno.test("verdicts: discovery without PKCE S256 fails", () => {
  const s = discoveryStep({
    issuer: "https://as",
    pkceMethods: ["plain"],
    cimd: true,
    staticClient: false,
    missingHosts: [],
  });
  assert.equal(s.status, "fail");
  assert.match(s.detail, /PKCE S256: no \(plain\)/);
});

Deno.test("renderer: aligned columns, next lines under the detail, no colour without a terminal", () => {
  const steps = [...healthy, step(STEP_NAMES.hostConfigs, "warn", "none", "mcp-bridge config x --write")];
  const text = renderSteps(steps, { colour: false });
  assert.ok(!text.includes("\x1b["));
  const rows = text.split("\n").filter((line) => /^(ok|warn|fail|skip) /.test(line));
  assert.equal(rows.length, steps.length);
  const detailColumn = "ok    ".length + STEP_NAMES.hostConfigs.length + 2;
  for (const [i, row] of rows.entries()) {
    assert.equal(row.slice(detailColumn), steps[i]!.detail, row);
    assert.equal(row.slice(6, detailColumn).trimEnd(), steps[i]!.name);
  }
  assert.ok(text.includes(`\n${" ".repeat(detailColumn)}next: mcp-bridge config x --write\n`));
  assert.match(text, /The bridge can use this server/);
  assert.ok(renderSteps(steps, { colour: true }).includes("\x1b[33mwarn\x1b[0m"));
  assert.equal(useColour(false, undefined), false);
  assert.equal(useColour(true, "1"), false);
  assert.equal(useColour(true, undefined), true);
});

Deno.test("renderer: --json has the server, the verdict and every step", () => {
  const parsed = JSON.parse(renderJson("https://mcp.example.com/mcp", healthy));
  assert.deepEqual(Object.keys(parsed), ["server", "ok", "steps"]);
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.steps, healthy);
  for (const s of parsed.steps) {
    assert.deepEqual(Object.keys(s).filter((k) => k !== "next"), ["name", "status", "detail"]);
  }
});

Deno.test("verdicts: no stored credentials is 'did not ask' only when the server answered", () => {
  const none = { kind: "records" as const, dir: "/c", records: [] };
  assert.equal(
    credentialsStep("https://x/mcp", none, false, 0).detail,
    "none (the server did not ask to sign in)",
  );
  const unknown = credentialsStep("https://x/mcp", none, undefined, 0);
  assert.equal(unknown.status, "skip");
  assert.match(unknown.detail, /unknown: it did not answer/);
  assert.match(credentialsStep("https://x/mcp", none, true, 0).next!, /mcp-bridge login https:\/\/x\/mcp/);
});
