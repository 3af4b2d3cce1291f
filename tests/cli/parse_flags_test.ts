import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { type FlagSpecs, parseFlags, ParseFlagsError } from "../../src/cli/_parse_flags.ts";
import { OPTIONS } from "../../src/cli/args.ts";

const CONFIG_OPTIONS = {
  "host-app": { type: "string", multiple: true },
  binary: { type: "boolean" },
  name: { type: "string" },
} as const;

/** A table with what OPTIONS lacks: a string short, a boolean multiple, a single-letter long name. */
const OTHER_OPTIONS = {
  file: { type: "string", short: "f" },
  verbose: { type: "boolean", short: "V", multiple: true },
  quiet: { type: "boolean", short: "q" },
  x: { type: "string" },
} as const;

const URL_TEXT = "https://example.com/mcp";

/** Argument lists, valid and not, for the bridge's options. */
const BRIDGE_ARGVS: string[][] = [
  [],
  [URL_TEXT],
  [URL_TEXT, "3334"],
  ["client", URL_TEXT],
  [URL_TEXT, "--header", "X-A: 1", "--header", "X-B: 2"],
  [URL_TEXT, "--header=X-A: 1", "--header=X-B=2"],
  [URL_TEXT, "--header", "--debug"],
  [URL_TEXT, "--header", "-"],
  [URL_TEXT, "--header", "-5"],
  [URL_TEXT, "--connect-timeout", "-5"],
  [URL_TEXT, "--connect-timeout=-5"],
  [URL_TEXT, "--connect-timeout", "--"],
  [URL_TEXT, "--header"],
  [URL_TEXT, "--header="],
  [URL_TEXT, "--header", ""],
  [URL_TEXT, "--resource", ""],
  [URL_TEXT, "--resource="],
  [URL_TEXT, "--debug"],
  [URL_TEXT, "--debug=true"],
  [URL_TEXT, "--debug="],
  [URL_TEXT, "--debug", "--debug"],
  [URL_TEXT, "--transport", "sse", "--transport", "http"],
  [URL_TEXT, "-h"],
  [URL_TEXT, "-v"],
  ["-hv"],
  ["-vh", URL_TEXT],
  ["-h=1"],
  ["-hx"],
  ["-x"],
  ["-header", "X-A: 1"],
  ["-"],
  [URL_TEXT, "-"],
  ["--"],
  ["--", "--debug", "-h", "--"],
  [URL_TEXT, "--", "--header", "X: 1"],
  [URL_TEXT, "--debug", "--", "-"],
  ["---"],
  ["--="],
  ["--=x"],
  ["---x=1"],
  ["--heder", "X-A: 1", URL_TEXT],
  ["--frobnicate=1"],
  ["--HEADER", "X"],
  ["--no-reconnect", "--no-browser", URL_TEXT],
  ["--no-debug", URL_TEXT],
  ["--__proto__", URL_TEXT],
  ["--__proto__=x", URL_TEXT],
  ["--constructor", URL_TEXT],
  ["--toString", "x", URL_TEXT],
  ["-1"],
  ["-1.5", URL_TEXT],
  [URL_TEXT, "--callback-port", "-1"],
  [URL_TEXT, "--authorize-param", "a=b", "--authorize-param=c=d", "--ignore-tool", "x*"],
  [URL_TEXT, "--config-dir", "--config-dir"],
  [""],
  ["", ""],
  [URL_TEXT, "--header-file", "a", "--header-file=", "--include-tool="],
  ["--ca-file=a=b=c"],
  ["--proxy", "http://p:1", "--", URL_TEXT],
  ["logout", "--all"],
  ["--all=", "logout"],
  ["--help", "--version"],
  [URL_TEXT, "--debug", "-h", "extra", "--silent"],
  [URL_TEXT, "--header", "X: 1", "--header"],
  ["--ipv4", "--keep-alive", "--ping-interval", "30", "--stall-probe=0"],
];

/** Argument lists for the other tables. */
const OTHER_ARGVS: string[][] = [
  ["-f", "a.txt"],
  ["-fa.txt"],
  ["-f=a.txt"],
  ["-f"],
  ["-f", "-q"],
  ["-f", "-"],
  ["-qf", "a.txt"],
  ["-qfa.txt"],
  ["-qVV"],
  ["-Vq", "-V"],
  ["--verbose", "--verbose=yes"],
  ["-qz"],
  ["-zq"],
  ["-x", "1"],
  ["-x1"],
  ["--x", "1"],
  ["--x=1", "pos"],
  ["--file", "--", "x"],
  ["--quiet", "pos", "--file=b"],
  ["--host-app", "cursor", "--host-app=vscode", "--binary", "--name", "docs"],
  ["--host-app"],
  ["--binary=no"],
  ["--name", "-n"],
  ["positional"],
  ["--", "positional"],
  ["-"],
];

