/**
 * `mcp-bridge client <url>`: connects through the bridge's own transports, prints what the server
 * offers as tables, and exits 0 (connected) or 1 (failed). A troubleshooting command for terminals.
 *
 * @module
 */

import type { ToolFilter } from "../bridge/tool_filter.ts";
import { Pagination } from "../jsonrpc/pagination.ts";
import { type Envelope, errorResponse, idKey, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { neutralise } from "../log/neutralise.ts";
import type { MessageSink, RemoteTransport } from "../transport/transport.ts";
import { VERSION } from "../version.ts";
import { formatTable } from "./table.ts";

/** Options for {@linkcode runClient}. */
export interface ClientOptions {
  /** The server URL (for the heading). */
  serverUrl: URL;
  /** Tool filters (the listing shows what a host would see). */
  filter: ToolFilter;
  /** The logger. */
  log: Logger;
  /** Writes text to the terminal. */
  print: (text: string) => void;
  /** Builds the transport with a sink. */
  connect: (sink: MessageSink) => RemoteTransport;
}

type Json = Record<string, unknown>;

/**
 * Connects, lists tools, resources and prompts, and prints them.
 *
 * @example Usage
 * ```ts ignore
 * import { runClient } from "./client_command.ts";
 * const code = await runClient({ serverUrl, filter, log, print: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)), connect });
 * ```
 *
 * @param options The connection and output.
 * @returns The exit code.
 */
export async function runClient(options: ClientOptions): Promise<number> {
  const { log } = options;
  // Everything printed comes from the server: no escape sequences on the terminal, no secrets.
  const print = (text: string) => options.print(log.redact(neutralise(text, "\n")));
  const cell = (value: unknown) => log.redact(neutralise(String(value ?? ""), " "));
  const results = new Map<string, Json>();
  const sink: MessageSink = async (text: string, envelope: Envelope) => {
    if (envelope.kind === "response" && envelope.id !== null) {
      results.set(idKey(envelope.id), envelope.value);
    } else if (envelope.kind === "request") {
      // Answer the server's own requests so that it is not left waiting.
      const answer = envelope.method === "ping"
        ? JSON.stringify({ jsonrpc: "2.0", id: envelope.id, result: {} })
        : errorResponse(envelope.id, -32601, `mcp-bridge client does not support ${envelope.method}`);
      await transport.send(answer, parseMessage(answer)).catch(() => {});
    } else if (envelope.kind === "notification" && envelope.method === "notifications/message") {
      log.info(`server log: ${text}`);
    }
  };
  const transport: RemoteTransport = options.connect(sink);
  let seq = 0;
  const call = async (method: string, params: Json = {}): Promise<Json> => {
    const id = ++seq;
    const text = JSON.stringify({ jsonrpc: "2.0", id, method, params });
    await transport.send(text, parseMessage(text));
    const response = results.get(idKey(id));
    results.delete(idKey(id));
    const error = response?.error as { message?: string; code?: number } | undefined;
    if (error) throw new Error(`${method} failed: ${error.message} (code ${error.code})`);
    return (response?.result ?? {}) as Json;
  };
  const listAll = async (method: string, key: string): Promise<Json[]> => {
    const items: Json[] = [];
    const pages = new Pagination(`${method} from ${options.serverUrl.host}`);
    let cursor: string | undefined;
    do {
      const result = await call(method, cursor ? { cursor } : {});
      items.push(...((result[key] as Json[] | undefined) ?? []));
      cursor = pages.next(result);
    } while (cursor);
    return items;
  };

  try {
    const init = await call("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "mcp-bridge-client", version: VERSION },
    });
    const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
    await transport.send(initialized, parseMessage(initialized));
    const info = (init.serverInfo ?? {}) as Json;
    const caps = (init.capabilities ?? {}) as Json;
    print(`Server:    ${cell(info.name ?? "?")} ${cell(info.version)}\n`);
    print(`URL:       ${options.serverUrl.href} (${transport.kind})\n`);
    print(`Protocol:  ${cell(init.protocolVersion ?? "?")}\n`);
    print(`Supports:  ${cell(Object.keys(caps).join(", ")) || "nothing"}\n`);
    if (typeof init.instructions === "string") {
      print(`Notes:     ${cell(init.instructions).replace(/\s+/g, " ")}\n`);
    }
    if (caps.tools) {
      const tools = (await listAll("tools/list", "tools")).filter((t) =>
        options.filter.blockReason(String(t.name)) === undefined
      );
      print(`\nTools (${tools.length})\n`);
      print(
        formatTable(["name", "description"], tools.map((t) => [cell(t.name), cell(t.description)])),
      );
    }
    if (caps.resources) {
      const resources = await listAll("resources/list", "resources");
      print(`\nResources (${resources.length})\n`);
      print(
        formatTable(
          ["uri", "name", "type"],
          resources.map((r) => [cell(r.uri), cell(r.name), cell(r.mimeType)]),
        ),
      );
    }
    if (caps.prompts) {
      const prompts = await listAll("prompts/list", "prompts");
      print(`\nPrompts (${prompts.length})\n`);
      print(formatTable(
        ["name", "arguments", "description"],
        prompts.map((p) => [
          cell(p.name),
          cell(
            ((p.arguments as Json[] | undefined) ?? []).map((a) => `${a.name}${a.required ? "" : "?"}`).join(
              ", ",
            ),
          ),
          cell(p.description),
        ]),
      ));
    }
    return 0;
  } catch (error) {
    log.error((error as Error).message);
    return 1;
  } finally {
    await transport.close();
  }
}
