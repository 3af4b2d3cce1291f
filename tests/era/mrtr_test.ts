import assert from "node:assert/strict";
import { parseInputRequired, resultType, retryParams } from "../../src/era/mrtr.ts";

Deno.test("resultType() treats an absent resultType as complete", () => {
  assert.equal(resultType({}), "complete");
  assert.equal(resultType({ content: [{ type: "text", text: "hi" }] }), "complete");
});

Deno.test("resultType() returns the given type, unknown ones included", () => {
  assert.equal(resultType({ resultType: "complete" }), "complete");
  assert.equal(resultType({ resultType: "input_required" }), "input_required");
  assert.equal(resultType({ resultType: "task" }), "task");
});

Deno.test("resultType() refuses a resultType that is not a string", () => {
  assert.throws(() => resultType({ resultType: 1 }), {
    name: "TypeError",
    message: "Invalid result: resultType is not a string: 1",
  });
  assert.throws(() => resultType({ resultType: null }), TypeError);
});

const SPEC_RESULT = {
  resultType: "input_required",
  inputRequests: {
    github_login: {
      method: "elicitation/create",
      params: {
        mode: "form",
        message: "Please provide your GitHub username",
        requestedSchema: { type: "object" },
      },
    },
    capital_of_france: {
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: { type: "text", text: "?" } }], maxTokens: 100 },
    },
    where: { method: "roots/list" },
  },
  requestState: "AEAD-protected blob",
};

Deno.test("parseInputRequired() reads the spec's example, keeping the server's order", () => {
  const parsed = parseInputRequired(SPEC_RESULT);
  assert.deepEqual(parsed.requests.map((r) => [r.key, r.method]), [
    ["github_login", "elicitation/create"],
    ["capital_of_france", "sampling/createMessage"],
    ["where", "roots/list"],
  ]);
  assert.equal(parsed.requests[0]?.params, SPEC_RESULT.inputRequests.github_login.params);
  assert.equal(parsed.requests[2]?.params, undefined);
  assert.equal(parsed.requestState, "AEAD-protected blob");
});

Deno.test("parseInputRequired() reads a state-only result (load shedding)", () => {
  assert.deepEqual(parseInputRequired({ resultType: "input_required", requestState: "s" }), {
    requests: [],
    requestState: "s",
  });
  assert.deepEqual(
    parseInputRequired({ resultType: "input_required", inputRequests: {}, requestState: "" }),
    {
      requests: [],
      requestState: "",
    },
  );
});

Deno.test("parseInputRequired() leaves requestState out when the server sent none", () => {
  const parsed = parseInputRequired({
    resultType: "input_required",
    inputRequests: { r: { method: "roots/list" } },
  });
  assert.equal("requestState" in parsed, false);
});

Deno.test("parseInputRequired() refuses results that are not well-formed InputRequiredResults", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ requestState: "s" }, 'Invalid input-required result: resultType is not "input_required": "complete"'],
    [
      { resultType: "complete", requestState: "s" },
      'Invalid input-required result: resultType is not "input_required": "complete"',
    ],
    [
      { resultType: "input_required" },
      "Invalid input-required result: neither inputRequests nor requestState is present",
    ],
    [
      { resultType: "input_required", inputRequests: {} },
      "Invalid input-required result: neither inputRequests nor requestState is present",
    ],
    [
      { resultType: "input_required", requestState: 5 },
      "Invalid input-required result: requestState is not a string: 5",
    ],
    [
      { resultType: "input_required", inputRequests: [] },
      "Invalid input-required result: inputRequests is not an object: []",
    ],
    [
      { resultType: "input_required", inputRequests: { a: "x" } },
      'Invalid input request "a": not an object: "x"',
    ],
    [
      { resultType: "input_required", inputRequests: { a: { method: "tools/call" } } },
      'Invalid input request "a": unsupported method: "tools/call"',
    ],
    [
      { resultType: "input_required", inputRequests: { a: {} } },
      'Invalid input request "a": unsupported method: undefined',
    ],
    [
      { resultType: "input_required", inputRequests: { a: { method: "roots/list", params: [1] } } },
      'Invalid input request "a": params is not an object: [1]',
    ],
  ];
  for (const [result, message] of cases) {
    assert.throws(() => parseInputRequired(result), { name: "TypeError", message }, JSON.stringify(result));
  }
});

Deno.test("parseInputRequired() refuses legacy-only methods such as ping", () => {
  assert.throws(
    () =>
      parseInputRequired({
        resultType: "input_required",
        inputRequests: { p: { method: "ping" } },
        requestState: "s",
      }),
    TypeError,
  );
});

Deno.test("retryParams() adds inputResponses and echoes requestState exactly", () => {
  const state = "  opaque\u00e9/state==  ";
  const original = { name: "deploy", arguments: { env: "prod" }, _meta: { progressToken: 4 } };
  const retry = retryParams(original, { login: { action: "accept", content: { name: "octocat" } } }, state);
  assert.deepEqual(retry, {
    name: "deploy",
    arguments: { env: "prod" },
    _meta: { progressToken: 4 },
    inputResponses: { login: { action: "accept", content: { name: "octocat" } } },
    requestState: state,
  });
  assert.equal(retry.requestState, state);
});

Deno.test("retryParams() never invents a requestState and drops the previous round's", () => {
  const retry = retryParams({ name: "t", inputResponses: { old: {} }, requestState: "old" }, {
    fresh: { roots: [] },
  }, undefined);
  assert.deepEqual(retry, { name: "t", inputResponses: { fresh: { roots: [] } } });
  assert.equal("requestState" in retry, false);
});

Deno.test("retryParams() leaves inputResponses out for a state-only round", () => {
  assert.deepEqual(retryParams({ uri: "file:///a", inputResponses: { old: {} } }, {}, "s2"), {
    uri: "file:///a",
    requestState: "s2",
  });
});

Deno.test("retryParams() keeps an empty requestState", () => {
  assert.deepEqual(retryParams({ name: "t" }, {}, ""), { name: "t", requestState: "" });
});

Deno.test("retryParams() works without original params and does not modify its inputs", () => {
  assert.deepEqual(retryParams(undefined, { a: { roots: [] } }, "s"), {
    inputResponses: { a: { roots: [] } },
    requestState: "s",
  });
  const original = { name: "t", requestState: "old" };
  const responses = { a: { action: "decline" } };
  const retry = retryParams(original, responses, "new");
  assert.deepEqual(original, { name: "t", requestState: "old" });
  assert.notEqual(retry.inputResponses, responses);
});

Deno.test("a full round: parse, answer every key, retry", () => {
  const input = parseInputRequired(SPEC_RESULT);
  const responses = Object.fromEntries(input.requests.map((r) => [r.key, { answered: r.method }]));
  const retry = retryParams({ name: "tool" }, responses, input.requestState);
  assert.deepEqual(Object.keys(retry.inputResponses as object), [
    "github_login",
    "capital_of_france",
    "where",
  ]);
  assert.equal(retry.requestState, "AEAD-protected blob");
});
