/**
 * A host whose connection to the bridge is expected to FAIL (the initialize gets an error), for
 * tests that run under the op sanitizer.
 *
 * `connectHost` in `bridge_host.ts` cleans up a failed connect with the SDK's
 * `StdioClientTransport.close()`, which races the child's exit against a 2 s timer it never
 * clears; the SDK `Client` also calls that `close()` itself when `initialize` fails. Here the
 * transport's `close()` is replaced, on this instance only, by one that ends the bridge's stdin
 * and waits for the exit, with no timer.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { bridgeArgs, type HostOptions, netFor } from "./bridge_host.ts";

/** How a connect attempt failed. */
export interface ConnectFailure {
  /** The error the SDK client's `connect()` rejected with. */
  error: Error;
  /** Everything the bridge wrote to stderr. */
  stderr: string;
}

interface ChildLike {
  stdin?: { end(): void } | null;
  exitCode: number | null;
  once(event: "close", listener: () => void): void;
}

/**
 * Starts the bridge for a server URL and connects the SDK client to it, expecting the connect to
 * fail. When it unexpectedly succeeds, the bridge is closed and this rejects.
 *
 * @example Usage
 * ```ts ignore
 * import { expectConnectFailure } from "./host_failure.ts";
 * const failure = await expectConnectFailure("http://127.0.0.1:1/mcp", { args: ["--transport", "http-only"] });
 * console.log(failure.error.message);
 * ```
 *
 * @param url The remote server.
 * @param options Arguments, permissions, client options (as for `connectHost`).
 * @returns The error and the bridge's stderr, once the bridge has exited.
 */
export async function expectConnectFailure(
  url: URL | string,
  options: HostOptions = {},
): Promise<ConnectFailure> {
  const permissions = options.permissions ?? { net: [netFor(url)] };
  const transport = new StdioClientTransport({
    command: "deno",
    args: bridgeArgs([String(url), ...(options.args ?? [])], permissions),
    env: { ...(options.env ?? {}), NO_COLOR: "1" },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => {
    stderr += new TextDecoder().decode(chunk);
  });
  let exited!: () => void;
  const exit = new Promise<void>((resolve) => (exited = resolve));
  const internals = transport as unknown as { _process?: ChildLike };
  let closing: Promise<void> | undefined;
  transport.close = () => {
    closing ??= (async () => {
      const child = internals._process;
      // The transport's own "close" listener reports the exit through onclose.
      if (child && child.exitCode === null) {
        const closed = new Promise<void>((resolve) => child.once("close", resolve));
        child.stdin?.end();
        await closed;
      }
    })();
    return closing;
  };
  const client = new Client({ name: "test-host", version: "1.0.0" }, options.clientOptions);
  options.setup?.(client);
  const previous = transport.onclose;
  transport.onclose = () => {
    previous?.();
    exited();
  };
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close();
    await exit;
    return { error: error as Error, stderr };
  }
  await client.close();
  await exit;
  throw new Error(`The connect was expected to fail but succeeded; bridge stderr:\n${stderr}`);
}
