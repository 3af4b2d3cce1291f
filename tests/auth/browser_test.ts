import assert from "node:assert/strict";
import { checkBrowserUrl, openBrowser, type OpenBrowserOptions } from "../../src/auth/browser.ts";
import { AuthError } from "../../src/auth/errors.ts";
import { Logger } from "../../src/log/logger.ts";

const AUTH_URL = "https://auth.example.com/authorize?response_type=code&client_id=abc&state=xyz";

function harness(overrides: Partial<OpenBrowserOptions> = {}) {
  const lines: string[] = [];
  const calls: { command: string; args: string[] }[] = [];
  const queried: string[] = [];
  const options: OpenBrowserOptions = {
    log: new Logger({ level: "info", sink: { write: (line) => void lines.push(line) } }),
    os: "linux",
    env: () => undefined,
    canRun: (command) => {
      queried.push(command);
      return true;
    },
    run: (command, args) => {
      calls.push({ command, args });
      return Promise.resolve(true);
    },
    ...overrides,
  };
  return { options, lines, calls, queried };
}

const REFUSED: [string, string, RegExp][] = [
  ["javascript: URL", "javascript:alert(1)", /scheme is javascript:/],
  ["javascript: URL with mixed case", "JavaScript:alert(document.cookie)", /scheme is javascript:/],
  ["file: URL", "file:///etc/passwd", /scheme is file:/],
  ["data: URL", "data:text/html,<script>alert(1)</script>", /scheme is data:/],
  ["vbscript: URL", "vbscript:msgbox(1)", /scheme is vbscript:/],
  ["ftp: URL", "ftp://example.com/x", /scheme is ftp:/],
  ["custom scheme", "ms-settings:privacy", /scheme is ms-settings:/],
  ["http on a remote host", "http://example.com/authorize", /only on loopback/],
  ["credentials", "https://user:pw@x.example/authorize", /credentials/],
  ["user name only", "https://user@x.example/authorize", /credentials/],
  ["empty user info", "https://@x.example/authorize", /credentials/],
  ["tab in the scheme", "java\tscript:alert(1)", /control characters/],
  ["newline", "https://x.example/a\nb", /control characters/],
  ["NUL", "https://x.example/a\u0000b", /control characters/],
  ["escape sequence", "https://x.example/\u001b[2J", /control characters/],
  ["DEL", "https://x.example/\u007f", /control characters/],
  ["C1 control", "https://x.example/\u0085", /control characters/],
  ["relative URL", "/authorize?x=1", /not an absolute URL/],
  ["empty", "", /not an absolute URL/],
];

for (const [name, url, message] of REFUSED) {
  Deno.test(`openBrowser() refuses ${name} and neither prints nor opens it`, async () => {
    const h = harness();
    await assert.rejects(openBrowser(url, h.options), (error) => {
      assert.ok(error instanceof AuthError);
      assert.match(error.message, /^Refused to open the authorization URL: /);
      assert.match(error.message, message);
      if (url.length > 0) assert.ok(!error.message.includes(url), "the message does not repeat the URL");
      return true;
    });
    assert.deepEqual(h.calls, []);
    assert.deepEqual(h.queried, []);
    assert.deepEqual(h.lines, []);
  });
}

const ALLOWED: [string, boolean, string][] = [
  ["https://auth.example.com/authorize?x=1", false, "https://auth.example.com/authorize?x=1"],
  ["http://127.0.0.1:1234/cb", false, "http://127.0.0.1:1234/cb"],
  ["http://localhost:8080/authorize", false, "http://localhost:8080/authorize"],
  ["http://[::1]:8080/authorize", false, "http://[::1]:8080/authorize"],
  ["http://example.com/authorize", true, "http://example.com/authorize"],
  ['HTTPS://Auth.Example.COM/a b?q="x y"', false, "https://auth.example.com/a%20b?q=%22x%20y%22"],
  [
    "https://auth.example.com/authorize?login_hint=a@b.example",
    false,
    "https://auth.example.com/authorize?login_hint=a@b.example",
  ],
];

for (const [url, allowHttp, href] of ALLOWED) {
  Deno.test(`checkBrowserUrl() accepts ${JSON.stringify(url)}${allowHttp ? " with allowHttp" : ""}`, () => {
    assert.equal(checkBrowserUrl(url, allowHttp).href, href);
  });
}

Deno.test("openBrowser() allows http to a loopback host, and to any host with allowHttp", async () => {
  const h = harness();
  assert.equal(await openBrowser("http://127.0.0.1:1234/cb", h.options), "opened");
  await assert.rejects(openBrowser("http://example.com/a", h.options), AuthError);
  assert.equal(await openBrowser("http://example.com/a", { ...h.options, allowHttp: true }), "opened");
  assert.deepEqual(h.calls.map((call) => call.args), [["http://127.0.0.1:1234/cb"], [
    "http://example.com/a",
  ]]);
});

