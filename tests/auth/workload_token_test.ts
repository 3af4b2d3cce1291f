import assert from "node:assert/strict";
import { MAX_WORKLOAD_TOKEN_BYTES, readWorkloadToken } from "../../src/auth/workload_token.ts";

async function withFile(text: string, fn: (path: string) => void | Promise<void>): Promise<void> {
  await Deno.mkdir("./.tmp", { recursive: true });
  const path = await Deno.makeTempFile({ dir: "./.tmp", prefix: "workload-" });
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("readWorkloadToken: a JWT file is read afresh each time, whitespace dropped", async () => {
  await withFile("  eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\n", async (path) => {
    assert.equal(readWorkloadToken(path), "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
    // The platform rotates the file: the next read sees the new token.
    await Deno.writeTextFile(path, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2ln");
    assert.equal(readWorkloadToken(path), "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2ln");
  });
});

Deno.test("readWorkloadToken: not a JWT, too large, or missing: refused with the file named, never its content", async () => {
  await withFile("secret-but-not-a-jwt", (path) => {
    assert.throws(() => readWorkloadToken(path), (error: Error) => {
      assert.match(error.message, /does not hold a JWT/);
      assert.ok(!error.message.includes("secret-but-not-a-jwt"));
      return true;
    });
  });
  await withFile("a".repeat(MAX_WORKLOAD_TOKEN_BYTES + 1), (path) => {
    assert.throws(() => readWorkloadToken(path), /larger than 65536 bytes/);
  });
  assert.throws(
    () => readWorkloadToken("./.tmp/no-such-workload-token"),
    /Cannot read the workload token file/,
  );
});

Deno.test("readWorkloadToken: without read permission the flag to add is named (no prompt)", async () => {
  await Deno.mkdir("./.tmp", { recursive: true });
  const script = await Deno.makeTempFile({ dir: "./.tmp", prefix: "workload-perm-", suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { readWorkloadToken } from "${new URL("../../src/auth/workload_token.ts", import.meta.url)}";
try { readWorkloadToken("/var/run/secrets/token"); } catch (e) { console.log((e as Error).message); }`,
    );
    const { stdout } = await new Deno.Command("deno", {
      args: ["run", "--quiet", "--no-prompt", "--no-check", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.match(
      new TextDecoder().decode(stdout),
      /Cannot read the workload token file \/var\/run\/secrets\/token: run again with --allow-read=\/var\/run\/secrets\/token/,
    );
  } finally {
    await Deno.remove(script);
  }
});
