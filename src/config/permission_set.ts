/**
 * The least-privilege Deno permission flags for one bridge, from what discovery and the command line say:
 * the network to the MCP server and to each host of its authorization server the bridge fetches from, the
 * loopback callback, the config dir (absolute: Deno does not expand `~`), the environment variables the
 * headers name, the files the flags name, and the browser opener of the operating system. Pure.
 *
 * @module
 */

/** What one bridge will need. */
export interface PermissionPlan {
  /** The MCP server. */
  serverUrl: URL;
  /** Every URL the bridge fetches for authorization (metadata, token, registration, revocation, device). */
  authUrls: readonly URL[];
  /** Whether the user signs in in a browser: the loopback callback listener is needed. */
  browserSignIn: boolean;
  /** `--callback-port`, when the user fixed one. */
  callbackPort?: number;
  /** `--host 127.0.0.1`: the listener binds that address only (`localhost`, the default, binds both). */
  callbackIpv4Only?: boolean;
  /** The config dir, absolute (credentials, the debug log, the era memory); `undefined` when nothing is stored. */
  configDir?: string;
  /**
   * What of the config dir the bridge may read and write, when not all of it: its `eras/` for a bridge that
   * only remembers the server's protocol era (no sign-in, no debug log), which then cannot read credentials.
   */
  configGrant?: string;
  /** Environment variables the bridge reads (`${VAR}`s, `BROWSER`). */
  envVars: readonly string[];
  /** Files the bridge reads (`--header-file`, `@file`, `--ca-file`, …). */
  readFiles: readonly string[];
  /** Programs the bridge runs (the browser opener, `--header-command`). */
  runPrograms: readonly string[];
  /** `--proxy`: the proxy is reached too. */
  proxyUrl?: URL;
}

/**
 * `host:port` as Deno's `--allow-net` takes it (the scheme's default port when the URL names none).
 *
 * @example Usage
 * ```ts
 * import { netEntry } from "./permission_set.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(netEntry(new URL("https://mcp.example.com/mcp")), "mcp.example.com:443");
 * assert.equal(netEntry(new URL("http://[::1]:8080/")), "[::1]:8080");
 * ```
 *
 * @param url The URL.
 * @returns The entry.
 */
export function netEntry(url: URL): string {
  const port = url.port ||
    (url.protocol === "https:"
      ? "443"
      : url.protocol === "http:"
      ? "80"
      : url.protocol === "socks5:"
      ? "1080"
      : "");
  return port ? `${url.hostname}:${port}` : url.hostname;
}

/**
 * The `deno run` permission flags for a plan, most specific first, each list without repeats.
 *
 * @example Usage
 * ```ts
 * import { denoPermissionFlags } from "./permission_set.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   denoPermissionFlags({
 *     serverUrl: new URL("https://mcp.example.com/mcp"),
 *     authUrls: [new URL("https://auth.example.com/token")],
 *     browserSignIn: true,
 *     configDir: "/home/me/.config/mcp-bridge",
 *     envVars: [],
 *     readFiles: [],
 *     runPrograms: ["xdg-open"],
 *   }),
 *   [
 *     "--allow-net=mcp.example.com:443,auth.example.com:443,127.0.0.1,[::1]",
 *     "--allow-read=/home/me/.config/mcp-bridge",
 *     "--allow-write=/home/me/.config/mcp-bridge",
 *     "--allow-run=xdg-open",
 *   ],
 * );
 * ```
 *
 * @param plan What the bridge will need.
 * @returns The flags.
 */
export function denoPermissionFlags(plan: PermissionPlan): string[] {
  const net = unique([
    netEntry(plan.serverUrl),
    ...plan.authUrls.map(netEntry),
    ...(plan.proxyUrl ? [netEntry(plan.proxyUrl)] : []),
    // The callback listener binds both loopback addresses (`localhost` in the redirect URI needs both).
    ...(plan.browserSignIn
      ? (plan.callbackIpv4Only ? ["127.0.0.1"] : ["127.0.0.1", "[::1]"]).map((host) =>
        plan.callbackPort !== undefined ? `${host}:${plan.callbackPort}` : host
      )
      : []),
  ]);
  const flags = [`--allow-net=${net.join(",")}`];
  const grant = plan.configGrant ?? plan.configDir;
  const read = unique([...(grant ? [grant] : []), ...plan.readFiles]);
  if (read.length > 0) flags.push(`--allow-read=${read.join(",")}`);
  if (grant) flags.push(`--allow-write=${grant}`);
  const env = unique(plan.envVars);
  if (env.length > 0) flags.push(`--allow-env=${env.join(",")}`);
  const run = unique(plan.runPrograms);
  if (run.length > 0) flags.push(`--allow-run=${run.join(",")}`);
  return flags;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
