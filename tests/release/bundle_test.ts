/**
 * The bundle the JSR package runs (`deno task bundle`, the `.` export): built here from the source, then
 * run as a host runs `jsr:@mcp-bridge/mcp-bridge` (from a directory with no deno.json, exact permissions),
 * from a real MCP client against real servers.
 */
import assert from "node:assert/strict";
import { buildBundle, bundleArgs, BUNDLED_PACKAGES } from "../../scripts/bundle.ts";
import { lazyImports, moduleHead } from "../../scripts/_start_module.ts";
import { serveExample } from "../../src/demo/example_server.ts";
import { VERSION } from "../../src/version.ts";
import { serveModern } from "../_fixtures/modern_server.ts";
import { connectHost, type Host, netFor } from "../_fixtures/bridge_host.ts";
import { jwtClient, keyPair } from "../_fixtures/jwt_client.ts";
import { type OAuthWorld, onlyRecord, withOAuthWorld } from "../_fixtures/oauth_cli.ts";
import { LAZY_IMPORTS_FLAG } from "../../src/config/runtime_flags.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const OUT = `${ROOT}.tmp/bundle-test`;

/** Built once for every test of this file (the `deno bundle` run takes a few seconds). */
let built: Promise<void> | undefined;
function bundle(): Promise<void> {
  // deno bundle takes paths relative to the working directory: the tests run from the repository root.
  built ??= buildBundle(OUT);
  return built;
}

/** A host (the SDK's client over stdio) running the bundle from `/`, where no deno.json is found. */
function hostOnBundle(url: URL): Promise<Host> {
  return connectHost(url, {
    launch: {
      command: "deno",
      args: ["run", "--quiet", "--no-prompt", `--allow-net=${netFor(url)}`, `${OUT}/main.js`, url.href],
    },
    cwd: "/",
  });
}

Deno.test("bundleArgs: minified, split at every dynamic import, from src/main.ts", () => {
  const args = bundleArgs("out");
  for (const flag of ["--code-splitting", "--minify", "--frozen-lockfile"]) {
    assert.ok(args.includes(flag), flag);
  }
  assert.deepEqual(args.slice(-3), ["--outdir", "out", "src/main.ts"]);
});

Deno.test("bundle: main.js names its types, every import is a file of the bundle, licences beside it", async () => {
  await bundle();
  const main = await Deno.readTextFile(`${OUT}/main.js`);
  assert.ok(main.startsWith('// @ts-self-types="./main.d.ts"\n'), "the types of main.js for JSR");
  assert.match(await Deno.readTextFile(`${OUT}/main.d.ts`), /export declare function main\(/);
  const files = [...Deno.readDirSync(OUT)].map((e) => e.name);
  for (const name of files.filter((n) => n.endsWith(".js"))) {
    const text = await Deno.readTextFile(`${OUT}/${name}`);
    // A bare or npm:/jsr: specifier would need an import map or a registry that a JSR user may not have.
    const specifiers = [
      ...text.matchAll(/\bimport\s*(?:[\w$*\s{},]*?\bfrom\s*)?"([^"]+)"/g),
      ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
      ...text.matchAll(/\bexport\s*\{[^}]*\}\s*from\s*"([^"]+)"/g),
    ].map((m) => m[1]!);
    // A start loads two modules: main.js starts the program, core.js holds the start-up code.
    if (name === "main.js") assert.deepEqual(specifiers, ["./core.js"], "main.js imports core.js alone");
    if (name === "core.js") {
      assert.ok(specifiers.length > 1, "core.js loads the lazily loaded parts");
      assert.doesNotMatch(
        text,
        /\bimport\s*(?:[\w$*\s{},]*?\bfrom\s*)?"/,
        "core.js imports no file statically",
      );
    }
    for (const specifier of specifiers) {
      assert.match(specifier, /^\.\/[\w-]+\.js$/, `${name} imports ${specifier}`);
      assert.ok(files.includes(specifier.slice(2)), `${name} imports ${specifier}, which is in the bundle`);
    }
  }
  // No directory of the build is left, and every module is one a run can load (from main.js, through
  // imports and import()): a lazily loaded file copied into core.js by mistake would be left over.
  assert.deepEqual(
    [...Deno.readDirSync(OUT)].filter((entry) => !entry.isFile).map((entry) => entry.name),
    [],
  );
  const reached = new Set<string>();
  const pending = ["main.js"];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    const text = await Deno.readTextFile(`${OUT}/${name}`);
    pending.push(...moduleHead(text).imports.map((i) => i.file), ...lazyImports(text));
  }
  assert.deepEqual(files.filter((name) => name.endsWith(".js") && !reached.has(name)), []);
  const licences = await Deno.readTextFile(`${OUT}/THIRD_PARTY_LICENSES.md`);
  for (const name of BUNDLED_PACKAGES) assert.match(licences, new RegExp(`## ${name}@\\d`));
  assert.match(licences, /Permission is hereby granted/);
});

