import assert from "node:assert/strict";
import {
  grantable,
  ListenRegistry,
  MAX_LISTEN_URIS,
  parseListenFilter,
  RESOURCE_UPDATED,
} from "../../src/era/legacy_listens.ts";

const TOOLS = "notifications/tools/list_changed";
const PROMPTS = "notifications/prompts/list_changed";
const RESOURCES = "notifications/resources/list_changed";

Deno.test("RESOURCE_UPDATED and MAX_LISTEN_URIS have their documented values", () => {
  assert.equal(RESOURCE_UPDATED, "notifications/resources/updated");
  assert.equal(MAX_LISTEN_URIS, 1000);
});

Deno.test("parseListenFilter() reads true flags and distinct URIs", () => {
  assert.deepEqual(
    parseListenFilter({ notifications: { toolsListChanged: true, resourceSubscriptions: ["a", "a"] } }),
    { toolsListChanged: true, resourceSubscriptions: ["a"] },
  );
  assert.deepEqual(
    parseListenFilter({
      notifications: {
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
        resourceSubscriptions: ["file:///b", "file:///a"],
      },
    }),
    {
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
      resourceSubscriptions: ["file:///b", "file:///a"],
    },
  );
});

Deno.test("parseListenFilter() refuses missing or non-object notifications", () => {
  for (
    const params of [
      undefined,
      null,
      "x",
      1,
      [],
      {},
      { notifications: undefined },
      { notifications: null },
      { notifications: [] },
      { notifications: "all" },
      { notifications: true },
      { notification: { toolsListChanged: true } },
    ]
  ) {
    assert.throws(() => parseListenFilter(params), {
      name: "TypeError",
      message: "Invalid subscriptions/listen: params.notifications is not an object",
    }, JSON.stringify(params));
  }
});

Deno.test("parseListenFilter() refuses list-changed flags that are not booleans", () => {
  for (const flag of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"]) {
    for (const value of [null, "true", 1, 0, {}, []]) {
      assert.throws(() => parseListenFilter({ notifications: { [flag]: value } }), {
        name: "TypeError",
        message: `Invalid subscriptions/listen: notifications.${flag} is not a boolean`,
      }, `${flag}: ${JSON.stringify(value)}`);
    }
  }
});

Deno.test("parseListenFilter() refuses resourceSubscriptions that is not a list of strings", () => {
  for (const value of [null, "file:///a", 1, { 0: "a" }, [1], ["a", null], ["a", ["b"]], [{ uri: "a" }]]) {
    assert.throws(() => parseListenFilter({ notifications: { resourceSubscriptions: value } }), {
      name: "TypeError",
      message: "Invalid subscriptions/listen: notifications.resourceSubscriptions is not a list of URIs",
    }, JSON.stringify(value));
  }
});

Deno.test("parseListenFilter() drops false flags and an empty URI list", () => {
  assert.deepEqual(
    parseListenFilter({
      notifications: {
        toolsListChanged: false,
        promptsListChanged: false,
        resourcesListChanged: false,
        resourceSubscriptions: [],
      },
    }),
    {},
  );
  assert.deepEqual(parseListenFilter({ notifications: {} }), {});
  assert.deepEqual(
    parseListenFilter({ notifications: { toolsListChanged: false, promptsListChanged: true } }),
    {
      promptsListChanged: true,
    },
  );
});

Deno.test("parseListenFilter() ignores unknown members of notifications", () => {
  assert.deepEqual(parseListenFilter({ notifications: { tasksChanged: "yes", toolsListChanged: true } }), {
    toolsListChanged: true,
  });
});

Deno.test("parseListenFilter() removes duplicate URIs, keeping the first order", () => {
  assert.deepEqual(
    parseListenFilter({ notifications: { resourceSubscriptions: ["b", "a", "b", "c", "a"] } }),
    {
      resourceSubscriptions: ["b", "a", "c"],
    },
  );
});

Deno.test("parseListenFilter() does not share the request's URI array", () => {
  const uris = ["a"];
  const filter = parseListenFilter({ notifications: { resourceSubscriptions: uris } });
  uris.push("b");
  assert.deepEqual(filter.resourceSubscriptions, ["a"]);
});

