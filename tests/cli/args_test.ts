import { DEFAULT_LIVENESS } from "../../src/transport/liveness.ts";
import { DEFAULT_RECONNECT } from "../../src/transport/reconnect.ts";
import assert from "node:assert/strict";
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  parseCommandLine,
  parseServerUrl,
  UsageError,
} from "../../src/cli/args.ts";
import { TRANSPORT_MODES } from "../../src/transport/fallback.ts";

const URL_TEXT = "https://example.com/mcp";

function run(argv: string[]) {
  const parsed = parseCommandLine(argv);
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") throw new Error("unreachable");
  return parsed.options;
}

function usageError(argv: string[], pattern: RegExp): void {
  assert.throws(() => parseCommandLine(argv), (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    assert.equal(error.name, "UsageError");
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("parseServerUrl() accepts https and drops the fragment", () => {
  const url = parseServerUrl("https://example.com:8443/mcp?x=1#frag", false);
  assert.equal(url.href, "https://example.com:8443/mcp?x=1");
});

Deno.test("parseServerUrl() refuses plain http on a public host without --allow-http", () => {
  assert.throws(() => parseServerUrl("http://example.com/mcp", false), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /--allow-http/);
    assert.match(error.message, /example\.com/);
    return true;
  });
});

Deno.test("parseServerUrl() accepts plain http on a public host with --allow-http", () => {
  assert.equal(parseServerUrl("http://example.com/mcp", true).protocol, "http:");
});

Deno.test("parseServerUrl() accepts plain http on loopback hosts without --allow-http", () => {
  for (const text of ["http://localhost:3000/mcp", "http://127.0.0.1:8080/sse", "http://[::1]:9000/mcp"]) {
    assert.equal(parseServerUrl(text, false).protocol, "http:", text);
  }
});

Deno.test("parseServerUrl() refuses text that is not a URL", () => {
  assert.throws(() => parseServerUrl("example.com/mcp", false), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /Cannot parse server URL "example\.com\/mcp"/);
    return true;
  });
});

Deno.test("parseServerUrl() refuses schemes other than http and https", () => {
  for (const text of ["ftp://example.com/mcp", "ws://example.com/mcp", "file:///tmp/x"]) {
    assert.throws(() => parseServerUrl(text, true), /the scheme must be https:/, text);
  }
});

Deno.test("parseServerUrl() refuses credentials in the URL without echoing them", () => {
  for (const text of ["https://user:hunter22@example.com/mcp", "https://user@example.com/mcp"]) {
    assert.throws(() => parseServerUrl(text, false), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /credentials in the URL are not allowed/);
      assert.doesNotMatch(error.message, /hunter22|user@/);
      return true;
    });
  }
});

Deno.test("parseCommandLine() gives the defaults for a bare server URL", () => {
  const options = run([URL_TEXT]);
  assert.deepEqual(options, {
    command: "bridge",
    serverUrl: new URL(URL_TEXT),
    headers: [],
    headerFiles: [],
    allowHttp: false,
    transport: "http-first",
    protocol: "auto",
    debug: false,
    silent: false,
    ignoreTools: [],
    includeTools: [],
    configDir: undefined,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    maxMessageBytes: 64 * 1024 * 1024,
    network: {},
    reconnect: DEFAULT_RECONNECT,
    liveness: DEFAULT_LIVENESS,
    disableCookies: false,
    all: false,
    auth: {
      callbackPort: undefined,
      host: "localhost",
      callbackPath: "/oauth/callback",
      authSuccessUrl: undefined,
      authTimeoutMs: 300_000,
      staticClientMetadata: undefined,
      staticClientInfo: undefined,
      clientMetadataUrl: undefined,
      grant: "authorization_code",
      tokenEndpoint: undefined,
      useIdToken: false,
      workloadTokenFile: undefined,
      workloadTokenCommand: undefined,
      enterpriseIdp: undefined,
      idpProfile: "auto",
      store: "file",
      resource: undefined,
      authorizeParams: [],
      noBrowser: false,
    },
  });
  assert.equal(DEFAULT_CONNECT_TIMEOUT_MS, 30_000);
});

