import assert from "node:assert/strict";
import { globToRegExp, ToolFilter } from "../../src/bridge/tool_filter.ts";

function listResponse(names: unknown[], id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    result: { tools: names.map((name) => ({ name, inputSchema: { type: "object" } })), nextCursor: "c2" },
  });
}

function namesIn(text: string): unknown[] {
  return JSON.parse(text).result.tools.map((tool: { name: unknown }) => tool.name);
}

Deno.test("globToRegExp() matches a literal name exactly", () => {
  const re = globToRegExp("echo");
  assert.equal(re.test("echo"), true);
  assert.equal(re.test("echo2"), false);
  assert.equal(re.test("my_echo"), false);
  assert.equal(re.test(""), false);
});

Deno.test("globToRegExp() is anchored at both ends", () => {
  const re = globToRegExp("delete_*");
  assert.equal(re.test("delete_file"), true);
  assert.equal(re.test("undelete_file"), false);
  assert.equal(globToRegExp("*_file").test("delete_file_now"), false);
});

Deno.test("globToRegExp() is case-insensitive", () => {
  assert.equal(globToRegExp("delete_*").test("DELETE_File"), true);
  assert.equal(globToRegExp("ECHO").test("echo"), true);
});

Deno.test("globToRegExp() lets * match any run of characters, including none", () => {
  const re = globToRegExp("a*b*c");
  for (const name of ["abc", "aXbYc", "a.b.c", "a\nb\nc".replace(/\n/g, "-"), "abbbc"]) {
    assert.equal(re.test(name), true, name);
  }
  assert.equal(re.test("acb"), false);
  assert.equal(globToRegExp("*").test(""), true);
  assert.equal(globToRegExp("**").test("anything"), true);
});

Deno.test("globToRegExp() treats regex metacharacters literally", () => {
  const cases: [string, string, string][] = [
    ["a.b", "a.b", "axb"],
    ["a+b", "a+b", "aab"],
    ["a?b", "a?b", "ab"],
    ["^a$", "^a$", "a"],
    ["a{2}", "a{2}", "aa"],
    ["(a|b)", "(a|b)", "a"],
    ["a|b", "a|b", "b"],
    ["[ab]", "[ab]", "a"],
    ["a\\d", "a\\d", "a1"],
    ["$x", "$x", "x"],
    ["a]b", "a]b", "ab"],
  ];
  for (const [glob, matches, doesNot] of cases) {
    const re = globToRegExp(glob);
    assert.equal(re.test(matches), true, `${glob} should match ${matches}`);
    assert.equal(re.test(doesNot), false, `${glob} should not match ${doesNot}`);
  }
});

Deno.test("globToRegExp() escapes metacharacters next to a *", () => {
  const re = globToRegExp("files.*.(tmp)");
  assert.equal(re.test("files.a.b.(tmp)"), true);
  assert.equal(re.test("filesXaX(tmp)"), false);
});

Deno.test("ToolFilter is inactive without globs and passes every tool", () => {
  const filter = new ToolFilter([], []);
  assert.equal(filter.active, false);
  assert.equal(filter.blockReason("anything"), undefined);
});

Deno.test("ToolFilter is active with an ignore or an include glob", () => {
  assert.equal(new ToolFilter(["x"], []).active, true);
  assert.equal(new ToolFilter([], ["x"]).active, true);
});

Deno.test("ToolFilter blocks ignored tools, naming the flag and glob", () => {
  const filter = new ToolFilter(["*delete*", "drop_*"], []);
  assert.equal(filter.blockReason("delete_repo"), 'it matches --ignore-tool "*delete*"');
  assert.equal(filter.blockReason("DROP_table"), 'it matches --ignore-tool "drop_*"');
  assert.equal(filter.blockReason("list_repos"), undefined);
});

Deno.test("ToolFilter names the first matching ignore glob", () => {
  const filter = new ToolFilter(["a*", "*b"], []);
  assert.equal(filter.blockReason("ab"), 'it matches --ignore-tool "a*"');
});

Deno.test("ToolFilter with include globs passes only matching tools", () => {
  const filter = new ToolFilter([], ["list_*", "get_*"]);
  assert.equal(filter.blockReason("list_repos"), undefined);
  assert.equal(filter.blockReason("GET_issue"), undefined);
  assert.equal(filter.blockReason("delete_repo"), "it matches no --include-tool pattern");
});

Deno.test("ToolFilter with both lets ignore win over include", () => {
  const filter = new ToolFilter(["*_secret"], ["get_*"]);
  assert.equal(filter.blockReason("get_issue"), undefined);
  assert.equal(filter.blockReason("get_secret"), 'it matches --ignore-tool "*_secret"');
  assert.equal(filter.blockReason("list_issues"), "it matches no --include-tool pattern");
});

Deno.test("ToolFilter.filterListResponse() removes hidden tools and keeps the rest of the response", () => {
  const filter = new ToolFilter(["delete_*"], []);
  const out = JSON.parse(filter.filterListResponse(listResponse(["echo", "delete_file", "add"], "req-7")));
  assert.deepEqual(out, {
    jsonrpc: "2.0",
    id: "req-7",
    result: {
      tools: [{ name: "echo", inputSchema: { type: "object" } }, {
        name: "add",
        inputSchema: { type: "object" },
      }],
      nextCursor: "c2",
    },
  });
});

Deno.test("ToolFilter.filterListResponse() applies include globs", () => {
  const filter = new ToolFilter([], ["get_*"]);
  assert.deepEqual(namesIn(filter.filterListResponse(listResponse(["get_a", "set_a", "GET_B"]))), [
    "get_a",
    "GET_B",
  ]);
});

Deno.test("ToolFilter.filterListResponse() can remove every tool", () => {
  const filter = new ToolFilter(["*"], []);
  assert.deepEqual(namesIn(filter.filterListResponse(listResponse(["a", "b"]))), []);
});

Deno.test("ToolFilter.filterListResponse() keeps entries without a string name", () => {
  const filter = new ToolFilter([], ["a"]);
  const text = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    result: { tools: [{ name: 5 }, {}, null, { name: "b" }] },
  });
  assert.deepEqual(JSON.parse(filter.filterListResponse(text)).result.tools, [{ name: 5 }, {}, null]);
});

Deno.test("ToolFilter.filterListResponse() leaves an error response unchanged", () => {
  const text = '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}';
  assert.equal(new ToolFilter(["*"], []).filterListResponse(text), text);
});

Deno.test("ToolFilter.filterListResponse() leaves invalid JSON unchanged", () => {
  for (const text of ["{oops", "", '{"result":{"tools":[', "undefined"]) {
    assert.equal(new ToolFilter(["*"], []).filterListResponse(text), text);
  }
});

Deno.test("ToolFilter.filterListResponse() leaves results that are not tool lists unchanged", () => {
  const filter = new ToolFilter(["*"], []);
  for (
    const text of [
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":{"tools":"none"}}',
      '{"jsonrpc":"2.0","id":1,"result":{"tools":{"name":"a"}}}',
      '{"jsonrpc":"2.0","id":1,"result":null}',
      '{"jsonrpc":"2.0",  "id":1,"result":{"resources":[{"name":"a"}]}}',
      "[1,2]",
      "42",
      '"text"',
    ]
  ) {
    assert.equal(filter.filterListResponse(text), text, text);
  }
});

Deno.test({
  name: "ToolFilter.filterListResponse() leaves the JSON text null unchanged",
  fn() {
    assert.equal(new ToolFilter(["*"], []).filterListResponse("null"), "null");
  },
});
