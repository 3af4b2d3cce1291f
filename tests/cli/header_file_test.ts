import assert from "node:assert/strict";
import { serveExample } from "../../src/demo/example_server.ts";
import { bridgeArgs, netFor, type Permissions } from "../_fixtures/bridge_host.ts";

async function run(args: string[], permissions: Permissions, env: Record<string, string> = {}) {
  const output = await new Deno.Command("deno", {
    args: bridgeArgs(args, permissions),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("--header-file headers, with ${VAR} from the environment, reach the server", async () => {
  const seen: (string | null)[] = [];
  const server = await serveExample({
    intercept: (request) =>
      void seen.push(request.headers.get("x-tenant") + "|" + request.headers.get("x-key")),
  });
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "headers-" });
  const file = `${dir}/headers.txt`;
  await Deno.writeTextFile(file, "# tenant headers\nX-Tenant: acme\n\nX-Key: ${TENANT_KEY}\n");
  try {
    const ok = await run(["client", server.url.href, "--header-file", file], {
      net: [netFor(server.url)],
      read: [file],
      env: ["TENANT_KEY"],
    }, { TENANT_KEY: "k-123456" });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(seen.length >= 2);
    assert.ok(seen.every((h) => h === "acme|k-123456"), JSON.stringify(seen));
    assert.ok(!ok.stderr.includes("k-123456"));

    const denied = await run(["client", server.url.href, "--header-file", file], {
      net: [netFor(server.url)],
    });
    assert.equal(denied.code, 2);
    assert.match(
      denied.stderr,
      new RegExp(`Cannot read header file .*: run again with --allow-read=${file}`),
    );

    await Deno.writeTextFile(file, "X-Tenant acme\n");
    const bad = await run(["client", server.url.href, "--header-file", file], {
      net: [netFor(server.url)],
      read: [file],
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /headers\.txt:1\): missing ":"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.close();
  }
});