Deno.test("parseCommandLine() reads every implemented flag", () => {
  const options = run([
    "--header",
    "X-A: 1",
    "--header=X-B: ${B}",
    "--header-file",
    "one.txt",
    "--header-file",
    "two.txt",
    "--allow-http",
    "--transport",
    "sse-only",
    "--protocol",
    "legacy",
    "--debug",
    "--silent",
    "--ignore-tool",
    "delete_*",
    "--ignore-tool",
    "drop_*",
    "--include-tool",
    "list_*",
    "--config-dir",
    "/tmp/cfg",
    "--connect-timeout",
    "5s",
    "http://example.com/mcp",
  ]);
  assert.deepEqual(options.headers, [
    { name: "X-A", template: "1", source: "--header" },
    { name: "X-B", template: "${B}", source: "--header" },
  ]);
  assert.deepEqual(options.headerFiles, ["one.txt", "two.txt"]);
  assert.equal(options.allowHttp, true);
  assert.equal(options.serverUrl.href, "http://example.com/mcp");
  assert.equal(options.transport, "sse-only");
  assert.equal(options.debug, true);
  assert.equal(options.silent, true);
  assert.deepEqual(options.ignoreTools, ["delete_*", "drop_*"]);
  assert.deepEqual(options.includeTools, ["list_*"]);
  assert.equal(options.configDir, "/tmp/cfg");
  assert.equal(options.connectTimeoutMs, 5000);
});

Deno.test("parseCommandLine() refuses plain http on a public host without --allow-http", () => {
  usageError(["http://example.com/mcp"], /--allow-http/);
});

Deno.test("parseCommandLine() turns a bad --header into a UsageError", () => {
  usageError([URL_TEXT, "--header", "Mcp-Session-Id: x"], /Mcp-Session-Id.*sets it itself/);
  usageError([URL_TEXT, "--header", "no colon"], /missing ":"/);
});