Deno.test("parseListenFilter() accepts MAX_LISTEN_URIS distinct URIs, duplicates not counted", () => {
  const uris = Array.from({ length: MAX_LISTEN_URIS }, (_, i) => `file:///${i}`);
  assert.equal(
    parseListenFilter({ notifications: { resourceSubscriptions: uris } }).resourceSubscriptions?.length,
    1000,
  );
  const withDuplicates = [...uris, "file:///0", "file:///999"];
  assert.deepEqual(
    parseListenFilter({ notifications: { resourceSubscriptions: withDuplicates } }).resourceSubscriptions,
    uris,
  );
});

Deno.test("parseListenFilter() refuses more than MAX_LISTEN_URIS distinct URIs", () => {
  const uris = Array.from({ length: MAX_LISTEN_URIS + 1 }, (_, i) => `file:///${i}`);
  assert.throws(() => parseListenFilter({ notifications: { resourceSubscriptions: uris } }), {
    name: "TypeError",
    message: "Invalid subscriptions/listen: 1001 resource subscriptions, more than 1000",
  });
});

Deno.test("grantable() grants what the JSDoc example shows", () => {
  assert.deepEqual(
    grantable({ toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ["file:///a"] }, {
      tools: { listChanged: true },
      resources: { subscribe: true },
    }),
    { toolsListChanged: true, resourceSubscriptions: ["file:///a"] },
  );
});

Deno.test("grantable() grants each list-changed flag only for a listChanged: true capability", () => {
  const all = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };
  assert.deepEqual(grantable(all, { tools: { listChanged: true } }), { toolsListChanged: true });
  assert.deepEqual(grantable(all, { prompts: { listChanged: true } }), { promptsListChanged: true });
  assert.deepEqual(grantable(all, { resources: { listChanged: true } }), { resourcesListChanged: true });
  assert.deepEqual(
    grantable(all, {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true },
    }),
    all,
  );
});

Deno.test("grantable() grants no list-changed flag for a capability without listChanged: true", () => {
  const all = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };
  for (
    const capability of [undefined, null, true, {}, { listChanged: false }, { listChanged: "true" }, {
      listChanged: 1,
    }, [{ listChanged: true }]]
  ) {
    assert.deepEqual(
      grantable(all, { tools: capability, prompts: capability, resources: capability }),
      {},
      JSON.stringify(capability),
    );
  }
});

Deno.test("grantable() grants nothing that was not asked for", () => {
  const capabilities = {
    tools: { listChanged: true },
    prompts: { listChanged: true },
    resources: { listChanged: true, subscribe: true },
  };
  assert.deepEqual(grantable({}, capabilities), {});
  assert.deepEqual(
    grantable(
      { toolsListChanged: false, promptsListChanged: false, resourcesListChanged: false },
      capabilities,
    ),
    {},
  );
  assert.deepEqual(grantable({ promptsListChanged: true }, capabilities), { promptsListChanged: true });
});

Deno.test("grantable() grants URIs only when resources.subscribe is true", () => {
  const filter = { resourceSubscriptions: ["file:///a", "file:///b"] };
  assert.deepEqual(grantable(filter, { resources: { subscribe: true } }), {
    resourceSubscriptions: ["file:///a", "file:///b"],
  });
  for (
    const resources of [undefined, null, true, {}, { subscribe: false }, { subscribe: "true" }, {
      listChanged: true,
    }]
  ) {
    assert.deepEqual(grantable(filter, { resources }), {}, JSON.stringify(resources));
  }
  assert.deepEqual(grantable(filter, { tools: { subscribe: true }, prompts: { subscribe: true } }), {});
});

Deno.test("grantable() grants nothing for capabilities the server does not declare", () => {
  assert.deepEqual(
    grantable({
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
      resourceSubscriptions: ["a"],
    }, {}),
    {},
  );
  assert.deepEqual(
    grantable({ toolsListChanged: true, resourceSubscriptions: ["a"] }, { resources: { subscribe: true } }),
    { resourceSubscriptions: ["a"] },
  );
});

Deno.test("grantable() does not share the filter's URI array", () => {
  const filter = { resourceSubscriptions: ["a"] };
  const granted = grantable(filter, { resources: { subscribe: true } });
  filter.resourceSubscriptions.push("b");
  assert.deepEqual(granted.resourceSubscriptions, ["a"]);
});

Deno.test("ListenRegistry starts empty", () => {
  const listens = new ListenRegistry();
  assert.equal(listens.size, 0);
  assert.deepEqual(listens.subscribedUris, []);
  assert.equal(listens.has(1), false);
  assert.deepEqual(listens.close(1), []);
  assert.deepEqual(listens.recipients(TOOLS, {}), []);
});

