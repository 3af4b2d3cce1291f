import assert from "node:assert/strict";
import { runProgram } from "../../src/auth/run_program.ts";

const opts = { flag: "--workload-token-command", timeoutMs: 10_000, maxBytes: 1024 };

Deno.test("runProgram: the program's exit code and stdout; stderr is not read", async () => {
  const out = await runProgram(
    ["deno", "eval", "console.log('a.b.c'); console.error('secret on stderr')"],
    opts,
  );
  assert.deepEqual(out, { code: 0, stdout: "a.b.c\n" });
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
