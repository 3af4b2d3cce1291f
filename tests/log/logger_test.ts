import assert from "node:assert/strict";
import { Logger, type LogLevel, type LogSink } from "../../src/log/logger.ts";

function collector(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

function logAll(log: Logger): void {
  log.error("e");
  log.warn("w");
  log.info("i");
  log.debug("d");
}

const FIXED = new Date("2025-01-02T03:04:05.678Z");

const EXPECTED: Record<LogLevel, string[]> = {
  silent: [],
  error: ["[mcp-bridge] error: e\n"],
  warn: ["[mcp-bridge] error: e\n", "[mcp-bridge] warning: w\n"],
  info: ["[mcp-bridge] error: e\n", "[mcp-bridge] warning: w\n", "[mcp-bridge] i\n"],
  debug: ["[mcp-bridge] error: e\n", "[mcp-bridge] warning: w\n", "[mcp-bridge] i\n", "[mcp-bridge] d\n"],
};

for (const level of Object.keys(EXPECTED) as LogLevel[]) {
  Deno.test(`Logger at level ${level} writes only lines at or above it, with prefixes`, () => {
    const sink = collector();
    logAll(new Logger({ level, sink }));
    assert.deepEqual(sink.lines, EXPECTED[level]);
  });
}

Deno.test("Logger file sink gets every level, debug included, with timestamps", () => {
  const sink = collector();
  const file = collector();
  logAll(new Logger({ level: "silent", sink, file, now: () => FIXED }));
  assert.deepEqual(sink.lines, []);
  assert.deepEqual(file.lines, [
    "2025-01-02T03:04:05.678Z error e\n",
    "2025-01-02T03:04:05.678Z warn w\n",
    "2025-01-02T03:04:05.678Z info i\n",
    "2025-01-02T03:04:05.678Z debug d\n",
  ]);
});

Deno.test("Logger.setFile() attaches and detaches the file sink", () => {
  const sink = collector();
  const file = collector();
  const log = new Logger({ level: "error", sink, now: () => FIXED });
  log.debug("before");
  log.setFile(file);
  log.debug("during");
  log.setFile(undefined);
  log.debug("after");
  assert.deepEqual(file.lines, ["2025-01-02T03:04:05.678Z debug during\n"]);
  assert.deepEqual(sink.lines, []);
});

Deno.test("Logger.debugEnabled is true at debug level or with a file", () => {
  assert.equal(new Logger({ level: "info", sink: collector() }).debugEnabled, false);
  assert.equal(new Logger({ level: "debug", sink: collector() }).debugEnabled, true);
  assert.equal(new Logger({ level: "silent", sink: collector(), file: collector() }).debugEnabled, true);
});

Deno.test("Logger.addSecret() redacts the secret in both sinks", () => {
  const sink = collector();
  const file = collector();
  const log = new Logger({ level: "debug", sink, file, now: () => FIXED });
  log.addSecret("hunter22");
  log.info("password is hunter22");
  log.debug("header X-Key: hunter22hunter22");
  assert.deepEqual(sink.lines, [
    "[mcp-bridge] password is [redacted]\n",
    "[mcp-bridge] header X-Key: [redacted][redacted]\n",
  ]);
  assert.deepEqual(file.lines, [
    "2025-01-02T03:04:05.678Z info password is [redacted]\n",
    "2025-01-02T03:04:05.678Z debug header X-Key: [redacted][redacted]\n",
  ]);
  assert.ok(![...sink.lines, ...file.lines].some((l) => l.includes("hunter22")));
});

Deno.test("Logger redacts secret-shaped text without addSecret", () => {
  const sink = collector();
  new Logger({ level: "warn", sink }).warn("sent Authorization: Bearer abc.def");
  assert.deepEqual(sink.lines, ["[mcp-bridge] warning: sent Authorization: [redacted]\n"]);
});

Deno.test("Logger.addSecret() applies only to later lines", () => {
  const sink = collector();
  const log = new Logger({ level: "info", sink });
  log.info("k=s3cret!");
  log.addSecret("s3cret!");
  log.info("k=s3cret!");
  assert.deepEqual(sink.lines, ["[mcp-bridge] k=s3cret!\n", "[mcp-bridge] k=[redacted]\n"]);
});

Deno.test("Logger.addSecret() ignores an empty secret", () => {
  const sink = collector();
  const log = new Logger({ level: "info", sink });
  log.addSecret("");
  log.info("nothing to hide");
  assert.deepEqual(sink.lines, ["[mcp-bridge] nothing to hide\n"]);
});

Deno.test("Logger survives a failing stderr sink and still writes the file", () => {
  const file = collector();
  const log = new Logger({
    level: "info",
    sink: {
      write() {
        throw new Error("stderr closed");
      },
    },
    file,
    now: () => FIXED,
  });
  log.error("one");
  log.info("two");
  assert.deepEqual(file.lines, [
    "2025-01-02T03:04:05.678Z error one\n",
    "2025-01-02T03:04:05.678Z info two\n",
  ]);
});

Deno.test("Logger drops a file sink that fails and keeps logging to stderr", () => {
  const sink = collector();
  let fileWrites = 0;
  const log = new Logger({
    level: "info",
    sink,
    file: {
      write() {
        fileWrites++;
        throw new Error("disk full");
      },
    },
  });
  log.info("one");
  log.info("two");
  assert.equal(fileWrites, 1);
  assert.deepEqual(sink.lines, ["[mcp-bridge] one\n", "[mcp-bridge] two\n"]);
  assert.equal(log.debugEnabled, false);
});

Deno.test("Logger neutralises escape sequences and control characters in both sinks", () => {
  const sink = collector();
  const file = collector();
  const log = new Logger({ level: "info", sink, file, now: () => FIXED });
  log.warn("server says \x1b[2J\x1b]0;title\x07\u202eevil\r[mcp-bridge] fake");
  assert.deepEqual(sink.lines, [
    "[mcp-bridge] warning: server says \\x1b[2J\\x1b]0;title\\x07\\u202eevil\\r[mcp-bridge] fake\n",
  ]);
  assert.deepEqual(file.lines, [
    "2025-01-02T03:04:05.678Z warn server says \\x1b[2J\\x1b]0;title\\x07\\u202eevil\\r[mcp-bridge] fake\n",
  ]);
});

Deno.test("Logger indents the lines of a multi-line message so that none looks like a log line", () => {
  const sink = collector();
  const file = collector();
  const log = new Logger({ level: "info", sink, file, now: () => FIXED });
  log.error("failed\n[mcp-bridge] forged line\r\nmore");
  assert.deepEqual(sink.lines, ["[mcp-bridge] error: failed\n    [mcp-bridge] forged line\n    more\n"]);
  assert.deepEqual(file.lines, [
    "2025-01-02T03:04:05.678Z error failed\n    [mcp-bridge] forged line\n    more\n",
  ]);
});

Deno.test("Logger.redact() uses the logger's secrets and rules, and writes nothing", () => {
  const sink = collector();
  const log = new Logger({ level: "debug", sink });
  log.addSecret("tok/en+42");
  assert.equal(
    log.redact('The server says "tok%2Fen%2B42" and {"apiKey":"k"} at https://u:p@h/'),
    'The server says "[redacted]" and {"apiKey":"[redacted]"} at https://[redacted]@h/',
  );
  assert.deepEqual(sink.lines, []);
});

Deno.test("Logger redacts before neutralising, so an escape cannot split a secret out of reach", () => {
  const sink = collector();
  const log = new Logger({ level: "info", sink });
  log.addSecret("hunter22");
  log.info("\x1b[31mhunter22\x1b[0m");
  assert.deepEqual(sink.lines, ["[mcp-bridge] \\x1b[31m[redacted]\\x1b[0m\n"]);
});