const NASTY = "https://auth.example.com/authorize?state=a;b&x=$(touch%20pwned)&y=`id`|cat&z=a b\"c'd&w=%26";
const NASTY_HREF = new URL(NASTY).href;

const PLATFORMS: [typeof Deno.build.os, string, string[]][] = [
  ["linux", "xdg-open", [NASTY_HREF]],
  ["freebsd", "xdg-open", [NASTY_HREF]],
  ["darwin", "open", [NASTY_HREF]],
  ["windows", "rundll32", ["url.dll,FileProtocolHandler", NASTY_HREF]],
];

for (const [os, command, args] of PLATFORMS) {
  Deno.test(`openBrowser() on ${os} runs ${command} with the URL as one argument, no shell`, async () => {
    const h = harness({ os });
    assert.equal(await openBrowser(NASTY, h.options), "opened");
    assert.deepEqual(h.calls, [{ command, args }]);
    assert.deepEqual(h.queried, [command]);
    assert.ok(NASTY_HREF.includes(";b&x=$(touch%20pwned)&y=`id`|cat"));
    assert.deepEqual(h.lines, []);
  });
}

Deno.test("openBrowser() runs a $BROWSER program with the URL as its only argument", async () => {
  for (const browser of ["  /opt/firefox/firefox  ", "/opt/firefox/firefox %s", "/opt/firefox/firefox\t%s"]) {
    const h = harness({ env: (name) => name === "BROWSER" ? browser : undefined });
    assert.equal(await openBrowser(NASTY, h.options), "opened");
    assert.deepEqual(h.calls, [{ command: "/opt/firefox/firefox", args: [NASTY_HREF] }], browser);
    assert.deepEqual(h.queried, ["/opt/firefox/firefox"]);
    assert.deepEqual(h.lines, []);
  }
});

Deno.test("openBrowser() treats a blank $BROWSER as unset", async () => {
  const h = harness({ os: "darwin", env: () => "   " });
  assert.equal(await openBrowser(AUTH_URL, h.options), "opened");
  assert.deepEqual(h.calls, [{ command: "open", args: [AUTH_URL] }]);
});

const REFUSED_BROWSERS: [string, RegExp][] = [
  ["sh -c", /sh is a shell or script interpreter/],
  ["/bin/bash -c", /bash is a shell or script interpreter/],
  ["cmd.exe /c start", /cmd is a shell or script interpreter/],
  ["python3 -m webbrowser", /python is a shell or script interpreter/],
  ["/usr/bin/python3.12", /python is a shell or script interpreter/],
  ["env firefox", /env runs another program/],
  ["nice xdg-open", /nice runs another program/],
  ["/usr/bin/timeout 5 firefox", /timeout runs another program/],
  ["firefox --new-window", /extra arguments are not allowed \(--new-window\)/],
  ["firefox --new-window %s", /extra arguments are not allowed \(--new-window\)/],
  ["firefox %s %s", /extra arguments are not allowed/],
  ["firefox%s", /%s must be a separate argument/],
  ["firefox;touch x", /";" is shell syntax/],
  ["firefox|cat", /"\|" is shell syntax/],
  ["$(touch x)", /"\$" is shell syntax/],
  ["`touch x`", /"`" is shell syntax/],
  ["'firefox'", /"'" is shell syntax/],
  ["firefox > x", /">" is shell syntax/],
  ["X=1 firefox", /"=" is shell syntax/],
  ["~/bin/firefox", /"~" is shell syntax/],
  ["bin/firefox", /relative path/],
  ["./firefox", /relative path/],
  ["-firefox", /starts with -/],
  ["fire\u001bfox", /control characters/],
];

for (const [browser, reason] of REFUSED_BROWSERS) {
  Deno.test(`openBrowser() refuses the $BROWSER entry ${JSON.stringify(browser)} and prints the URL`, async () => {
    const h = harness({ env: () => browser });
    assert.equal(await openBrowser(AUTH_URL, h.options), "printed");
    assert.deepEqual(h.calls, []);
    assert.deepEqual(h.queried, []);
    const text = h.lines.join("");
    assert.ok(text.includes(`Not using $BROWSER entry ${JSON.stringify(browser)}: `), text);
    assert.match(text, reason);
    assert.ok(text.includes(AUTH_URL));
  });
}

