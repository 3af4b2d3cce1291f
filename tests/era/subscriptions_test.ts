import assert from "node:assert/strict";
import {
  ACKNOWLEDGED_METHOD,
  acknowledgedFilter,
  isAcknowledgement,
  listenParams,
  subscriptionIdOf,
  SubscriptionState,
  unacknowledged,
} from "../../src/era/subscriptions.ts";
import { SUBSCRIPTION_ID_META_KEY } from "../../src/era/meta.ts";

Deno.test("listenParams() wraps the filter in notifications, as in the spec's example", () => {
  assert.deepEqual(
    listenParams({ toolsListChanged: true, resourceSubscriptions: ["file:///project/config.json"] }),
    {
      notifications: { toolsListChanged: true, resourceSubscriptions: ["file:///project/config.json"] },
    },
  );
});

Deno.test("listenParams() leaves out false flags and empty URI lists", () => {
  assert.deepEqual(
    listenParams({
      toolsListChanged: false,
      promptsListChanged: false,
      resourcesListChanged: false,
      resourceSubscriptions: [],
    }),
    { notifications: {} },
  );
  assert.deepEqual(listenParams({}), { notifications: {} });
  assert.deepEqual(listenParams({ promptsListChanged: true, resourcesListChanged: true }), {
    notifications: { promptsListChanged: true, resourcesListChanged: true },
  });
});

Deno.test("listenParams() removes duplicate URIs, keeping the first order", () => {
  assert.deepEqual(listenParams({ resourceSubscriptions: ["b", "a", "b"] }).notifications, {
    resourceSubscriptions: ["b", "a"],
  });
});

Deno.test("listenParams() does not share the caller's URI array", () => {
  const uris = ["a"];
  const params = listenParams({ resourceSubscriptions: uris });
  uris.push("b");
  assert.deepEqual(params.notifications.resourceSubscriptions, ["a"]);
});

Deno.test("SubscriptionState starts empty", () => {
  const state = new SubscriptionState();
  assert.deepEqual(state.filter(), {});
  assert.equal(state.isEmpty(), true);
});

Deno.test("SubscriptionState.setCapabilities() derives list-changed interest from listChanged flags", () => {
  const state = new SubscriptionState();
  assert.deepEqual(
    state.setCapabilities({
      tools: { listChanged: true },
      prompts: { listChanged: false },
      resources: { subscribe: true, listChanged: true },
      logging: {},
    }),
    { filter: { toolsListChanged: true, resourcesListChanged: true }, changed: true },
  );
  assert.equal(
    state.setCapabilities({ tools: { listChanged: true }, resources: { listChanged: true } }).changed,
    false,
  );
  assert.deepEqual(state.setCapabilities({ tools: {} }), { filter: {}, changed: true });
  assert.deepEqual(state.setCapabilities(undefined), { filter: {}, changed: false });
});

Deno.test("SubscriptionState.setCapabilities() ignores truthy values that are not true", () => {
  const state = new SubscriptionState();
  assert.deepEqual(state.setCapabilities({ tools: { listChanged: "yes" }, prompts: true }), {
    filter: {},
    changed: false,
  });
});

Deno.test("SubscriptionState tracks resources/subscribe and unsubscribe by URI", () => {
  const state = new SubscriptionState();
  assert.deepEqual(state.subscribe("file:///a"), {
    filter: { resourceSubscriptions: ["file:///a"] },
    changed: true,
  });
  assert.deepEqual(state.subscribe("file:///b"), {
    filter: { resourceSubscriptions: ["file:///a", "file:///b"] },
    changed: true,
  });
  assert.equal(state.subscribe("file:///a").changed, false);
  assert.deepEqual(state.unsubscribe("file:///a"), {
    filter: { resourceSubscriptions: ["file:///b"] },
    changed: true,
  });
  assert.equal(state.unsubscribe("file:///zzz").changed, false);
  assert.deepEqual(state.unsubscribe("file:///b"), { filter: {}, changed: true });
  assert.equal(state.isEmpty(), true);
});

Deno.test("SubscriptionState combines capabilities and URIs in one filter", () => {
  const state = new SubscriptionState();
  state.subscribe("file:///a");
  const change = state.setCapabilities({ prompts: { listChanged: true } });
  assert.deepEqual(change, {
    filter: { promptsListChanged: true, resourceSubscriptions: ["file:///a"] },
    changed: true,
  });
  assert.deepEqual(listenParams(change.filter), { notifications: change.filter });
});

