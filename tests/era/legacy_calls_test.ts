import assert from "node:assert/strict";
import {
  CallTable,
  INPUT_CAPABLE_METHODS,
  INPUT_METHODS,
  legacyRequest,
  missingCapability,
  requestSubject,
} from "../../src/era/legacy_calls.ts";

Deno.test("INPUT_CAPABLE_METHODS and INPUT_METHODS hold the MRTR methods", () => {
  assert.deepEqual([...INPUT_CAPABLE_METHODS].sort(), ["prompts/get", "resources/read", "tools/call"]);
  assert.deepEqual([...INPUT_METHODS].sort(), ["elicitation/create", "roots/list", "sampling/createMessage"]);
});

Deno.test("CallTable follows the JSDoc example", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const key = calls.addInput(call, 7, "roots/list", undefined);
  const asked = calls.suspend(call);
  assert.deepEqual(asked.inputRequests, { [key]: { method: "roots/list" } });
  assert.equal(calls.byHostId("h1"), undefined);
  const retry = calls.byRequestState(asked.requestState);
  assert.equal(retry, call);
  calls.resume(call, "h2", {});
  assert.deepEqual(calls.takeAnswers(call, { [key]: { roots: [] } }), [{
    serverRequestId: 7,
    result: { roots: [] },
  }]);
  assert.equal(calls.byHostId("h2"), call);
});

Deno.test("CallTable.start() records the call as the host's request describes it", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", { progressToken: "p1", logLevel: "debug" });
  assert.equal(call.method, "tools/call");
  assert.equal(call.hostId, "h1");
  assert.equal(call.progressToken, "p1");
  assert.equal(call.logLevel, "debug");
  assert.equal(call.inputs.size, 0);
  assert.equal(call.requestState, undefined);
  assert.equal(call.final, undefined);
  assert.equal(calls.size, 1);

  const plain = calls.start("h2", "prompts/get", {});
  assert.equal(plain.progressToken, undefined);
  assert.equal(plain.logLevel, undefined);
  assert.equal(calls.size, 2);
});

Deno.test("CallTable.start() gives distinct, increasing numeric server ids", () => {
  const calls = new CallTable();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const call = calls.start(`h${i}`, "tools/call", {});
    assert.equal(typeof call.serverId, "number");
    assert.equal(Number.isInteger(call.serverId), true);
    ids.push(call.serverId);
  }
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `${ids[i]} > ${ids[i - 1]}`);
  const finished = calls.byServerId(ids[4])!;
  calls.finish(finished);
  const next = calls.start("h-next", "tools/call", {});
  assert.ok(next.serverId > ids[4], "a finished call's server id is not reused");
});

Deno.test("CallTable.start() server ids are independent of the host's ids", () => {
  const calls = new CallTable();
  const a = calls.start(100, "tools/call", {});
  const b = calls.start("100", "tools/call", {});
  assert.notEqual(a.serverId, b.serverId);
  assert.equal(calls.byHostId(100), a);
  assert.equal(calls.byHostId("100"), b);
});

Deno.test("CallTable.byServerId() finds a call only by its numeric server id", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  assert.equal(calls.byServerId(call.serverId), call);
  assert.equal(calls.byServerId(String(call.serverId)), undefined);
  assert.equal(calls.byServerId(null), undefined);
  assert.equal(calls.byServerId(undefined), undefined);
  assert.equal(calls.byServerId(call.serverId + 1), undefined);
});

Deno.test("CallTable.byHostId() finds the call a host id waits for", () => {
  const calls = new CallTable();
  const a = calls.start(1, "tools/call", {});
  const b = calls.start("1", "tools/call", {});
  assert.equal(calls.byHostId(1), a);
  assert.equal(calls.byHostId("1"), b);
  assert.equal(calls.byHostId(2), undefined);
});

Deno.test("CallTable.start() keeps the request's capabilities and subject; resume() takes the retry's capabilities", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", { capabilities: { roots: {} }, subject: "deploy" });
  assert.deepEqual(call.capabilities, { roots: {} });
  assert.equal(call.subject, "deploy");
  assert.equal(call.inputChars, 0);
  assert.deepEqual(calls.start("h2", "tools/list", {}).capabilities, {});
  calls.addInput(call, 1, "roots/list", undefined, 100);
  assert.equal(call.inputChars, 100);
  calls.suspend(call);
  calls.resume(call, "h3", { capabilities: { sampling: {} } });
  assert.deepEqual(call.capabilities, { sampling: {} });
  assert.equal(call.subject, "deploy", "the subject stays the original request's");
});