Deno.test("parseCommandLine() returns help for --help and -h, even with other arguments", () => {
  assert.deepEqual(parseCommandLine(["--help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" });
  assert.deepEqual(parseCommandLine([URL_TEXT, "--help", "--host", "x"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["--help", "--version"]), { kind: "help" });
});

Deno.test("parseCommandLine() returns version for --version and -v", () => {
  assert.deepEqual(parseCommandLine(["--version"]), { kind: "version" });
  assert.deepEqual(parseCommandLine(["-v"]), { kind: "version" });
  assert.deepEqual(parseCommandLine(["login", "--version"]), { kind: "version" });
});

Deno.test("parseCommandLine() refuses an unknown flag and points at --help", () => {
  usageError([URL_TEXT, "--frobnicate"], /frobnicate.*: see mcp-bridge --help$/s);
});

Deno.test("parseCommandLine() refuses a string flag without its value", () => {
  usageError([URL_TEXT, "--transport"], /transport.*see mcp-bridge --help/s);
});

Deno.test("parseCommandLine() refuses a missing server URL", () => {
  usageError([], /Missing the server URL/);
  usageError(["--debug"], /Missing the server URL/);
});

Deno.test("parseCommandLine() reads the liveness flags: --stall-probe (0 turns it off), --keep-alive, --ping-interval", () => {
  const defaults = run([URL_TEXT]).liveness;
  assert.equal(defaults.probeAfterMs, 5_000);
  assert.equal(defaults.pingIntervalMs, undefined);
  assert.equal(run([URL_TEXT, "--stall-probe", "20s"]).liveness.probeAfterMs, 20_000);
  assert.equal(run([URL_TEXT, "--stall-probe", "0"]).liveness.probeAfterMs, 0);
  assert.equal(run([URL_TEXT, "--keep-alive"]).liveness.pingIntervalMs, 30_000);
  // Plain numbers are seconds, as in mcp-remote; --ping-interval implies --keep-alive.
  assert.equal(run([URL_TEXT, "--ping-interval", "15"]).liveness.pingIntervalMs, 15_000);
  usageError([URL_TEXT, "--ping-interval", "0"], /Cannot use --ping-interval: it must be positive/);
  usageError([URL_TEXT, "--stall-probe", "soon"], /Cannot use --stall-probe/);
});

for (const mode of TRANSPORT_MODES) {
  Deno.test(`parseCommandLine() accepts --transport ${mode}`, () => {
    assert.equal(run([URL_TEXT, "--transport", mode]).transport, mode);
  });
}

Deno.test("parseCommandLine() refuses an unknown --transport, listing the modes", () => {
  usageError(
    [URL_TEXT, "--transport", "websocket"],
    /Cannot use --transport "websocket": expected one of http-first, sse-first, http-only, sse-only/,
  );
  usageError([URL_TEXT, "--transport", "HTTP-FIRST"], /Cannot use --transport "HTTP-FIRST"/);
});

Deno.test("parseCommandLine() reads --protocol (auto by default)", () => {
  assert.equal(run([URL_TEXT]).protocol, "auto");
  for (const protocol of ["auto", "legacy", "modern"]) {
    assert.equal(run([URL_TEXT, "--protocol", protocol]).protocol, protocol);
  }
});

Deno.test("parseCommandLine() refuses an unknown --protocol", () => {
  usageError(
    [URL_TEXT, "--protocol", "2026"],
    /Cannot use --protocol "2026": expected auto, legacy or modern/,
  );
});

Deno.test("parseCommandLine() reads a positional callback port, or --callback-port", () => {
  for (const port of ["1", "3334", "65535"]) {
    assert.equal(run([URL_TEXT, port]).auth.callbackPort, Number(port));
  }
  assert.equal(run([URL_TEXT, "--callback-port", "4000"]).auth.callbackPort, 4000);
  assert.equal(run([URL_TEXT, "4000", "--callback-port", "4000"]).auth.callbackPort, 4000);
  usageError([URL_TEXT, "4000", "--callback-port", "4001"], /Two callback ports given/);
  usageError([URL_TEXT, "--callback-port", "0"], /Cannot parse --callback-port "0"/);
});

Deno.test("parseCommandLine() refuses a positional callback port that is not a port number", () => {
  for (const port of ["0", "65536", "abc", "-1", "12.5", "3334x"]) {
    usageError(
      [URL_TEXT, "--", port],
      new RegExp(`Cannot parse callback port "${port.replace(".", "\\.")}"`),
    );
  }
});

Deno.test("parseCommandLine() refuses a third positional argument", () => {
  usageError([URL_TEXT, "3334", "extra"], /Unexpected argument "extra"/);
});

Deno.test("parseCommandLine() reads the client subcommand", () => {
  const options = run(["client", URL_TEXT, "--transport", "sse-first"]);
  assert.equal(options.command, "client");
  assert.equal(options.serverUrl.href, URL_TEXT);
  assert.equal(options.transport, "sse-first");
});

Deno.test("parseCommandLine() refuses the client subcommand without a URL", () => {
  usageError(["client"], /Missing the server URL/);
});

Deno.test("parseCommandLine() refuses a callback port after the client subcommand", () => {
  usageError(["client", URL_TEXT, "3334"], /Unexpected argument "3334"/);
});

Deno.test("parseCommandLine() reads the login, logout and status commands", () => {
  assert.equal(run(["login", URL_TEXT]).command, "login");
  assert.equal(run(["login", URL_TEXT, "3334"]).auth.callbackPort, 3334);
  assert.equal(run(["logout", URL_TEXT]).command, "logout");
  const all = run(["logout", "--all"]);
  assert.equal(all.command, "logout");
  assert.equal(all.all, true);
  assert.equal(run(["status"]).command, "status");
  usageError(["login"], /Missing the server URL: mcp-bridge login <server-url>/);
  usageError(["logout"], /Missing the server URL/);
  usageError(["status", URL_TEXT], /Unexpected argument/);
  usageError([URL_TEXT, "--all"], /--all goes with logout/);
});

Deno.test("parseCommandLine() reads the OAuth flags", () => {
  const options = run([
    URL_TEXT,
    "--host",
    "127.0.0.1",
    "--callback-path",
    "/cb",
    "--auth-timeout",
    "2m",
    "--auth-success-url",
    "https://example.com/done",
    "--static-oauth-client-info",
    '{"client_id":"abc"}',
    "--static-oauth-client-metadata",
    "@meta.json",
    "--client-metadata-url",
    "https://example.com/client.json",
    "--use-id-token",
    "--resource",
    "https://example.com/tenant",
    "--authorize-param",
    "prompt=consent",
    "--authorize-param",
    "audience=a=b",
    "--no-browser",
  ]).auth;
  assert.equal(options.host, "127.0.0.1");
  assert.equal(options.callbackPath, "/cb");
  assert.equal(options.authTimeoutMs, 120_000);
  assert.equal(options.authSuccessUrl, "https://example.com/done");
  assert.equal(options.staticClientInfo, '{"client_id":"abc"}');
  assert.equal(options.staticClientMetadata, "@meta.json");
  assert.equal(options.clientMetadataUrl, "https://example.com/client.json");
  assert.equal(options.useIdToken, true);
  assert.equal(options.resource, "https://example.com/tenant");
  assert.deepEqual(options.authorizeParams, [["prompt", "consent"], ["audience", "a=b"]]);
  assert.equal(options.noBrowser, true);
  assert.equal(run([URL_TEXT, "--resource", ""]).auth.resource, null);
  assert.equal(
    run([URL_TEXT, "--resource", "https://x", "--disable-resource-parameter"]).auth.resource,
    null,
  );
  assert.equal(run([URL_TEXT, "--device-code"]).auth.grant, "device_code");
  const cc = run([URL_TEXT, "--client-credentials", "--token-endpoint", "https://as.example.com/token"]).auth;
  assert.equal(cc.grant, "client_credentials");
  assert.equal(cc.tokenEndpoint, "https://as.example.com/token");
});

Deno.test("parseCommandLine() refuses OAuth flags that cannot work", () => {
  usageError(
    [URL_TEXT, "--host", "example.com"],
    /Cannot use --host "example\.com": the redirect URI must be on this machine/,
  );
  // Another loopback address would name a port the listener (on 127.0.0.1) does not hold.
  usageError([URL_TEXT, "--host", "127.0.0.5"], /Cannot use --host "127\.0\.0\.5"/);
  usageError([URL_TEXT, "--callback-path", "cb"], /must start with "\/"/);
  usageError(
    [URL_TEXT, "--authorize-param", "state=x"],
    /Cannot set --authorize-param state: mcp-bridge sets it itself/,
  );
  usageError([URL_TEXT, "--authorize-param", "resource=x"], /use --resource/);
  usageError([URL_TEXT, "--authorize-param", "novalue"], /expected name=value/);
  usageError(
    [URL_TEXT, "--token-endpoint", "https://x/token"],
    /--token-endpoint goes with --client-credentials/,
  );
  usageError([URL_TEXT, "--client-credentials", "--device-code"], /exclude each other/);
  usageError([URL_TEXT, "--auth-success-url", "http://example.com/"], /must be https/);
  usageError([URL_TEXT, "--client-metadata-url", "http://127.0.0.1/c.json"], /must be https with a path/);
  usageError([URL_TEXT, "--client-metadata-url", "https://example.com/"], /must be https with a path/);
  usageError([URL_TEXT, "--auth-timeout", "soon"], /Cannot use --auth-timeout/);
  usageError([URL_TEXT, "--resource", "not a uri"], /not an absolute URI/);
});

Deno.test("parseCommandLine() treats a subcommand name after the URL as a callback port", () => {
  usageError([URL_TEXT, "login"], /Cannot parse callback port "login"/);
});

Deno.test("parseCommandLine() reads --connect-timeout durations", () => {
  const cases: [string, number][] = [
    ["90", 90_000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
  ];
  for (const [text, ms] of cases) {
    assert.equal(run([URL_TEXT, "--connect-timeout", text]).connectTimeoutMs, ms, text);
  }
});

Deno.test("parseCommandLine() reads --max-message-size and bounds it", () => {
  assert.equal(run([URL_TEXT, "--max-message-size", "1MiB"]).maxMessageBytes, 1024 * 1024);
  assert.equal(run([URL_TEXT, "--max-message-size=2048"]).maxMessageBytes, 2048);
  usageError(
    [URL_TEXT, "--max-message-size", "huge"],
    /^Cannot use --max-message-size: Cannot parse size "huge"/,
  );
  usageError([URL_TEXT, "--max-message-size", "10"], /between 1KiB and 2GiB/);
  usageError([URL_TEXT, "--max-message-size", "3GiB"], /between 1KiB and 2GiB/);
});

Deno.test("parseCommandLine() refuses an unparsable --connect-timeout, quoting it", () => {
  usageError(
    [URL_TEXT, "--connect-timeout", "soon"],
    /^Cannot use --connect-timeout: Cannot parse duration "soon"/,
  );
  usageError([URL_TEXT, "--connect-timeout=-5"], /^Cannot use --connect-timeout: Cannot parse duration "-5"/);
});

Deno.test("parseCommandLine() refuses a zero --connect-timeout", () => {
  for (const text of ["0", "0s", "0ms", "0.4ms"]) {
    usageError([URL_TEXT, "--connect-timeout", text], /^Cannot use --connect-timeout: it must be positive$/);
  }
});

Deno.test({
  name: "parseCommandLine() refuses a --connect-timeout that setTimeout cannot represent",
  fn() {
    usageError([URL_TEXT, "--connect-timeout", "600h"], /--connect-timeout/);
    usageError([URL_TEXT, "--connect-timeout", "9".repeat(400)], /--connect-timeout/);
  },
});

Deno.test("parseCommandLine() takes the network flags, and refuses an unusable proxy or a lone client certificate", () => {
  const parsed = parseCommandLine([
    URL_TEXT,
    "--proxy",
    "http://proxy.corp:3128",
    "--ca-file",
    "/etc/corp-ca.pem",
    "--client-cert",
    "/a/client.pem",
    "--client-key",
    "/a/client.key",
    "--enable-proxy",
  ]);
  assert.equal(parsed.kind, "run");
  if (parsed.kind === "run") {
    assert.deepEqual(parsed.options.network, {
      proxy: "http://proxy.corp:3128",
      caFile: "/etc/corp-ca.pem",
      clientCert: "/a/client.pem",
      clientKey: "/a/client.key",
    });
  }
  usageError([URL_TEXT, "--proxy", "ftp://proxy"], /scheme must be http, https, socks5 or socks5h/);
  usageError([URL_TEXT, "--proxy", "proxy.corp"], /not an absolute URL/);
  usageError([URL_TEXT, "--client-cert", "/a/client.pem"], /--client-cert and --client-key go together/);
});

Deno.test("parseCommandLine() names an unknown subcommand and the known one it is closest to", () => {
  usageError(["clinet", URL_TEXT], /^Unknown command "clinet": did you mean client\?$/);
  usageError(["lgoin", URL_TEXT], /^Unknown command "lgoin": did you mean login\?$/);
  usageError(["stauts"], /^Unknown command "stauts": did you mean status\?$/);
  usageError(["logut", "--all"], /^Unknown command "logut": did you mean logout\?$/);
  usageError(["confg"], /^Unknown command "confg": did you mean config\?$/);
  usageError(
    ["deploy", URL_TEXT],
    /^Unknown command "deploy": expected client, login, logout, status, config, doctor, help or a server URL/,
  );
});

Deno.test("parseCommandLine() reads `help` as --help", () => {
  assert.deepEqual(parseCommandLine(["help"]), { kind: "help" });
  assert.deepEqual(parseCommandLine(["help", "login"]), { kind: "help" });
});

Deno.test("parseCommandLine() suggests the known option closest to an unknown one", () => {
  usageError([URL_TEXT, "--heder", "X-A: 1"], /^Unknown option --heder: did you mean --header\?$/);
  usageError(
    [URL_TEXT, "--conect-timeout", "5s"],
    /^Unknown option --conect-timeout: did you mean --connect-timeout\?$/,
  );
  usageError([URL_TEXT, "--debgu"], /^Unknown option --debgu: did you mean --debug\?$/);
  usageError([URL_TEXT, "-header", "X-A: 1"], /^Unknown option -header: did you mean --header\?$/);
  usageError([URL_TEXT, "--frobnicate"], /^Unknown option --frobnicate: see mcp-bridge --help$/);
  usageError([URL_TEXT, "-x"], /^Unknown option -x: see mcp-bridge --help$/);
});

Deno.test("parseServerUrl() suggests the URL meant by an address without a scheme", () => {
  const cases: [string, string][] = [
    ["example.com/mcp", "https://example.com/mcp"],
    ["example.com:8443/mcp", "https://example.com:8443/mcp"],
    ["localhost:3000/mcp", "http://localhost:3000/mcp"],
  ];
  for (const [text, meant] of cases) {
    assert.throws(() => parseServerUrl(text, false), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        `Cannot parse server URL "${text}": the scheme is missing: did you mean ${meant}?`,
      );
      return true;
    }, text);
  }
  usageError(["client", "example.com/mcp"], /did you mean https:\/\/example\.com\/mcp\?$/);
  usageError(["localhost"], /did you mean http:\/\/localhost\?$/);
});

Deno.test("--headers-timeout 0 and --body-timeout 0 mean none, as in mcp-remote; negative is refused", () => {
  for (const zero of ["0", "0s", "0ms"]) {
    const parsed = parseCommandLine([
      "https://x.example/mcp",
      "--headers-timeout",
      zero,
      "--body-timeout",
      zero,
    ]);
    assert.equal(parsed.kind, "run");
    if (parsed.kind !== "run") continue;
    assert.equal(parsed.options.headersTimeoutMs, undefined);
    assert.equal(parsed.options.bodyTimeoutMs, undefined);
  }
  const parsed = parseCommandLine([
    "https://x.example/mcp",
    "--headers-timeout",
    "30",
    "--body-timeout",
    "2m",
  ]);
  if (parsed.kind !== "run") throw new Error("not a run");
  assert.equal(parsed.options.headersTimeoutMs, 30_000);
  assert.equal(parsed.options.bodyTimeoutMs, 120_000);
  assert.throws(() => parseCommandLine(["https://x.example/mcp", "--body-timeout", "-1"]), /--body-timeout/);
});

Deno.test("--workload-token-file chooses the workload identity grant, excludes the other grants, allows --token-endpoint", () => {
  const parsed = parseCommandLine(["https://mcp.example.com/mcp", "--workload-token-file", "/var/run/token"]);
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") return;
  assert.equal(parsed.options.auth.grant, "workload_identity");
  assert.equal(parsed.options.auth.workloadTokenFile, "/var/run/token");
  assert.throws(
    () =>
      parseCommandLine([
        "https://mcp.example.com/mcp",
        "--workload-token-file",
        "/t",
        "--client-credentials",
      ]),
    /Options --client-credentials and --workload-token-file exclude each other/,
  );
  assert.throws(
    () =>
      parseCommandLine([
        "https://mcp.example.com/mcp",
        "--workload-token-file",
        "/t",
        "--header",
        "Authorization: Bearer x",
      ]),
    /An Authorization header and OAuth sign-in options exclude each other/,
  );
  const direct = parseCommandLine([
    "https://mcp.example.com/mcp",
    "--workload-token-file",
    "/t",
    "--token-endpoint",
    "https://as.example.com/token",
  ]);
  assert.equal(direct.kind === "run" && direct.options.auth.tokenEndpoint, "https://as.example.com/token");
});
