import assert from "node:assert/strict";
import { HeaderCommandHook, parseHelperOutput } from "../../src/auth/header_command.ts";
import { splitCommand } from "../../src/cli/command_split.ts";
import { connectHost, netFor } from "../_fixtures/bridge_host.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";

Deno.test("splitCommand() splits on spaces and keeps quoted arguments whole, without a shell", () => {
  assert.deepEqual(splitCommand("gcloud auth print-access-token"), ["gcloud", "auth", "print-access-token"]);
  assert.deepEqual(splitCommand(`op read 'op://v/a b/c' "x y"`), ["op", "read", "op://v/a b/c", "x y"]);
  assert.deepEqual(splitCommand("echo $HOME;rm"), ["echo", "$HOME;rm"]);
  assert.throws(() => splitCommand(""), /empty/);
  assert.throws(() => splitCommand(`op read "unclosed`), /quote is not closed/);
});

Deno.test("parseHelperOutput() reads a bare token, a header line and JSON, and never quotes what it refuses", () => {
  assert.deepEqual(parseHelperOutput("abc.def\n"), { name: "Authorization", value: "Bearer abc.def" });
  assert.deepEqual(parseHelperOutput("Authorization: Basic dXNlcg=="), {
    name: "Authorization",
    value: "Basic dXNlcg==",
  });
  assert.deepEqual(parseHelperOutput('{"header":"X-Key: k","expires_at":"2030-01-01T00:00:00Z"}'), {
    name: "X-Key",
    value: "k",
    expiresAt: Date.parse("2030-01-01T00:00:00Z"),
  });
  for (
    const bad of ["", "two\nlines-secret", "a secret with spaces", '{"nothing":"secret"}', "{not json secret"]
  ) {
    assert.throws(
      () => parseHelperOutput(bad),
      (e: Error) => !e.message.includes("secret"),
      JSON.stringify(bad),
    );
  }
});

Deno.test("HeaderCommandHook runs the command once, again before the expiry it reported and after a 401", async () => {
  const secrets: string[] = [];
  const outputs = [
    JSON.stringify({ token: "t1", expires_at: Math.floor(Date.now() / 1000) + 30 }), // expires within a minute
    JSON.stringify({ token: "t2", expires_at: Math.floor(Date.now() / 1000) + 3600 }),
    "t3",
  ];
  let runs = 0;
  const hook = new HeaderCommandHook(["helper"], (s) => secrets.push(s), () => {
    return Promise.resolve({ code: 0, stdout: outputs[runs++]! });
  });
  assert.equal(await hook.header(), "Bearer t1");
  assert.equal(await hook.header(), "Bearer t2", "t1 expires within the margin: run again");
  assert.equal(await hook.header(), "Bearer t2", "t2 is fresh: kept");
  assert.equal(runs, 2);
  assert.equal(
    await hook.challenge(403),
    false,
    "a 403 is not the helper's",
  );
  assert.equal(await hook.challenge(401), true);
  assert.equal(await hook.header(), "Bearer t3");
  assert.equal(runs, 3);
  assert.ok(["t1", "t2", "t3"].every((t) => secrets.includes(t)), "every token is a secret at once");
  const failing = new HeaderCommandHook(["az"], () => {}, () => Promise.resolve({ code: 3, stdout: "" }));
  await assert.rejects(failing.header(), /--header-command az failed \(exit 3\)/);
});

Deno.test("--header-command: the bridge sends the helper's token, runs it again after a 401, and never prints it", async () => {
  const seen: (string | null)[] = [];
  const refused = new Set<string>();
  // A server that refuses the first token it sees (as if it had been revoked) and accepts the next ones.
  const server = await serveTestServer({
    mode: "stateful",
    intercept: (request) => {
      const authorization = request.headers.get("authorization");
      seen.push(authorization);
      if (!authorization?.startsWith("Bearer tok-")) return new Response("Unauthorized", { status: 401 });
      if (refused.size === 0) refused.add(authorization);
      if (refused.has(authorization)) return new Response("Unauthorized", { status: 401 });
      return undefined;
    },
  });
  try {
    const helper = `deno eval "console.log('tok-' + crypto.randomUUID())"`;
    const host = await connectHost(server.url, {
      args: ["--header-command", helper],
      permissions: { net: [netFor(server.url)], run: ["deno"] },
    });
    try {
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "helped" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "helped" }]);
      const tokens = new Set(seen.filter((s) => s !== null));
      assert.equal(tokens.size, 2, "the helper ran again after the 401, and its token was kept afterwards");
      for (const token of tokens) assert.ok(!host.stderr().includes(token!.slice(7)), "no token on stderr");
    } finally {
      await host.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("--header-command without --allow-run for it: the host's error names the flag", async () => {
  const server = await serveTestServer({ mode: "stateful" });
  try {
    await assert.rejects(
      connectHost(server.url, {
        args: ["--header-command", "gcloud auth print-access-token"],
        permissions: { net: [netFor(server.url)] },
      }),
      /Cannot run the --header-command: run again with --allow-run=gcloud/,
    );
  } finally {
    await server.close();
  }
});
