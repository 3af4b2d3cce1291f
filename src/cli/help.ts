/**
 * The `--help` text.
 *
 * @module
 */

import { VERSION } from "../version.ts";

/** The help text printed by `mcp-bridge --help`. */
export const HELP: string = `mcp-bridge ${VERSION}: connect a stdio MCP host to a remote MCP server

Usage:
  mcp-bridge <server-url> [flags]          run the bridge (the host starts this)
  mcp-bridge client <server-url> [flags]   connect once and print what the server offers

Flags:
  --header "Name: value"       add a header to every request (repeatable); \${VAR} is read
                               from the environment (an unset variable is an error)
  --header-file <path>         read headers from a file, one "Name: value" per line, # comments
  --transport <mode>           http-first (default), sse-first, http-only, sse-only
  --allow-http                 allow plain http:// to hosts other than loopback
  --ignore-tool <glob>         hide matching tools (repeatable; * wildcard, case-insensitive)
  --include-tool <glob>        show only matching tools (repeatable)
  --connect-timeout <time>     how long connecting may take (default 30s; 90, 30s, 2m)
  --config-dir <path>          where mcp-bridge keeps its files (else MCP_BRIDGE_CONFIG_DIR,
                               else the per-user config directory)
  --debug                      verbose stderr, and a log file in the config dir
  --silent                     only errors on stderr
  --protocol legacy            speak the 2025 protocol era (the only one in this release)
  -h, --help                   show this help
  -v, --version                show the version

Accepted for mcp-remote compatibility, not implemented yet (they stop with a clear error):
  OAuth: [callback-port] --host --callback-port --callback-path --auth-success-url --auth-timeout
    --static-oauth-client-metadata --static-oauth-client-info --client-metadata-url --device-code
    --client-credentials --token-endpoint --use-id-token --resource --disable-resource-parameter
    --authorize-param --no-browser; commands login, logout, status
  Network: --headers-timeout --body-timeout --ipv4 --enable-proxy --keep-alive --ping-interval
    --disable-cookies

Examples:
  mcp-bridge https://mcp.example.com/mcp
  mcp-bridge https://mcp.example.com/mcp --header "Authorization: Bearer \${API_TOKEN}"
  mcp-bridge https://legacy.example.com/sse --transport sse-only --ignore-tool "delete_*"
  mcp-bridge client https://mcp.example.com/mcp

Permissions (Deno): --allow-net=<server host:port>; --allow-env=<each \${VAR}>;
  --allow-read=<header file>; with --debug, --allow-read/--allow-write=<config dir>.
`;
