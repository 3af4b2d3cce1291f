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
  } catch (error) {
    print(`Demo failed: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    await client.close();
    await server.close();
  }
  return exitCode;
}

if (import.meta.main) Deno.exit(await demo());