Deno.test("bundle: every chunk loads (what runs only for sign-in, config, doctor or the keychain too)", async () => {
  await bundle();
  for (const entry of Deno.readDirSync(OUT)) {
    if (!entry.name.endsWith(".js")) continue;
    // Importing main.js runs nothing: its program starts only as the main module.
    await import(new URL(`file://${OUT}/${entry.name}`).href);
  }
});

Deno.test("bundle: --version from a directory without deno.json", async () => {
  await bundle();
  const out = await new Deno.Command("deno", {
    args: ["run", "--quiet", "--no-prompt", `${OUT}/main.js`, "--version"],
    cwd: "/",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), new RegExp(`^${VERSION.replaceAll(".", "\\.")}`));
});

Deno.test("bundle: --help and config run their lazily loaded chunks, from a directory without deno.json", async () => {
  await bundle();
  const server = await serveExample({ port: 0 });
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command("deno", {
        args: ["run", "--quiet", "--no-prompt", ...args],
        cwd: "/",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, `${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
      return text;
    };
    assert.match(await run([`${OUT}/main.js`, "--help"]), /Usage/i);
    // The README's config command, as it is run: it probes the server and prints the host entries.
    const entries = await run([
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `${OUT}/main.js`,
      "config",
      server.url.href,
    ]);
    assert.match(entries, /"jsr:@mcp-bridge\/mcp-bridge"/);
    assert.ok(entries.includes(server.url.href), entries);
  } finally {
    await server.close();
  }
});

Deno.test("bundle: a host lists and calls tools through it, on a 2025-era and on a 2026-07-28 server", async () => {
  await bundle();
  const legacy = await serveExample({ port: 0 });
  const modern = await serveModern({ legacy: "reject" });
  try {
    for (const server of [legacy, modern]) {
      const host = await hostOnBundle(server.url);
      try {
        const { tools } = await host.client.listTools();
        assert.ok(tools.some((t) => t.name === "echo"), `${server.url.href}: echo is listed`);
        const result = await host.client.callTool({
          name: "echo",
          arguments: { text: "through the bundle" },
        });
        assert.match(JSON.stringify(result.content), /through the bundle/, host.stderr());
      } finally {
        await host.close();
      }
    }
  } finally {
    await legacy.close();
    await modern.close();
  }
});

/** Lists the tools through a bridge started with `args` (run from `/`); the signed assertion authenticated it. */
async function signInAndList(
  world: OAuthWorld,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  const host = await connectHost(world.mcp.url, { launch: { command: "deno", args }, cwd: "/", env });
  try {
    const { tools } = await host.client.listTools();
    assert.ok(tools.some((tool) => tool.name === "echo"), host.stderr());
  } finally {
    await host.close();
  }
  assert.deepEqual(world.as.counters.tokenErrors, {}, "the signed assertion authenticated the client");
}

/** A `deno run` of `module` that signs in with private_key_jwt (client credentials) as "bundle-client". */
function jwtSignInArgs(
  world: OAuthWorld,
  privateJwk: JsonWebKey,
  module: string,
  flags: string[] = [],
): string[] {
  return [
    "run",
    "--quiet",
    "--no-prompt",
    ...flags,
    "--allow-net=127.0.0.1",
    `--allow-read=${world.dir}`,
    `--allow-write=${world.dir}`,
    module,
    world.mcp.url.href,
    "--config-dir",
    world.dir,
    "--client-credentials",
    "--static-oauth-client-info",
    JSON.stringify({
      client_id: "bundle-client",
      private_key: privateJwk,
      token_endpoint_auth_signing_alg: "ES256",
    }),
  ];
}

Deno.test("bundle: signs in with private_key_jwt (the OAuth chunks and jose's) and stores the tokens", async () => {
  await bundle();
  const { privateJwk, publicJwk } = await keyPair();
  await withOAuthWorld({ as: { clients: [jwtClient("bundle-client", publicJwk)] } }, async (world) => {
    await signInAndList(world, jwtSignInArgs(world, privateJwk, `${OUT}/main.js`));
    assert.ok((world.as.counters.tokenRequests.client_credentials ?? 0) >= 1);
    const { record } = await onlyRecord(world.dir);
    assert.equal(typeof record.tokens?.access_token, "string", "the token is stored in the config dir");
  });
});

/**
 * The bundle over HTTP, standing in for jsr.io (unreachable here): a static file server for `OUT` that
 * records every path asked for. Deno allows imports from jsr.io by default; from this server the launch
 * adds `--allow-import=<its host>`, and nothing else.
 */
async function withRemoteBundle(
  run: (remote: { main: string; allowImport: string; served: string[]; denoDir: string }) => Promise<void>,
): Promise<void> {
  await bundle();
  const served: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const name = new URL(request.url).pathname.slice(1);
    served.push(name);
    if (!/^[\w-]+\.js$/.test(name)) return new Response("Not found", { status: 404 });
    try {
      return new Response(await Deno.readFile(`${OUT}/${name}`), {
        headers: { "content-type": "application/javascript" },
      });
    } catch {
      return new Response("Not found", { status: 404 });
    }
  });
  await Deno.mkdir(`${ROOT}.tmp`, { recursive: true });
  // A Deno dir of its own: what is downloaded, and when, is this test's to see.
  const denoDir = await Deno.makeTempDir({ dir: `${ROOT}.tmp`, prefix: "remote-bundle-deno-dir-" });
  try {
    await run({
      main: `http://127.0.0.1:${server.addr.port}/main.js`,
      allowImport: `--allow-import=127.0.0.1:${server.addr.port}`,
      served,
      denoDir,
    });
  } finally {
    await server.shutdown();
    await Deno.remove(denoDir, { recursive: true });
  }
}

