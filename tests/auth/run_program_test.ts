import assert from "node:assert/strict";
import { runProgram } from "../../src/auth/run_program.ts";

const opts = { flag: "--workload-token-command", timeoutMs: 10_000, maxBytes: 1024 };

Deno.test("runProgram: the program's exit code and stdout; stderr is not read", async () => {
  const out = await runProgram(
    ["deno", "eval", "console.log('a.b.c'); console.error('secret on stderr')"],
    opts,
  );
  assert.deepEqual(out, { code: 0, stdout: "a.b.c\n", stderr: "" });
  const failed = await runProgram(["deno", "eval", "Deno.exit(3)"], opts);
  assert.equal(failed.code, 3);
});

Deno.test("runProgram: bounded output and time; a program not allowed is named with its flag, not run", async () => {
  await assert.rejects(
    runProgram(["deno", "eval", "console.log('x'.repeat(100_000))"], opts),
    /The --workload-token-command printed more than 1024 bytes/,
  );
  await assert.rejects(
    runProgram(["deno", "eval", "await new Promise((r) => setTimeout(r, 5000))"], {
      ...opts,
      timeoutMs: 300,
    }),
    /The --workload-token-command did not finish within 0.3 s/,
  );
  await assert.rejects(
    runProgram(["not-allowed-program"], opts),
    /Cannot run the --workload-token-command: run again with --allow-run=not-allowed-program/,
  );
});

Deno.test("runProgram: a program that ignores SIGTERM and whose child keeps stdout open is still given up on", async () => {
  const started = Date.now();
  await assert.rejects(
    runProgram(
      [
        "deno",
        "eval",
        // Ignores SIGTERM, and starts a grandchild that holds the same stdout for 20 s.
        "Deno.addSignalListener('SIGTERM', () => {}); new Deno.Command('deno', { args: ['eval', 'await new Promise((r) => setTimeout(r, 20000))'], stdout: 'inherit' }).spawn(); await new Promise((r) => setTimeout(r, 20000));",
      ],
      { ...opts, timeoutMs: 500 },
    ),
    /did not finish within 0.5 s/,
  );
  assert.ok(Date.now() - started < 5000, `waited ${Date.now() - started} ms`);
});

Deno.test("runProgram: stdin carries the secret; stderr is read when asked", async () => {
  const out = await runProgram(
    [
      "deno",
      "eval",
      "const t = await new Response(Deno.stdin.readable).text(); console.error('len ' + t.length)",
    ],
    { ...opts, stdin: "s3cret", stderr: true },
  );
  assert.equal(out.stderr.trim(), "len 6");
});
