/**
 * The `--help` text.
 *
 * @module
 */

import { VERSION } from "../version.ts";

/** The help text printed by `mcp-bridge --help`. */
export const HELP: string = `mcp-bridge ${VERSION}: connect a stdio MCP host to a remote MCP server

Usage:
  mcp-bridge <server-url> [callback-port] [flags]   run the bridge (the host starts this)
  mcp-bridge client <server-url> [flags]            connect once and print what the server offers
  mcp-bridge login <server-url> [flags]             sign in from a terminal
  mcp-bridge config <server-url> [--host-app <app>] [--binary|--install] [--write] [--name <name>] [flags]
                                                    print each host's entry with the least-privilege
                                                    deno permissions (apps: claude-desktop, cursor,
                                                    windsurf, vscode, claude-code; --write merges it
                                                    into the host's file, backed up first)
  mcp-bridge doctor <server-url> [--json] [flags]   diagnose "server disconnected", step by step
  mcp-bridge logout <server-url> [flags] | --all    revoke and delete stored credentials
  mcp-bridge status                                 list stored credentials (no secrets)

Connection:
  --header "Name: value"       add a header to every request (repeatable); \${VAR} is read
                               from the environment (an unset variable is an error)
  --header-file <path>         read headers from a file, one "Name: value" per line, # comments
  --header-command "cmd args"  a credential helper: its output (a token, "Name: value", or JSON
                               {"header"|"token", "expires_at"}) is sent on every request; run at
                               start, before that expiry and after a 401 (no shell; --allow-run=cmd)
  --transport <mode>           http-first (default), sse-first, http-only, sse-only
  --allow-http                 allow plain http:// to hosts other than loopback
  --ignore-tool <glob>         hide matching tools (repeatable; * wildcard, case-insensitive)
  --include-tool <glob>        show only matching tools (repeatable)
  --connect-timeout <time>     how long connecting may take (default 30s; 90, 30s, 2m)
  --max-message-size <size>    the largest message, JSON body or event accepted from the
                               server (default 64MiB; 512KiB, 1GiB)
  --headers-timeout <time>     the longest wait for a response to start (none by default; a JSON
                               answer to a long tool call starts only when the tool is done; 0: none)
  --body-timeout <time>        the longest silence in the middle of a response: a stalled
                               connection (none by default; a server may stay silent during a call;
                               0: none)
  --request-timeout <time>     the longest wait for the answer to a host request; then one error,
                               and the server is asked to cancel it (none by default)
  --protocol <era>             auto (default: detect the server's era and translate), legacy
                               (2025 era only) or modern (2026-07-28 only)

Reconnection (on by default, once the server was reached):
  --reconnect-max-delay <time> the longest wait between two attempts (default 30s)
  --reconnect-max-duration <time>  how long an outage may last before requests fail (default 5m)
  --no-reconnect               fail at once when the server cannot be reached
  --stall-probe <time>         silence on an answer before a JSON-RPC ping checks the server
                               (default 5s; 0 turns it off)
  --keep-alive                 send a JSON-RPC ping after 30s without traffic (--ping-interval
  --ping-interval <time>       sets the period; plain numbers are seconds)
  (up-mcp-bridge's --auto-reconnect, --reconnect-delay <ms>, --max-reconnect-delay <ms>,
  --max-reconnect-duration <ms> and --max-reconnect-attempts <n> are accepted)

Corporate networks (for the MCP server and the authorization server alike):
  --proxy <url>                send everything through this proxy (http://, https://, socks5://;
                               user:password@ for Basic auth); without it HTTPS_PROXY, HTTP_PROXY
                               and NO_PROXY are honoured (--enable-proxy is accepted, not needed)
  --ca-file <path>             trust the PEM certificates in this file too (a private CA)
  --ipv4                       connect over IPv4 only
  --disable-cookies            do not keep the MCP server's cookies (kept in memory by default,
                               for load balancers that pin a session to one backend)
  --client-cert <path>         present this PEM certificate to servers that ask for one (mutual
  --client-key <path>          TLS), with its PEM private key
  For a test server only: Deno's own --unsafely-ignore-certificate-errors=<host>

Authorization (OAuth 2.1; automatic on a 401 unless you pass an Authorization header):
  --callback-port <port>       the sign-in callback port (also the positional [callback-port];
                               default: derived from the server, with fallbacks when busy)
  --host <host>                the redirect URI host: localhost (default) or 127.0.0.1
  --callback-path <path>       the redirect URI path (default /oauth/callback)
  --auth-timeout <time>        how long to wait for the sign-in (default 5m)
  --auth-success-url <url>     where the browser goes after signing in
  --no-browser                 print the sign-in URL instead of opening a browser
  --static-oauth-client-info <json|@file>      a registered client_id/client_secret, or private_key
                               (PEM, JWK or @file) for private_key_jwt (\${VAR} expanded)
  --static-oauth-client-metadata <json|@file>  merged into the dynamic registration
  --client-metadata-url <url>  a Client ID Metadata Document (used when the server supports it)
  --resource <uri>             the RFC 8707 resource ("" omits it); --disable-resource-parameter
  --authorize-param <k=v>      an extra authorization request parameter (repeatable)
  --client-credentials         sign in as the client itself (needs a client secret or private key);
                               --token-endpoint <url> skips discovery
  --device-code                sign in with a code on another device (RFC 8628)
  --workload-token-file <path> sign in as a workload with the identity token in this file
                               (JWT-bearer grant; client_id from --static-oauth-client-info)
  --workload-token-command <cmd>  the same with a program that prints the token (no shell)
  --enterprise-idp <json|@file>  sign in through the company's identity provider: your ID token is
                               exchanged there for an ID-JAG (issuer and client_id: sign in there in
                               the browser; or token_endpoint, client_id and id_token)
  --use-id-token               send the OpenID id_token instead of the access token
  --store <file|keychain|memory>  where credentials live (default file; keychain: the Secret
                               Service, macOS keychain or Windows Credential Manager, needs
                               --allow-run=secret-tool, security or powershell.exe)
  --idp-profile <name>         an identity provider's quirks: auto (default, by the issuer), entra,
                               auth0, google, or none

Output:
  --config-dir <path>          where mcp-bridge keeps credentials, logs and each server's protocol era
                               (else MCP_BRIDGE_CONFIG_DIR, else the per-user config directory)
  --debug                      verbose stderr, and a log file in the config dir (secrets redacted,
                               escape sequences shown as \\x1b)
  --silent                     only errors (and sign-in URLs and device codes) on stderr
  -h, --help, help             show this help
  -v, --version                show the version

Examples:
  mcp-bridge https://mcp.example.com/mcp
  mcp-bridge https://mcp.example.com/mcp --header "Authorization: Bearer \${API_TOKEN}"
  mcp-bridge https://legacy.example.com/sse --transport sse-only --ignore-tool "delete_*"
  mcp-bridge login https://mcp.example.com/mcp --no-browser
  mcp-bridge client https://mcp.example.com/mcp

Permissions (Deno): --allow-net=<server host:port>,<authorization server host:port>,127.0.0.1;
  --allow-read=<config dir> --allow-write=<config dir> (or --allow-env=HOME for the default one);
  --allow-run=xdg-open (or open) to open the browser; --allow-env=<each \${VAR}>;
  --allow-read=<header file>, <--ca-file>, <--client-cert>, <--client-key>.
`;