Deno.test("CallTable.addInput() gives unique keys, across calls too", () => {
  const calls = new CallTable();
  const a = calls.start("h1", "tools/call", {});
  const b = calls.start("h2", "tools/call", {});
  const keys = [
    calls.addInput(a, 1, "roots/list", undefined),
    calls.addInput(a, 2, "elicitation/create", { message: "?" }),
    calls.addInput(b, 3, "sampling/createMessage", { messages: [] }),
    calls.addInput(b, 1, "roots/list", undefined),
  ];
  assert.equal(new Set(keys).size, 4);
  for (const key of keys) assert.equal(typeof key, "string");
  assert.deepEqual([...a.inputs.keys()], keys.slice(0, 2));
  assert.deepEqual([...b.inputs.keys()], keys.slice(2));
  assert.deepEqual(a.inputs.get(keys[1]), {
    serverRequestId: 2,
    method: "elicitation/create",
    params: { message: "?" },
    chars: 0,
  });
});

Deno.test("CallTable.suspend() hands the open inputs to the host, without params when there are none", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const roots = calls.addInput(call, 10, "roots/list", undefined);
  const elicit = calls.addInput(call, 11, "elicitation/create", { mode: "form", message: "Name?" });
  const asked = calls.suspend(call);
  assert.deepEqual(asked.inputRequests, {
    [roots]: { method: "roots/list" },
    [elicit]: { method: "elicitation/create", params: { mode: "form", message: "Name?" } },
  });
  assert.equal("params" in asked.inputRequests[roots], false);
  assert.equal(asked.requestState, call.requestState);
});

Deno.test("CallTable.suspend() ends the host request but keeps the call", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", { progressToken: "p" });
  calls.addInput(call, 1, "roots/list", undefined);
  calls.suspend(call);
  assert.equal(call.hostId, undefined);
  assert.equal(calls.byHostId("h1"), undefined);
  assert.equal(calls.byServerId(call.serverId), call);
  assert.equal(calls.size, 1);
  assert.equal(call.inputs.size, 1, "the server's requests stay open");
});

Deno.test("CallTable.suspend() issues a new random requestState each time, retiring the old one", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const other = calls.start("h2", "tools/call", {});
  const first = calls.suspend(call).requestState;
  const otherState = calls.suspend(other).requestState;
  assert.equal(typeof first, "string");
  assert.ok(first.length >= 16, first);
  assert.notEqual(first, otherState);
  assert.equal(calls.byRequestState(first), call);
  assert.equal(calls.byRequestState(otherState), other);

  const second = calls.suspend(call).requestState;
  assert.notEqual(second, first);
  assert.equal(call.requestState, second);
  assert.equal(calls.byRequestState(first), undefined);
  assert.equal(calls.byRequestState(second), call);
  assert.equal(calls.byRequestState(otherState), other);
});

Deno.test("CallTable.byRequestState() knows no state that was not issued", () => {
  const calls = new CallTable();
  calls.start("h1", "tools/call", {});
  assert.equal(calls.byRequestState(""), undefined);
  assert.equal(calls.byRequestState("input-1"), undefined);
});

Deno.test("CallTable.resume() maps the retry's id and uses up the requestState", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", { progressToken: "p1", logLevel: "info" });
  const { requestState } = calls.suspend(call);
  calls.resume(call, 2, { progressToken: "p2", logLevel: "debug" });
  assert.equal(call.hostId, 2);
  assert.equal(calls.byHostId(2), call);
  assert.equal(calls.byHostId("2"), undefined);
  assert.equal(calls.byHostId("h1"), undefined);
  assert.equal(call.requestState, undefined);
  assert.equal(calls.byRequestState(requestState), undefined);
  assert.equal(call.progressToken, "p2");
  assert.equal(call.logLevel, "debug");
  assert.deepEqual(calls.running(), [call]);
});

Deno.test("CallTable.resume() clears a progress token and log level the retry does not ask for", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", { progressToken: "p1", logLevel: "info" });
  calls.suspend(call);
  calls.resume(call, "h2", {});
  assert.equal(call.progressToken, undefined);
  assert.equal(call.logLevel, undefined);
});