type Outcome = { values: Record<string, unknown>; positionals: string[] } | {
  code: string;
  message: string;
  isTypeError: boolean;
};

function outcome(parse: () => { values: object; positionals: string[] }): Outcome {
  try {
    const { values, positionals } = parse();
    return { values: { ...values }, positionals };
  } catch (error) {
    const { code, message } = error as Error & { code: string };
    return { code, message, isTypeError: error instanceof TypeError };
  }
}

function compare(
  args: string[],
  options: FlagSpecs,
  strict: boolean,
  allowPositionals: boolean | undefined,
): void {
  const config = { args, options, strict, ...(allowPositionals === undefined ? {} : { allowPositionals }) };
  const ours = outcome(() => parseFlags(config));
  const node = outcome(() => parseArgs(config as Parameters<typeof parseArgs>[0]));
  assert.deepEqual(ours, node, JSON.stringify({ args, strict, allowPositionals }));
}

for (const strict of [true, false]) {
  for (const allowPositionals of [true, false, undefined]) {
    const mode = `strict: ${strict}, allowPositionals: ${allowPositionals}`;
    Deno.test(`parseFlags() is node:util's parseArgs over the bridge's options (${mode})`, () => {
      for (const args of BRIDGE_ARGVS) compare(args, OPTIONS, strict, allowPositionals);
    });
    Deno.test(`parseFlags() is node:util's parseArgs over other options (${mode})`, () => {
      for (const args of OTHER_ARGVS) {
        compare(args, OTHER_OPTIONS, strict, allowPositionals);
        compare(args, CONFIG_OPTIONS, strict, allowPositionals);
      }
    });
  }
}

Deno.test("parseFlags() is node:util's parseArgs over generated argument lists", () => {
  const words = [
    "--header",
    "--header=",
    "--debug",
    "--debug=1",
    "-h",
    "-hv",
    "-x",
    "--",
    "-",
    "",
    "x",
    "-1",
  ];
  let count = 0;
  for (const a of words) {
    for (const b of words) {
      for (const c of words) {
        compare([a, b, c], OPTIONS, true, true);
        compare([a, b, c], OPTIONS, false, true);
        compare([a, b, c], OPTIONS, true, false);
        count++;
      }
    }
  }
  assert.equal(count, words.length ** 3);
});

Deno.test("parseFlags() reads values, multiples and positionals", () => {
  const { values, positionals } = parseFlags({
    args: ["https://x/mcp", "--header", "A: 1", "--header=B: 2", "--debug", "-h", "3334", "--", "--silent"],
    options: OPTIONS,
    allowPositionals: true,
  });
  assert.deepEqual(values.header, ["A: 1", "B: 2"]);
  assert.equal(values.debug, true);
  assert.equal(values.help, true);
  assert.equal(values.silent, undefined);
  assert.deepEqual(positionals, ["https://x/mcp", "3334", "--silent"]);
  assert.equal(Object.getPrototypeOf(values), null, "no inherited names");
});

Deno.test("parseFlags() refuses what strict mode refuses, with parseArgs's codes", () => {
  const refused = (args: string[], code: string, message: RegExp, allowPositionals = true) =>
    assert.throws(
      () => parseFlags({ args, options: OPTIONS, allowPositionals }),
      (error: unknown) => {
        assert.ok(error instanceof ParseFlagsError && error instanceof TypeError);
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      },
    );
  refused(["--heder"], "ERR_PARSE_ARGS_UNKNOWN_OPTION", /^Unknown option '--heder'\. To specify/);
  refused(["-x"], "ERR_PARSE_ARGS_UNKNOWN_OPTION", /^Unknown option '-x'$/, false);
  refused(
    ["--header"],
    "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    /^Option '--header <value>' argument missing$/,
  );
  refused(
    ["--debug=1"],
    "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    /^Option '--debug' does not take an argument$/,
  );
  refused(["-h=1"], "ERR_PARSE_ARGS_UNKNOWN_OPTION", /^Unknown option '-='/);
  refused(["--header", "--debug"], "ERR_PARSE_ARGS_INVALID_OPTION_VALUE", /argument is ambiguous/);
  refused(["x"], "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL", /^Unexpected argument 'x'/, false);
});

Deno.test("parseFlags() without strict takes anything", () => {
  const { values, positionals } = parseFlags({
    args: ["--frob", "--header", "--debug=yes", "-x", "https://x/mcp", "--config-dir"],
    options: OPTIONS,
    strict: false,
  });
  assert.deepEqual({ ...values }, {
    frob: true,
    header: ["--debug=yes"],
    x: true,
    "config-dir": true,
  });
  assert.deepEqual(positionals, ["https://x/mcp"]);
});
