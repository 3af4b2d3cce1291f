/**
 * `deno task demo`: starts the bundled example server on 127.0.0.1, runs mcp-bridge against it
 * exactly as an MCP host would (the SDK's client over stdio, spawning the CLI with exact
 * permissions), and prints what the host sees. It exits by itself.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { serveExample } from "./example_server.ts";

const encoder = new TextEncoder();
function print(text = ""): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

async function demo(): Promise<number> {
  const server = await serveExample({ mode: "stateful" });
  const main = new URL("../main.ts", import.meta.url).pathname;
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    `--allow-net=127.0.0.1:${server.url.port}`,
    main,
    server.url.href,
  ];
  print(`Example MCP server: ${server.url.href}`);
  print(`Host runs:          deno ${args.join(" ")}`);
  print();
  const transport = new StdioClientTransport({ command: "deno", args, stderr: "inherit" });
  const client = new Client({ name: "demo-host", version: "1.0.0" });
  let exitCode = 0;
  try {
    await client.connect(transport);
    const info = client.getServerVersion();
    print(`Server info:   ${info?.name} ${info?.version}`);
    print(`Instructions:  ${client.getInstructions() ?? ""}`);
    print();
    const { tools } = await client.listTools();
    print(`Tools (${tools.length}):`);
    for (const tool of tools) print(`  ${tool.name.padEnd(10)} ${tool.description ?? ""}`);
    print();
    const sum = await client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
    print(`tools/call add {a: 2, b: 40} -> ${JSON.stringify(sum.content)}`);
    const lift = await client.callTool({ name: "countdown", arguments: { n: 3, delayMs: 150 } }, {
      onprogress: (p) => print(`  progress ${p.progress}/${p.total}: ${p.message ?? ""}`),
    });
    print(`tools/call countdown {n: 3} -> ${JSON.stringify(lift.content)}`);
    print();
    const resource = await client.readResource({ uri: "demo://readme" });
    print(
      `resources/read demo://readme -> ${JSON.stringify((resource.contents[0] as { text?: string }).text)}`,
    );
    const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
    print(`prompts/get greet {name: "Ada"} -> ${JSON.stringify(prompt.messages[0]?.content)}`);
    print();
    print("Done: every message went host -> stdin -> mcp-bridge -> HTTP -> server and back.");
    print();
    exitCode = await oauthDemo();
  } catch (error) {
    print(`Demo failed: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    await client.close();
    await server.close();
  }
  return exitCode;
}

/**
 * The same host against an OAuth-protected server: a real authorization server (oidc-provider)
 * that approves every sign-in by itself, and a "browser" that follows its redirects. DEMO ONLY:
 * nothing here asks a person anything.
 */
async function oauthDemo(): Promise<number> {
  print("== OAuth sign-in (demo: the authorization server approves by itself, a headless browser clicks) ==");
  const { startOAuthServer } = await import("./oauth_server.ts");
  const { serveProtected } = await import("./protected_server.ts");
  const as = await startOAuthServer();
  const mcp = await serveProtected({ issuer: as.issuer });
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "demo-" });
  const configDir = await Deno.realPath(dir);
  const main = new URL("../main.ts", import.meta.url).pathname;
  // $BROWSER names one program (no arguments, no interpreter): a wrapper script runs the headless
  // browser with its own permissions, and the bridge may run only that script.
  const browser = `${configDir}/headless-browser.sh`;
  Deno.writeTextFileSync(
    browser,
    `#!/bin/sh\nexec deno run --quiet --no-prompt --allow-net=127.0.0.1 '${
      new URL("./headless_browser.ts", import.meta.url).pathname.replaceAll("'", `'\\''`)
    }' "$1"\n`,
    { mode: 0o700 },
  );
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-run=${browser}`,
    "--allow-env=BROWSER",
    `--allow-read=${configDir}`,
    `--allow-write=${configDir}`,
    main,
    mcp.url.href,
    "--host",
    "127.0.0.1",
    "--config-dir",
    configDir,
  ];
  print(`Authorization server: ${as.issuer}`);
  print(`Protected MCP server: ${mcp.url.href}`);
  print(`Host runs:            deno ${args.join(" ")}`);
  print();
  const transport = new StdioClientTransport({
    command: "deno",
    args,
    env: { BROWSER: browser },
    stderr: "inherit",
  });
  const client = new Client({ name: "demo-host", version: "1.0.0" });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    print(`Signed in. Tools (${tools.length}): ${tools.map((t) => t.name).join(", ")}`);
    const echo = await client.callTool({ name: "echo", arguments: { text: "hello with a token" } });
    print(`tools/call echo -> ${JSON.stringify(echo.content)}`);
    print(
      `The authorization server saw ${as.counters.registrations} registration, ${as.counters.authorizations} ` +
        `sign-in and ${
          as.counters.tokenRequests.authorization_code ?? 0
        } code exchange; the token is stored in ` +
        `${configDir} (mode 0600).`,
    );
    return 0;
  } catch (error) {
    print(`OAuth demo failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await client.close();
    await mcp.close();
    await as.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await demo());