Deno.test("CallTable.takeAnswers() returns the answers to open inputs and closes them", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const a = calls.addInput(call, 1, "roots/list", undefined);
  const b = calls.addInput(call, "s-2", "elicitation/create", { message: "?" });
  const c = calls.addInput(call, 3, "sampling/createMessage", { messages: [] });
  const answers = calls.takeAnswers(call, {
    [a]: { roots: [{ uri: "file:///" }] },
    [b]: { action: "accept", content: { name: "x" } },
  });
  assert.deepEqual(answers, [
    { serverRequestId: 1, result: { roots: [{ uri: "file:///" }] } },
    { serverRequestId: "s-2", result: { action: "accept", content: { name: "x" } } },
  ]);
  assert.deepEqual([...call.inputs.keys()], [c]);
  assert.deepEqual(calls.takeAnswers(call, { [a]: { roots: [] } }), [], "an input is answered once");
});

Deno.test("CallTable.takeAnswers() ignores unknown keys and answers that are not objects", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const other = calls.start("h2", "tools/call", {});
  const a = calls.addInput(call, 1, "roots/list", undefined);
  const b = calls.addInput(call, 2, "roots/list", undefined);
  const c = calls.addInput(call, 3, "roots/list", undefined);
  const d = calls.addInput(call, 4, "roots/list", undefined);
  const elsewhere = calls.addInput(other, 5, "roots/list", undefined);
  const answers = calls.takeAnswers(call, {
    "input-999": { roots: [] },
    [elsewhere]: { roots: [] },
    [a]: null,
    [b]: [{ roots: [] }],
    [c]: "yes",
    [d]: 4,
  });
  assert.deepEqual(answers, []);
  assert.deepEqual([...call.inputs.keys()], [a, b, c, d]);
  assert.deepEqual([...other.inputs.keys()], [elsewhere]);
});

Deno.test("CallTable.takeAnswers() returns nothing for inputResponses that are not an object", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const key = calls.addInput(call, 1, "roots/list", undefined);
  for (const value of [undefined, null, "x", 1, true, [{ roots: [] }]]) {
    assert.deepEqual(calls.takeAnswers(call, value), [], JSON.stringify(value));
  }
  assert.deepEqual([...call.inputs.keys()], [key]);
});

Deno.test("CallTable.dropInput() finds the call by the server's request id across calls", () => {
  const calls = new CallTable();
  const a = calls.start("h1", "tools/call", {});
  const b = calls.start("h2", "tools/call", {});
  const a1 = calls.addInput(a, 10, "roots/list", undefined);
  const b1 = calls.addInput(b, 20, "roots/list", undefined);
  const b2 = calls.addInput(b, "21", "roots/list", undefined);
  assert.equal(calls.dropInput(20), b);
  assert.deepEqual([...b.inputs.keys()], [b2]);
  assert.deepEqual([...a.inputs.keys()], [a1]);
  assert.equal(calls.dropInput(21), undefined, 'numeric 21 is not the string id "21"');
  assert.equal(calls.dropInput("21"), b);
  assert.equal(b.inputs.size, 0);
  assert.equal(calls.dropInput(20), undefined, "already dropped");
  assert.equal(calls.dropInput(10), a);
  assert.equal(a.inputs.size, 0);
  assert.equal(calls.size, 2, "dropping inputs keeps the calls");
  assert.ok(!b.inputs.has(b1));
});

Deno.test("CallTable.finish() removes the call from every index", () => {
  const calls = new CallTable();
  const running = calls.start("h1", "tools/call", { progressToken: "p1" });
  calls.finish(running);
  assert.equal(calls.size, 0);
  assert.equal(calls.byServerId(running.serverId), undefined);
  assert.equal(calls.byHostId("h1"), undefined);
  assert.deepEqual(calls.running(), []);
  assert.deepEqual(calls.all(), []);

  const suspended = calls.start("h2", "tools/call", { progressToken: 9 });
  calls.addInput(suspended, 1, "roots/list", undefined);
  const { requestState } = calls.suspend(suspended);
  calls.finish(suspended);
  assert.equal(calls.size, 0);
  assert.equal(calls.byRequestState(requestState), undefined);
  assert.equal(calls.byServerId(suspended.serverId), undefined);
  assert.equal(calls.dropInput(1), undefined);
});

