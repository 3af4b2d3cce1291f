/**
 * A host whose connection to the bridge is expected to FAIL (the initialize gets an error).
 *
 * @module
 */

import { connectHost, HostConnectError, type HostOptions } from "./bridge_host.ts";

/** How a connect attempt failed. */
export interface ConnectFailure {
  /** The error the SDK client's `connect()` rejected with. */
  error: Error;
  /** Everything the bridge wrote to stderr. */
  stderr: string;
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
  let host;
  try {
    host = await connectHost(url, options);
  } catch (error) {
    if (error instanceof HostConnectError) return { error: error.clientError, stderr: error.stderr };
    throw error;
  }
  const stderr = host.stderr();
  await host.close();
  throw new Error(`The connect was expected to fail but succeeded; bridge stderr:\n${stderr}`);
}