/** The arguments of the printed entry with `extra` right after `run` (the stand-in for jsr.io's import grant). */
function withAfterRun(args: readonly string[], extra: string): string[] {
  assert.equal(args[0], "run");
  return ["run", extra, ...args.slice(1)];
}

Deno.test("bundle as a remote module, with the printed entry's lazy imports: each part is fetched when it first runs, with no permission added", async () => {
  const modern = await serveModern({ legacy: "reject" });
  const dir = await Deno.makeTempDir({ dir: `${ROOT}.tmp`, prefix: "remote-bundle-config-" });
  try {
    await withRemoteBundle(async ({ main, allowImport, served, denoDir }) => {
      // The README's config command for this module: the printed entry carries the lazy-imports flag.
      const out = await new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--allow-net",
          "--allow-env",
          "--allow-read",
          "--allow-write",
          `${OUT}/main.js`,
          "config",
          modern.url.href,
          "--host-app",
          "cursor",
          "--bridge-module",
          main,
          "--config-dir",
          dir,
        ],
        cwd: "/",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const entry = Object.values(
        (JSON.parse(new TextDecoder().decode(out.stdout)) as {
          mcpServers: Record<string, { command: string; args: string[] }>;
        }).mcpServers,
      )[0]!;
      assert.ok(entry.args.includes(LAZY_IMPORTS_FLAG), entry.args.join(" "));
      assert.ok(!entry.args.some((arg) => arg.startsWith("--allow-import")), "jsr.io needs no grant");
      assert.equal(served.length, 0, `config ran from the file, nothing is fetched yet: ${served.join(" ")}`);

      const launch = { command: entry.command, args: withAfterRun(entry.args, allowImport) };
      const env = { DENO_DIR: denoDir };
      const host = await connectHost(modern.url, { launch, cwd: "/", env });
      try {
        // The first message probes the server: the 2026-07-28 transport is fetched now, not at the start.
        const result = await host.client.callTool({ name: "echo", arguments: { text: "lazily" } });
        assert.match(JSON.stringify(result.content), /lazily/, host.stderr());
      } finally {
        await host.close();
      }
      assert.ok(served.includes("main.js"), served.join(" "));
      assert.ok(
        served.some((name) => name.startsWith("modern_session-")),
        `the probe's: ${served.join(" ")}`,
      );
      for (const part of ["config_command-", "doctor_command-", "help-", "webapi-", "setup-"]) {
        assert.ok(
          !served.some((name) => name.startsWith(part)),
          `${part}* is not fetched: ${served.join(" ")}`,
        );
      }

      // Once fetched, a part comes from Deno's cache, like every module of a jsr: program.
      served.length = 0;
      const again = await connectHost(modern.url, { launch, cwd: "/", env });
      try {
        const { tools } = await again.client.listTools();
        assert.ok(tools.some((tool) => tool.name === "echo"), again.stderr());
      } finally {
        await again.close();
      }
      assert.equal(served.length, 0, `a second start fetches nothing: ${served.join(" ")}`);
    });
  } finally {
    await modern.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bundle as a remote module with lazy imports: a private_key_jwt sign-in fetches the OAuth code and jose's when it needs them", async () => {
  const { privateJwk, publicJwk } = await keyPair();
  await withRemoteBundle(async ({ main, allowImport, served, denoDir }) => {
    await withOAuthWorld({ as: { clients: [jwtClient("bundle-client", publicJwk)] } }, async (world) => {
      await signInAndList(world, jwtSignInArgs(world, privateJwk, main, [LAZY_IMPORTS_FLAG, allowImport]), {
        DENO_DIR: denoDir,
      });
      for (const part of ["setup-", "webapi-"]) {
        assert.ok(served.some((name) => name.startsWith(part)), `${part}* is fetched: ${served.join(" ")}`);
      }
      assert.ok(!served.some((name) => name.startsWith("doctor_command-")), served.join(" "));
    });
  });
});