Deno.test("CallTable.finish() of a suspended call leaves a later call with the same host id alone", () => {
  const calls = new CallTable();
  const first = calls.start("h1", "tools/call", { progressToken: "p" });
  calls.suspend(first);
  const second = calls.start("h1", "tools/call", { progressToken: "p" });
  calls.finish(first);
  assert.equal(calls.byHostId("h1"), second);
  assert.equal(calls.byServerId(second.serverId), second);
  assert.deepEqual(calls.running(), [second]);
});

Deno.test("CallTable.finish() of a resumed call leaves a later call with its old host id alone", () => {
  const calls = new CallTable();
  const first = calls.start("h1", "tools/call", {});
  calls.suspend(first);
  const second = calls.start("h1", "prompts/get", {});
  calls.resume(first, "h3", {});
  calls.finish(first);
  assert.equal(calls.byHostId("h1"), second);
  assert.equal(calls.byHostId("h3"), undefined);
  assert.deepEqual(calls.all(), [second]);
});

Deno.test("CallTable.finish() of a call whose host id was taken over leaves the newer call", () => {
  const calls = new CallTable();
  const first = calls.start("h1", "tools/call", {});
  const second = calls.start("h1", "tools/call", {});
  assert.equal(calls.byHostId("h1"), second);
  calls.finish(first);
  assert.equal(calls.byHostId("h1"), second);
});

Deno.test("CallTable.running() lists the calls a host waits for, all() every open call", () => {
  const calls = new CallTable();
  const a = calls.start("h1", "tools/call", {});
  const b = calls.start("h2", "prompts/get", {});
  const c = calls.start("h3", "resources/read", {});
  calls.suspend(b);
  assert.deepEqual(calls.running(), [a, c]);
  assert.deepEqual(calls.all(), [a, b, c]);
  calls.resume(b, "h4", {});
  assert.deepEqual(calls.running().length, 3);
  assert.ok(calls.running().includes(b));
  calls.finish(a);
  assert.deepEqual(calls.all(), [b, c]);
  assert.equal(calls.size, 2);
});

Deno.test("legacyRequest() rewrites the request as in the JSDoc example", () => {
  const text = legacyRequest({
    jsonrpc: "2.0",
    id: "h1",
    method: "tools/call",
    params: {
      name: "echo",
      _meta: { progressToken: 1, "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
    },
  }, 4);
  assert.equal(typeof text, "string");
  assert.deepEqual(JSON.parse(text), {
    jsonrpc: "2.0",
    id: 4,
    method: "tools/call",
    params: { name: "echo", _meta: { progressToken: 4 } },
  });
});

Deno.test("legacyRequest() strips the four protocol _meta keys and keeps the others", () => {
  const text = legacyRequest({
    jsonrpc: "2.0",
    id: 9,
    method: "resources/read",
    params: {
      uri: "file:///a",
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
        "io.modelcontextprotocol/clientInfo": { name: "host", version: "1" },
        "io.modelcontextprotocol/logLevel": "debug",
        "io.modelcontextprotocol/other": true,
        progressToken: "tok",
        "com.example/trace": "abc",
      },
    },
  }, 12);
  assert.deepEqual(JSON.parse(text), {
    jsonrpc: "2.0",
    id: 12,
    method: "resources/read",
    params: {
      uri: "file:///a",
      _meta: { "io.modelcontextprotocol/other": true, progressToken: 12, "com.example/trace": "abc" },
    },
  });
});

Deno.test("legacyRequest() removes a _meta left empty", () => {
  const text = legacyRequest({
    jsonrpc: "2.0",
    id: "x",
    method: "tools/list",
    params: {
      cursor: "c1",
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { name: "host", version: "1" },
        "io.modelcontextprotocol/logLevel": "info",
      },
    },
  }, 1);
  assert.deepEqual(JSON.parse(text), {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/list",
    params: { cursor: "c1" },
  });
});

Deno.test("legacyRequest() removes inputResponses and requestState", () => {
  const text = legacyRequest({
    jsonrpc: "2.0",
    id: "retry",
    method: "tools/call",
    params: {
      name: "deploy",
      arguments: { env: "prod" },
      inputResponses: { "input-1": { action: "accept" } },
      requestState: "abc",
    },
  }, 3);
  assert.deepEqual(JSON.parse(text), {
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: { name: "deploy", arguments: { env: "prod" } },
  });
});

