import assert from "node:assert/strict";
import {
  HeaderError,
  interpolate,
  OWNED_HEADERS,
  parseHeader,
  parseHeaderFile,
  resolveHeaders,
} from "../../src/cli/headers.ts";

function headerError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HeaderError, `expected a HeaderError, got ${error}`);
    assert.equal(error.name, "HeaderError");
    assert.match(error.message, pattern);
    return true;
  });
}

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}

Deno.test("parseHeader() splits at the first colon and trims name and value", () => {
  assert.deepEqual(parseHeader("  X-Api-Key  :   abc: def  ", "--header"), {
    name: "X-Api-Key",
    template: "abc: def",
    source: "--header",
  });
});

Deno.test("parseHeader() keeps an empty value and ${VAR} placeholders", () => {
  assert.deepEqual(parseHeader("X-Empty:", "--header"), {
    name: "X-Empty",
    template: "",
    source: "--header",
  });
  assert.equal(parseHeader("Authorization: Bearer ${TOKEN}", "--header").template, "Bearer ${TOKEN}");
});

Deno.test("parseHeader() accepts every token character in the name", () => {
  const name = "!#$%&'*+-.^_`|~09azAZ";
  assert.equal(parseHeader(`${name}: v`, "--header").name, name);
});

Deno.test("parseHeader() refuses a header without a colon", () => {
  headerError(
    () => parseHeader("X-Api-Key abc", "--header"),
    /^Cannot parse a header \(--header\): missing ":" between name and value$/,
  );
});

Deno.test("parseHeader() refuses names that are not HTTP tokens", () => {
  for (const text of [": value", "X Api: v", "X(A): v", "Ünïcode: v", "X/A: v", "X@A: v", "X=A: v"]) {
    headerError(() => parseHeader(text, "h.txt:3"), /\(h\.txt:3\): the name is not a valid HTTP token/);
  }
});

for (const owned of OWNED_HEADERS) {
  const canonical = owned.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
  Deno.test(`parseHeader() refuses ${canonical}`, () => {
    for (const name of [owned, owned.toUpperCase(), canonical]) {
      headerError(
        () => parseHeader(`${name}: x`, "--header"),
        new RegExp(`^Cannot set header "${name}" \\(--header\\): mcp-bridge sets it itself$`),
      );
    }
  });
}

Deno.test("parseHeader() owns exactly the protocol and framing headers", () => {
  assert.deepEqual([...OWNED_HEADERS].sort(), [
    "accept",
    "connection",
    "content-length",
    "content-type",
    "host",
    "last-event-id",
    "mcp-method",
    "mcp-name",
    "mcp-protocol-version",
    "mcp-session-id",
    "transfer-encoding",
    "upgrade",
  ]);
});

Deno.test("parseHeader() accepts Authorization and Cookie, which the user may set", () => {
  assert.equal(parseHeader("Authorization: Bearer x", "--header").name, "Authorization");
  assert.equal(parseHeader("Cookie: a=1", "--header").name, "Cookie");
});

Deno.test("parseHeader() refuses CR, LF and NUL anywhere", () => {
  for (const text of ["X-A: a\rb", "X-A: a\nb", "X-A: a\0b", "X-A\r\nX-B: v", "X-A: v\r\n"]) {
    headerError(() => parseHeader(text, "--header"), /it contains a CR, LF or NUL character/);
  }
});

Deno.test("parseHeaderFile() skips comments and blank lines and keeps file order", () => {
  const text = "# comment\n\nX-A: 1\n   \n  # indented comment\r\nX-B: ${B}\r\n  X-C :  3  \n";
  assert.deepEqual(parseHeaderFile(text, "h.txt"), [
    { name: "X-A", template: "1", source: "h.txt:3" },
    { name: "X-B", template: "${B}", source: "h.txt:6" },
    { name: "X-C", template: "3", source: "h.txt:7" },
  ]);
});

Deno.test("parseHeaderFile() returns nothing for an empty or comment-only file", () => {
  assert.deepEqual(parseHeaderFile("", "h.txt"), []);
  assert.deepEqual(parseHeaderFile("# only\n\n#\n", "h.txt"), []);
});

Deno.test("parseHeaderFile() names the line number of a bad line", () => {
  headerError(
    () => parseHeaderFile("X-A: 1\n# c\n\nbroken line\n", "/etc/h.txt"),
    /\(\/etc\/h\.txt:4\): missing ":"/,
  );
  headerError(
    () => parseHeaderFile("X-A: 1\r\nHost: x\r\n", "h.txt"),
    /"Host" \(h\.txt:2\): mcp-bridge sets it itself/,
  );
});

