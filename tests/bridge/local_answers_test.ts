import assert from "node:assert/strict";
import { Bridge } from "../../src/bridge/bridge.ts";
import { ToolFilter } from "../../src/bridge/tool_filter.ts";
import { Logger } from "../../src/log/logger.ts";

/**
 * A host that stops reading stdout: the bridge's own answers (a blocked tool, a reused id) wait for it,
 * so reading the host's next lines waits too, instead of queueing answers without end.
 */
Deno.test("Bridge: answers it makes itself wait for the host to read (backpressure)", async () => {
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  const written: string[] = [];
  const sent: string[] = [];
  const bridge = new Bridge({
    transport: {
      kind: "test",
      send: (text) => (sent.push(text), new Promise<void>(() => {})),
      close: () => Promise.resolve(),
    },
    out: { write: (text: string) => (written.push(text), stalled) },
    log: new Logger({ level: "silent" }),
    filter: new ToolFilter(["secret_*"], []),
  });
  const blocked = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "secret_tool", arguments: {} },
  });
  let done = false;
  const reading = bridge.fromHost({ text: blocked }).then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(written.length, 1, "the answer was handed to stdout");
  assert.match(written[0]!, /Tool \\"secret_tool\\" is not available/);
  assert.equal(done, false, "the next host line is not read while the host does not read");
  assert.deepEqual(sent, [], "a blocked tool never reaches the server");
  release();
  await reading;
  assert.equal(done, true);

  // A reused id in flight: the same.
  const call = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  let second = false;
  let releaseAgain!: () => void;
  const stalledAgain = new Promise<void>((resolve) => (releaseAgain = resolve));
  const reuse = new Bridge({
    transport: { kind: "test", send: () => new Promise<void>(() => {}), close: () => Promise.resolve() },
    out: { write: () => stalledAgain },
    log: new Logger({ level: "silent" }),
    filter: new ToolFilter([], []),
  });
  await reuse.fromHost({ text: call });
  const duplicate = reuse.fromHost({ text: call }).then(() => (second = true));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(second, false);
  releaseAgain();
  await duplicate;
  assert.equal(second, true);
});

Deno.test("Bridge.fromServerBytes(): bytes to the host as they are, unless the bridge must read them", async () => {
  const written: unknown[] = [];
  const bridge = new Bridge({
    transport: { kind: "test", send: () => new Promise<void>(() => {}), close: () => Promise.resolve() },
    out: {
      write: (text: string) => (written.push(text), Promise.resolve()),
      writeBytes: (bytes: Uint8Array) => (written.push(bytes.slice()), Promise.resolve()),
    },
    log: new Logger({ level: "silent" }),
    filter: new ToolFilter(["secret_*"], []),
  });
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  void bridge.fromHost({
    text: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "a" } }),
  });
  void bridge.fromHost({ text: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) });
  await new Promise((resolve) => setTimeout(resolve, 10));
  // A call's answer: the bytes themselves.
  const answer = encode({ jsonrpc: "2.0", id: 1, result: { content: [] } });
  await bridge.fromServerBytes(answer, 1);
  assert.deepEqual(written, [answer]);
  // A tools/list under a filter is read (and filtered) as text.
  const tools = [{ name: "secret_one", inputSchema: { type: "object" } }, {
    name: "open",
    inputSchema: { type: "object" },
  }];
  await bridge.fromServerBytes(encode({ jsonrpc: "2.0", id: 2, result: { tools } }), 2);
  assert.equal(written.length, 2);
  assert.deepEqual(
    JSON.parse(String(written[1] as unknown)).result.tools.map((t: { name: string }) => t.name),
    [
      "open",
    ],
  );
  // An answer nobody waits for (answered already): dropped, as text answers are.
  await bridge.fromServerBytes(answer, 1);
  assert.equal(written.length, 2);
});