Deno.test("ListenRegistry follows the JSDoc example", () => {
  const listens = new ListenRegistry();
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["file:///a"] }), ["file:///a"]);
  listens.open(1, { toolsListChanged: true, resourceSubscriptions: ["file:///a"] });
  assert.deepEqual(listens.recipients(TOOLS, {}), [1]);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "file:///a" }), [1]);
  assert.deepEqual(listens.close(1), ["file:///a"]);
  assert.equal(listens.size, 0);
  assert.deepEqual(listens.subscribedUris, []);
});

Deno.test("ListenRegistry.open(), has(), close() and size track the open streams", () => {
  const listens = new ListenRegistry();
  listens.open(1, {});
  listens.open("b", { toolsListChanged: true });
  assert.equal(listens.size, 2);
  assert.equal(listens.has(1), true);
  assert.equal(listens.has("b"), true);
  assert.equal(listens.has(2), false);
  assert.deepEqual(listens.close(1), []);
  assert.equal(listens.has(1), false);
  assert.equal(listens.size, 1);
  assert.deepEqual(listens.close(1), [], "closing twice releases nothing");
  assert.equal(listens.size, 1);
  listens.close("b");
  assert.equal(listens.size, 0);
});

Deno.test('ListenRegistry treats numeric id 1 and string id "1" as different streams', () => {
  const listens = new ListenRegistry();
  listens.open(1, { toolsListChanged: true, resourceSubscriptions: ["a"] });
  assert.equal(listens.has("1"), false);
  listens.open("1", { promptsListChanged: true, resourceSubscriptions: ["a"] });
  assert.equal(listens.size, 2);
  assert.deepEqual(listens.recipients(TOOLS, {}), [1]);
  assert.deepEqual(listens.recipients(PROMPTS, {}), ["1"]);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "a" }), [1, "1"]);
  assert.deepEqual(listens.close("1"), []);
  assert.equal(listens.has(1), true);
  assert.equal(listens.has("1"), false);
  assert.deepEqual(listens.close(1), ["a"]);
});

Deno.test("ListenRegistry.urisToSubscribe() returns only URIs no open stream has", () => {
  const listens = new ListenRegistry();
  assert.deepEqual(listens.urisToSubscribe({}), []);
  assert.deepEqual(listens.urisToSubscribe({ toolsListChanged: true }), []);
  listens.open(1, { resourceSubscriptions: ["a", "b"] });
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["b", "c", "a", "d"] }), ["c", "d"]);
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["a"] }), []);
  listens.close(1);
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["a", "c"] }), ["a", "c"]);
});

Deno.test("ListenRegistry.urisToSubscribe() does not open anything", () => {
  const listens = new ListenRegistry();
  listens.urisToSubscribe({ resourceSubscriptions: ["a"] });
  assert.equal(listens.size, 0);
  assert.deepEqual(listens.subscribedUris, []);
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["a"] }), ["a"]);
});

Deno.test("ListenRegistry counts a URI shared by two streams until both close", () => {
  const listens = new ListenRegistry();
  listens.open(1, { resourceSubscriptions: ["shared", "only1"] });
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["shared", "only2"] }), ["only2"]);
  listens.open(2, { resourceSubscriptions: ["shared", "only2"] });
  assert.deepEqual(listens.subscribedUris.sort(), ["only1", "only2", "shared"]);
  assert.deepEqual(listens.close(1), ["only1"]);
  assert.deepEqual(listens.subscribedUris.sort(), ["only2", "shared"]);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "shared" }), [2]);
  assert.deepEqual(listens.close(2), ["shared", "only2"]);
  assert.deepEqual(listens.subscribedUris, []);
});

Deno.test("ListenRegistry releases nothing when the first of two streams sharing every URI closes", () => {
  const listens = new ListenRegistry();
  listens.open("x", { resourceSubscriptions: ["a"] });
  listens.open("y", { resourceSubscriptions: ["a"] });
  assert.deepEqual(listens.close("x"), []);
  assert.deepEqual(listens.subscribedUris, ["a"]);
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["a"] }), []);
  assert.deepEqual(listens.close("y"), ["a"]);
  assert.deepEqual(listens.subscribedUris, []);
  assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["a"] }), ["a"]);
});