Deno.test("parseHeaderFile() refuses a lone CR inside a line", () => {
  headerError(() => parseHeaderFile("X-A: a\rb\n", "h.txt"), /\(h\.txt:1\).*CR, LF or NUL/);
});

Deno.test("interpolate() replaces a variable", () => {
  assert.equal(interpolate("Bearer ${TOKEN}", envOf({ TOKEN: "abc" }), "Authorization"), "Bearer abc");
});

Deno.test("interpolate() replaces several variables, including the same one twice", () => {
  const env = envOf({ A: "1", B_2: "two", _c: "3" });
  assert.equal(interpolate("${A}-${B_2}-${_c}-${A}", env, "X"), "1-two-3-1");
});

Deno.test("interpolate() leaves text without placeholders alone", () => {
  assert.equal(interpolate("plain $A $ {A} {A}", () => "never", "X"), "plain $A $ {A} {A}");
});

Deno.test("interpolate() error for an unset variable names the variable and the header", () => {
  headerError(
    () => interpolate("Bearer ${MISSING_TOKEN}", envOf({}), "Authorization"),
    /^Cannot expand "\$\{MISSING_TOKEN\}" in header "Authorization": environment variable MISSING_TOKEN is not set$/,
  );
});

Deno.test("interpolate() counts an empty variable as set", () => {
  assert.equal(interpolate("[${EMPTY}]", envOf({ EMPTY: "" }), "X"), "[]");
});

Deno.test("interpolate() does not expand placeholders or $ patterns inside a variable's value", () => {
  const env = envOf({ A: "${B}", B: "no", C: "$&$1$$" });
  assert.equal(interpolate("${A}|${C}", env, "X"), "${B}|$&$1$$");
});

Deno.test("interpolate() refuses names that are not variable names", () => {
  for (const name of ["", "1A", "A-B", "A B", "A.B", "$A"]) {
    headerError(
      () => interpolate(`\${${name}}`, () => "x", "X-H"),
      new RegExp(`in header "X-H": not a variable name$`),
    );
  }
});

Deno.test("interpolate() does not read the environment for an invalid name", () => {
  const asked: string[] = [];
  assert.throws(() =>
    interpolate("${OK}${1bad}", (n) => {
      asked.push(n);
      return "v";
    }, "X")
  );
  assert.deepEqual(asked, ["OK"]);
});

Deno.test("interpolate() refuses a value that becomes CR, LF or NUL", () => {
  for (const value of ["a\r\nInjected: 1", "a\nb", "a\0"]) {
    headerError(
      () => interpolate("${V}", envOf({ V: value }), "X-H"),
      /^Cannot use header "X-H": its value contains a CR, LF or NUL character$/,
    );
  }
});

Deno.test("interpolate() lets a getEnv failure through", () => {
  const boom = new Error("no permission");
  assert.throws(() =>
    interpolate("${SECRET}", () => {
      throw boom;
    }, "X"), (error) => error === boom);
});

Deno.test("resolveHeaders() interpolates each header in order", () => {
  const templates = [parseHeader("X-A: ${A}", "--header"), parseHeader("X-B: b", "--header")];
  assert.deepEqual(resolveHeaders(templates, envOf({ A: "1" })), [["X-A", "1"], ["X-B", "b"]]);
});

Deno.test("resolveHeaders() lets a later header replace an earlier one, case-insensitively", () => {
  const templates = [
    parseHeader("X-A: first", "h.txt:1"),
    parseHeader("X-B: b", "h.txt:2"),
    parseHeader("x-a: second", "--header"),
  ];
  const resolved = resolveHeaders(templates, envOf({}));
  assert.equal(resolved.length, 2);
  assert.deepEqual(new Map(resolved.map(([n, v]) => [n.toLowerCase(), [n, v]])).get("x-a"), [
    "x-a",
    "second",
  ]);
  assert.deepEqual(resolved.find(([n]) => n === "X-B"), ["X-B", "b"]);
});

Deno.test("resolveHeaders() returns nothing for no templates", () => {
  assert.deepEqual(resolveHeaders([], () => "x"), []);
});

Deno.test("resolveHeaders() reports an unset variable with the header's name", () => {
  headerError(
    () => resolveHeaders([parseHeader("X-Key: ${KEY}", "--header")], envOf({})),
    /in header "X-Key": environment variable KEY is not set/,
  );
});