Deno.test("legacyRequest() leaves params absent when the request has none", () => {
  const parsed = JSON.parse(legacyRequest({ jsonrpc: "2.0", id: "p", method: "ping" }, 7));
  assert.deepEqual(parsed, { jsonrpc: "2.0", id: 7, method: "ping" });
  assert.equal("params" in parsed, false);
});

Deno.test("legacyRequest() keeps empty params and a params object with no _meta", () => {
  assert.deepEqual(
    JSON.parse(legacyRequest({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, 2)),
    {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/list",
      params: {},
    },
  );
  assert.deepEqual(
    JSON.parse(
      legacyRequest({
        jsonrpc: "2.0",
        id: 1,
        method: "prompts/get",
        params: { name: "p", arguments: { a: "1" } },
      }, 2),
    ),
    { jsonrpc: "2.0", id: 2, method: "prompts/get", params: { name: "p", arguments: { a: "1" } } },
  );
});

Deno.test("legacyRequest() does not change the host's request", () => {
  const request = {
    jsonrpc: "2.0",
    id: "h1",
    method: "tools/call",
    params: {
      name: "echo",
      requestState: "s",
      inputResponses: { k: {} },
      _meta: { progressToken: 1, "io.modelcontextprotocol/logLevel": "debug" },
    },
  };
  const before = structuredClone(request);
  const text = legacyRequest(request, 5);
  assert.deepEqual(request, before);
  assert.deepEqual(JSON.parse(text).params, { name: "echo", _meta: { progressToken: 5 } });
});

Deno.test("suspend() leaves another call that a host wrongly started under the same id where it is", () => {
  const calls = new CallTable();
  const first = calls.start("same", "tools/call", {});
  const second = calls.start("same", "tools/call", {});
  calls.addInput(first, 1, "roots/list", undefined);
  calls.suspend(first);
  assert.equal(calls.byHostId("same"), second);
});

Deno.test("missingCapability() names what the host did not declare for each input method", () => {
  assert.equal(missingCapability("sampling/createMessage", {}, {}), "sampling");
  assert.equal(missingCapability("sampling/createMessage", {}, { sampling: {} }), undefined);
  assert.equal(missingCapability("roots/list", undefined, { sampling: {} }), "roots");
  assert.equal(missingCapability("roots/list", undefined, { roots: {} }), undefined);
  assert.equal(missingCapability("elicitation/create", { mode: "form" }, {}), "elicitation");
  assert.equal(missingCapability("elicitation/create", { mode: "form" }, { elicitation: {} }), undefined);
  assert.equal(missingCapability("elicitation/create", {}, { elicitation: { form: {} } }), undefined);
  assert.equal(
    missingCapability("elicitation/create", { mode: "url" }, { elicitation: { form: {} } }),
    "elicitation.url",
  );
  assert.equal(
    missingCapability("elicitation/create", { mode: "form" }, { elicitation: { url: {} } }),
    "elicitation.form",
  );
  assert.equal(
    missingCapability("elicitation/create", { mode: "url" }, { elicitation: { url: {} } }),
    undefined,
  );
  assert.equal(missingCapability("ping", undefined, {}), undefined);
});

Deno.test("takeAnswers() and dropInput() give back the size of what no longer waits", () => {
  const calls = new CallTable();
  const call = calls.start("h1", "tools/call", {});
  const a = calls.addInput(call, 1, "roots/list", undefined, 10);
  calls.addInput(call, 2, "roots/list", undefined, 20);
  calls.addInput(call, 3, "roots/list", undefined, 40);
  calls.takeAnswers(call, { [a]: { roots: [] } });
  assert.equal(call.inputChars, 60);
  calls.dropInput(2);
  assert.equal(call.inputChars, 40);
});

Deno.test("requestSubject() names the tool, the prompt or the resource of an input-capable request", () => {
  assert.equal(requestSubject("tools/call", { name: "t" }), "t");
  assert.equal(requestSubject("prompts/get", { name: "p" }), "p");
  assert.equal(requestSubject("resources/read", { uri: "u", name: "n" }), "u");
  assert.equal(requestSubject("tools/list", { name: "t" }), undefined);
  assert.equal(requestSubject("tools/call", { name: 1 }), undefined);
  assert.equal(requestSubject("tools/call", undefined), undefined);
});