Deno.test("ListenRegistry.subscribedUris lists every URI once", () => {
  const listens = new ListenRegistry();
  listens.open(1, { resourceSubscriptions: ["a", "b"] });
  listens.open(2, { resourceSubscriptions: ["b", "c"] });
  listens.open(3, { toolsListChanged: true });
  assert.deepEqual(listens.subscribedUris.sort(), ["a", "b", "c"]);
});

Deno.test("ListenRegistry.open() with an open id replaces that stream without leaking counts", () => {
  const listens = new ListenRegistry();
  listens.open(1, { toolsListChanged: true, resourceSubscriptions: ["a", "b"] });
  listens.open(1, { promptsListChanged: true, resourceSubscriptions: ["b", "c"] });
  assert.equal(listens.size, 1);
  assert.deepEqual(listens.subscribedUris.sort(), ["b", "c"]);
  assert.deepEqual(listens.recipients(TOOLS, {}), []);
  assert.deepEqual(listens.recipients(PROMPTS, {}), [1]);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "a" }), []);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "b" }), [1]);
  assert.deepEqual(listens.close(1).sort(), ["b", "c"]);
  assert.deepEqual(listens.subscribedUris, []);
  assert.equal(listens.size, 0);
});

Deno.test("ListenRegistry.open() of the same stream and URIs again keeps one count per URI", () => {
  const listens = new ListenRegistry();
  listens.open(1, { resourceSubscriptions: ["a"] });
  listens.open(1, { resourceSubscriptions: ["a"] });
  listens.open(1, { resourceSubscriptions: ["a"] });
  assert.deepEqual(listens.close(1), ["a"]);
  assert.deepEqual(listens.subscribedUris, []);
});

Deno.test("ListenRegistry.recipients() sends each list_changed notification to the streams that asked for it", () => {
  const listens = new ListenRegistry();
  listens.open(1, { toolsListChanged: true, resourcesListChanged: true });
  listens.open(2, { promptsListChanged: true });
  listens.open(3, { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true });
  listens.open(4, { resourceSubscriptions: ["a"] });
  assert.deepEqual(listens.recipients(TOOLS, {}), [1, 3]);
  assert.deepEqual(listens.recipients(PROMPTS, undefined), [2, 3]);
  assert.deepEqual(listens.recipients(RESOURCES, null), [1, 3]);
});

Deno.test("ListenRegistry.recipients() sends a resource update to the streams subscribed to its URI", () => {
  const listens = new ListenRegistry();
  listens.open("s1", { resourceSubscriptions: ["file:///a", "file:///b"] });
  listens.open("s2", { resourceSubscriptions: ["file:///b"] });
  listens.open("s3", { resourcesListChanged: true });
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "file:///a" }), ["s1"]);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "file:///b", title: "B" }), ["s1", "s2"]);
  assert.deepEqual(listens.recipients(RESOURCE_UPDATED, { uri: "file:///c" }), []);
});

Deno.test("ListenRegistry.recipients() sends a resource update without a string uri nowhere", () => {
  const listens = new ListenRegistry();
  listens.open(1, { resourceSubscriptions: ["1", "file:///a"] });
  for (
    const params of [undefined, null, {}, { uri: 1 }, { uri: null }, { uri: ["file:///a"] }, ["file:///a"]]
  ) {
    assert.deepEqual(listens.recipients(RESOURCE_UPDATED, params), [], JSON.stringify(params));
  }
});

Deno.test("ListenRegistry.recipients() sends other notifications nowhere", () => {
  const listens = new ListenRegistry();
  listens.open(1, {
    toolsListChanged: true,
    promptsListChanged: true,
    resourcesListChanged: true,
    resourceSubscriptions: ["a"],
  });
  for (
    const method of [
      "notifications/message",
      "notifications/progress",
      "notifications/roots/list_changed",
      "notifications/tasks/status",
      "notifications/tools/listChanged",
      "toolsListChanged",
      "",
    ]
  ) {
    assert.deepEqual(listens.recipients(method, { uri: "a" }), [], method);
  }
});

Deno.test("ListenRegistry.recipients() lists streams in the order they were opened", () => {
  const listens = new ListenRegistry();
  listens.open("c", { toolsListChanged: true });
  listens.open("a", { toolsListChanged: true });
  listens.open(2, { toolsListChanged: true });
  assert.deepEqual(listens.recipients(TOOLS, {}), ["c", "a", 2]);
  listens.close("a");
  assert.deepEqual(listens.recipients(TOOLS, {}), ["c", 2]);
});