Deno.test("openBrowser() skips refused, unpermitted and failing $BROWSER entries and uses the next one", async () => {
  const h = harness({
    env: () =>
      "sh -c 'touch /tmp/pwned':nice xdg-open:/opt/denied:/opt/broken %s::/opt/firefox %s:/opt/never",
    canRun: (command) => command !== "/opt/denied",
    run: (command, args) => {
      h.calls.push({ command, args });
      return Promise.resolve(command === "/opt/firefox");
    },
  });
  assert.equal(await openBrowser(AUTH_URL, h.options), "opened");
  assert.deepEqual(h.calls, [
    { command: "/opt/broken", args: [AUTH_URL] },
    { command: "/opt/firefox", args: [AUTH_URL] },
  ]);
  const text = h.lines.join("");
  assert.ok(text.includes(`Not using $BROWSER entry "sh -c 'touch /tmp/pwned'": sh is a shell`), text);
  assert.ok(text.includes(`Not using $BROWSER entry "nice xdg-open": nice runs another program`), text);
  assert.ok(text.includes("Not using /opt/denied: run again with --allow-run=/opt/denied"), text);
  assert.ok(text.includes("Could not open a browser with /opt/broken"), text);
  assert.ok(!text.includes(AUTH_URL), "the URL is not printed when a browser opened it");
});

Deno.test("openBrowser() on Windows separates $BROWSER entries with ;", async () => {
  const h = harness({ os: "windows", env: () => "cmd /c start;C:\\Firefox\\firefox.exe %s" });
  assert.equal(await openBrowser(AUTH_URL, h.options), "opened");
  assert.deepEqual(h.calls, [{ command: "C:\\Firefox\\firefox.exe", args: [AUTH_URL] }]);
  const batch = harness({ os: "windows", env: () => "C:\\tools\\open.bat" });
  assert.equal(await openBrowser(AUTH_URL, batch.options), "printed");
  assert.match(batch.lines.join(""), /a batch file is run by cmd\.exe/);
  const powershell = harness({
    os: "windows",
    env: () => "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -Command",
  });
  assert.equal(await openBrowser(AUTH_URL, powershell.options), "printed");
  assert.match(powershell.lines.join(""), /powershell is a shell or script interpreter/);
});

Deno.test("openBrowser() without permission to run the opener prints the URL and how to enable opening", async () => {
  const h = harness({ canRun: () => false });
  assert.equal(await openBrowser(AUTH_URL, h.options), "printed");
  assert.deepEqual(h.calls, []);
  assert.deepEqual(h.lines, [
    "[mcp-bridge] warning: Cannot open a browser: run again with --allow-run=xdg-open to open it automatically\n",
    `[mcp-bridge] Open this URL in your browser to sign in: ${AUTH_URL}\n`,
  ]);
});

Deno.test("openBrowser() names the $BROWSER program in the permission hint", async () => {
  const h = harness({ env: () => "firefox %s", canRun: () => false });
  assert.equal(await openBrowser(AUTH_URL, h.options), "printed");
  assert.match(h.lines[0]!, /--allow-run=firefox /);
});

Deno.test("openBrowser() prints the URL when the opener fails or cannot be spawned", async () => {
  const failing = harness({ run: () => Promise.resolve(false) });
  assert.equal(await openBrowser(AUTH_URL, failing.options), "printed");
  assert.match(failing.lines[0]!, /^\[mcp-bridge\] warning: Could not open a browser with xdg-open: /);
  assert.ok(failing.lines[1]!.includes(AUTH_URL));

  const throwing = harness({
    run: () => Promise.reject(new Deno.errors.NotFound("No such file or directory")),
  });
  assert.equal(await openBrowser(AUTH_URL, throwing.options), "printed");
  assert.ok(throwing.lines.join("").includes(AUTH_URL));
});

Deno.test("openBrowser() default env and canRun do not throw without permission", {
  permissions: { env: false, run: false },
}, async () => {
  const lines: string[] = [];
  const outcome = await openBrowser(AUTH_URL, {
    log: new Logger({ level: "info", sink: { write: (line) => void lines.push(line) } }),
    os: "linux",
    run: () => Promise.reject(new Error("must not run")),
  });
  assert.equal(outcome, "printed");
  assert.match(lines[0]!, /--allow-run=xdg-open/);
});

// --- A real subprocess: a tiny Deno program as $BROWSER, spawned with exact permissions. ---

interface Scenario {
  code: number;
  stdout: string;
  stderr: string;
}

const POSIX = Deno.build.os !== "windows";

/** Fake browsers, one program per behaviour: `record` writes its arguments to `<dir>/args.json`,
 * `hang` writes its pid to `<dir>/pid` and sleeps, `fail` exits 3. */
interface FakeBrowsers {
  record: string;
  hang: string;
  fail: string;
}

