import assert from "node:assert/strict";
import { MAX_JWT_FILE_BYTES, readJwtFile } from "../../src/auth/jwt_file.ts";

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

Deno.test("readJwtFile: a JWT file is read afresh each time, whitespace dropped", async () => {
  await withFile("  eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\n", async (path) => {
    assert.equal(readJwtFile(path, "workload token"), "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
    // The platform rotates the file: the next read sees the new token.
    await Deno.writeTextFile(path, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2ln");
    assert.equal(readJwtFile(path, "workload token"), "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2ln");
  });
});

Deno.test("readJwtFile: not a JWT, too large, or missing: refused with the file named, never its content", async () => {
  await withFile("secret-but-not-a-jwt", (path) => {
    assert.throws(() => readJwtFile(path, "workload token"), (error: Error) => {
      assert.match(error.message, /does not hold a JWT/);
      assert.ok(!error.message.includes("secret-but-not-a-jwt"));
      return true;
    });
  });
  await withFile("a".repeat(MAX_JWT_FILE_BYTES + 1), (path) => {
    assert.throws(() => readJwtFile(path, "workload token"), /larger than 65536 bytes/);
  });
  assert.throws(
    () => readJwtFile("./.tmp/no-such-workload-token", "workload token"),
    /Cannot read the workload token file/,
  );
});

Deno.test("readJwtFile: without read permission the flag to add is named (no prompt)", async () => {
  await Deno.mkdir("./.tmp", { recursive: true });
  const script = await Deno.makeTempFile({ dir: "./.tmp", prefix: "workload-perm-", suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { readJwtFile } from "${new URL("../../src/auth/jwt_file.ts", import.meta.url)}";
try { readJwtFile("/var/run/secrets/token", "workload token"); } catch (e) { console.log((e as Error).message); }`,
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