Deno.test("SubscriptionState returns filters the caller may modify without effect", () => {
  const state = new SubscriptionState();
  const { filter } = state.subscribe("file:///a");
  filter.resourceSubscriptions?.push("file:///evil");
  assert.deepEqual(state.filter(), { resourceSubscriptions: ["file:///a"] });
  assert.equal(state.subscribe("file:///a").changed, false);
});

const ACK = {
  jsonrpc: "2.0",
  method: "notifications/subscriptions/acknowledged",
  params: {
    _meta: { "io.modelcontextprotocol/subscriptionId": 1 },
    notifications: { toolsListChanged: true, resourceSubscriptions: ["file:///project/config.json"] },
  },
};

Deno.test("isAcknowledgement() recognises the acknowledged notification", () => {
  assert.equal(ACKNOWLEDGED_METHOD, "notifications/subscriptions/acknowledged");
  assert.equal(isAcknowledgement(ACK), true);
  assert.equal(
    isAcknowledgement({ jsonrpc: "2.0", method: ACKNOWLEDGED_METHOD, params: { notifications: {} } }),
    true,
  );
  assert.equal(isAcknowledgement({ jsonrpc: "2.0", method: ACKNOWLEDGED_METHOD }), false);
  assert.equal(
    isAcknowledgement({ jsonrpc: "2.0", method: ACKNOWLEDGED_METHOD, params: { notifications: [] } }),
    false,
  );
  assert.equal(
    isAcknowledgement({ jsonrpc: "2.0", method: "notifications/tools/list_changed", params: ACK.params }),
    false,
  );
});

Deno.test("acknowledgedFilter() reads the honoured subset", () => {
  assert.deepEqual(acknowledgedFilter(ACK), {
    toolsListChanged: true,
    resourceSubscriptions: ["file:///project/config.json"],
  });
  assert.deepEqual(
    acknowledgedFilter({
      jsonrpc: "2.0",
      method: ACKNOWLEDGED_METHOD,
      params: { notifications: { toolsListChanged: "true", resourceSubscriptions: ["a", 1] } },
    }),
    { resourceSubscriptions: ["a"] },
  );
  assert.equal(acknowledgedFilter({ jsonrpc: "2.0", method: "notifications/progress" }), undefined);
});

Deno.test("unacknowledged() lists what was asked for but not honoured", () => {
  assert.deepEqual(
    unacknowledged(
      {
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
        resourceSubscriptions: ["a", "b"],
      },
      { toolsListChanged: true, resourceSubscriptions: ["a"] },
    ),
    { promptsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ["b"] },
  );
  assert.deepEqual(
    unacknowledged({ toolsListChanged: true }, { toolsListChanged: true, promptsListChanged: true }),
    {},
  );
  assert.deepEqual(unacknowledged({}, {}), {});
});

Deno.test("subscriptionIdOf() reads the id from a notification's _meta", () => {
  assert.equal(SUBSCRIPTION_ID_META_KEY, "io.modelcontextprotocol/subscriptionId");
  assert.equal(subscriptionIdOf(ACK), 1);
  assert.equal(
    subscriptionIdOf({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: "listen-7" }, uri: "file:///a" },
    }),
    "listen-7",
  );
});

Deno.test("subscriptionIdOf() reads the id from the response that ends a subscription gracefully", () => {
  assert.equal(
    subscriptionIdOf({
      jsonrpc: "2.0",
      id: 1,
      result: { resultType: "complete", _meta: { [SUBSCRIPTION_ID_META_KEY]: 1 } },
    }),
    1,
  );
});

Deno.test("subscriptionIdOf() is undefined when the id is absent or not a valid id", () => {
  assert.equal(subscriptionIdOf({ jsonrpc: "2.0", method: "notifications/tools/list_changed" }), undefined);
  assert.equal(subscriptionIdOf({ jsonrpc: "2.0", method: "x", params: {} }), undefined);
  assert.equal(subscriptionIdOf({ jsonrpc: "2.0", method: "x", params: { _meta: [] } }), undefined);
  for (const id of [null, true, {}, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.equal(
      subscriptionIdOf({
        jsonrpc: "2.0",
        method: "x",
        params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: id } },
      }),
      undefined,
      String(id),
    );
  }
});