async function withFakeBrowser(fn: (dir: string, browsers: FakeBrowsers) => Promise<void>): Promise<void> {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "browser-" }));
  try {
    const browsers = {
      record: `${dir}/fake-record.ts`,
      hang: `${dir}/fake-hang.ts`,
      fail: `${dir}/fake-fail.ts`,
    };
    const bodies: Record<keyof FakeBrowsers, string> = {
      record: `await Deno.writeTextFile(${JSON.stringify(`${dir}/args.json`)}, JSON.stringify(Deno.args));`,
      hang: `await Deno.writeTextFile(${
        JSON.stringify(`${dir}/pid`)
      }, String(Deno.pid)), await new Promise((r) => setTimeout(r, 60_000));`,
      fail: "Deno.exit(3);",
    };
    for (const mode of ["record", "hang", "fail"] as const) {
      await Deno.writeTextFile(
        browsers[mode],
        `#!/usr/bin/env -S deno run --quiet --no-prompt --no-config --allow-write=${dir}\n${bodies[mode]}\n`,
      );
      await Deno.chmod(browsers[mode], 0o755);
    }
    await fn(dir, browsers);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function runScenario(
  dir: string,
  permissions: string[],
  browserEnv: string,
  url: string,
  timeoutMs = 5_000,
): Promise<Scenario> {
  const scenario = `${dir}/scenario.ts`;
  await Deno.writeTextFile(
    scenario,
    `import { openBrowser } from ${
      JSON.stringify(new URL("../../src/auth/browser.ts", import.meta.url).href)
    };
import { Logger } from ${JSON.stringify(new URL("../../src/log/logger.ts", import.meta.url).href)};
const outcome = await openBrowser(Deno.args[0], { log: new Logger({ level: "debug" }), timeoutMs: Number(Deno.args[1]) });
Deno.stdout.writeSync(new TextEncoder().encode(outcome));
`,
  );
  const output = await new Deno.Command("deno", {
    args: ["run", "--quiet", "--no-prompt", ...permissions, scenario, url, String(timeoutMs)],
    env: { BROWSER: browserEnv, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

const REAL_URL =
  "https://auth.example.com/authorize?state=a;b&x=$(touch%20pwned)&y=`id`|cat&z=%22q%22&u=%C3%A9#frag";

Deno.test({
  name: "openBrowser() with the default run passes the URL byte-exact to $BROWSER under --allow-run=<it>",
  ignore: !POSIX,
  fn: () =>
    withFakeBrowser(async (dir, { record }) => {
      assert.equal(new URL(REAL_URL).href, REAL_URL, "the test URL is already canonical");
      const out = `${dir}/args.json`;
      const result = await runScenario(
        dir,
        [`--allow-run=${record}`, "--allow-env=BROWSER"],
        `${record} %s`,
        REAL_URL,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "opened", result.stderr);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(out)), [REAL_URL]);
    }),
});

Deno.test({
  name: "openBrowser() without --allow-run for $BROWSER prints the URL and the flag to add",
  ignore: !POSIX,
  fn: () =>
    withFakeBrowser(async (dir, { record }) => {
      const out = `${dir}/args.json`;
      const result = await runScenario(dir, ["--allow-env=BROWSER"], record, AUTH_URL);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "printed");
      assert.ok(result.stderr.includes(`--allow-run=${record}`), result.stderr);
      assert.ok(result.stderr.includes(AUTH_URL), result.stderr);
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    }),
});

Deno.test({
  name: "openBrowser() prints the URL when $BROWSER exits non-zero",
  ignore: !POSIX,
  fn: () =>
    withFakeBrowser(async (dir, { fail }) => {
      const result = await runScenario(dir, [`--allow-run=${fail}`, "--allow-env=BROWSER"], fail, AUTH_URL);
      assert.equal(result.stdout, "printed", result.stderr);
      assert.match(result.stderr, /exited with code 3/);
      assert.ok(result.stderr.includes(AUTH_URL));
    }),
});

Deno.test({
  name: "openBrowser() leaves an opener that outlives the timeout running (it is the browser) and returns",
  ignore: !POSIX,
  fn: () =>
    withFakeBrowser(async (dir, { hang }) => {
      const pidFile = `${dir}/pid`;
      const result = await runScenario(
        dir,
        [`--allow-run=${hang}`, "--allow-env=BROWSER"],
        hang,
        AUTH_URL,
        2_500,
      );
      const pid = Number(await Deno.readTextFile(pidFile));
      assert.ok(pid > 0);
      // The test runner may only run `deno`: probe and stop the program through `deno eval`.
      const signal = async (name: string) => {
        const script =
          `try { Deno.kill(${pid}, "${name}"); console.log("sent") } catch { console.log("gone") }`;
        const out = await new Deno.Command("deno", { args: ["eval", script], stdout: "piped" }).output();
        return new TextDecoder().decode(out.stdout).trim();
      };
      try {
        assert.equal(result.stdout, "opened", result.stderr);
        assert.match(result.stderr, /still running after 2500 ms: taking it for the browser itself/);
        assert.equal(await signal("SIGCONT"), "sent", "the program is still running");
      } finally {
        await signal("SIGKILL");
      }
    }),
});
