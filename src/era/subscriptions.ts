/**
 * Subscriptions (2026-07-28 basic/patterns/subscriptions): the `subscriptions/listen` filter, a small state
 * machine for what a legacy host wants to hear about, and reading the notifications of a listen stream.
 *
 * @module
 */

import { SUBSCRIPTION_ID_META_KEY } from "./meta.ts";

/** The notification method acknowledging a `subscriptions/listen` request. */
export const ACKNOWLEDGED_METHOD = "notifications/subscriptions/acknowledged";

/** The notification types a client opts in to; an omitted field means "not subscribed". */
export interface SubscriptionFilter {
  /** Receive `notifications/tools/list_changed`. */
  toolsListChanged?: boolean;
  /** Receive `notifications/prompts/list_changed`. */
  promptsListChanged?: boolean;
  /** Receive `notifications/resources/list_changed`. */
  resourcesListChanged?: boolean;
  /** Receive `notifications/resources/updated` for these URIs. */
  resourceSubscriptions?: string[];
}

/** What a {@link SubscriptionState} change returns. */
export interface FilterChange {
  /** The filter to send now. */
  filter: SubscriptionFilter;
  /** Whether it differs from the previous one (then `subscriptions/listen` has to be sent again). */
  changed: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function normalise(filter: SubscriptionFilter): SubscriptionFilter {
  const out: SubscriptionFilter = {};
  if (filter.toolsListChanged === true) out.toolsListChanged = true;
  if (filter.promptsListChanged === true) out.promptsListChanged = true;
  if (filter.resourcesListChanged === true) out.resourcesListChanged = true;
  const uris = [...new Set(filter.resourceSubscriptions ?? [])];
  if (uris.length > 0) out.resourceSubscriptions = uris;
  return out;
}

function sameFilter(a: SubscriptionFilter, b: SubscriptionFilter): boolean {
  const ua = a.resourceSubscriptions ?? [];
  const ub = b.resourceSubscriptions ?? [];
  return a.toolsListChanged === b.toolsListChanged && a.promptsListChanged === b.promptsListChanged &&
    a.resourcesListChanged === b.resourcesListChanged && ua.length === ub.length &&
    ua.every((uri, i) => uri === ub[i]);
}

/**
 * The params of a `subscriptions/listen` request (before the `_meta` stamp): only the types asked for,
 * with `false` flags and an empty URI list left out and duplicate URIs removed (first one kept).
 *
 * @example Usage
 * ```ts
 * import { listenParams } from "./subscriptions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(listenParams({ toolsListChanged: true, promptsListChanged: false, resourceSubscriptions: ["file:///a"] }), {
 *   notifications: { toolsListChanged: true, resourceSubscriptions: ["file:///a"] },
 * });
 * ```
 *
 * @param filter The notification types wanted.
 * @returns `{ notifications: filter }`.
 */
export function listenParams(filter: SubscriptionFilter): { notifications: SubscriptionFilter } {
  return { notifications: normalise(filter) };
}

/**
 * What a legacy host has asked to hear about, turned into the filter for `subscriptions/listen`. List-changed
 * interest follows the server's capabilities (a legacy host never subscribes to those, it just receives them
 * when the server declares `listChanged`); resource updates follow the host's `resources/subscribe` and
 * `resources/unsubscribe` requests. Every change reports whether the filter changed.
 *
 * @example Usage
 * ```ts
 * import { SubscriptionState } from "./subscriptions.ts";
 * import assert from "node:assert/strict";
 *
 * const state = new SubscriptionState();
 * assert.deepEqual(state.setCapabilities({ tools: { listChanged: true } }), {
 *   filter: { toolsListChanged: true },
 *   changed: true,
 * });
 * assert.equal(state.subscribe("file:///a").changed, true);
 * assert.equal(state.subscribe("file:///a").changed, false);
 * assert.deepEqual(state.unsubscribe("file:///a").filter, { toolsListChanged: true });
 * ```
 */
export class SubscriptionState {
  #tools = false;
  #prompts = false;
  #resources = false;
  #uris: string[] = [];
  #last: SubscriptionFilter = {};

  /**
   * The filter for the current state.
   *
   * @example Usage
   * ```ts
   * import { SubscriptionState } from "./subscriptions.ts";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new SubscriptionState().filter(), {});
   * ```
   *
   * @returns A new filter object.
   */
  filter(): SubscriptionFilter {
    return normalise({
      toolsListChanged: this.#tools,
      promptsListChanged: this.#prompts,
      resourcesListChanged: this.#resources,
      resourceSubscriptions: this.#uris,
    });
  }

  /**
   * Whether there is nothing to listen for (then no `subscriptions/listen` stream is needed).
   *
   * @example Usage
   * ```ts
   * import { SubscriptionState } from "./subscriptions.ts";
   * import assert from "node:assert/strict";
   *
   * const state = new SubscriptionState();
   * assert.equal(state.isEmpty(), true);
   * state.subscribe("file:///a");
   * assert.equal(state.isEmpty(), false);
   * ```
   *
   * @returns `true` when the filter is empty.
   */
  isEmpty(): boolean {
    return Object.keys(this.filter()).length === 0;
  }

  /**
   * Takes the list-changed interest from the server's capabilities (`tools`, `prompts` and `resources`
   * with `listChanged: true`).
   *
   * @example Usage
   * ```ts
   * import { SubscriptionState } from "./subscriptions.ts";
   * import assert from "node:assert/strict";
   *
   * const change = new SubscriptionState().setCapabilities({ prompts: { listChanged: true }, resources: {} });
   * assert.deepEqual(change.filter, { promptsListChanged: true });
   * ```
   *
   * @param capabilities The server's capabilities (from `server/discover`).
   * @returns The new filter and whether it changed.
   */
  setCapabilities(capabilities: Record<string, unknown> | undefined): FilterChange {
    const listChanged = (name: string): boolean => {
      const entry = capabilities?.[name];
      return isRecord(entry) && entry.listChanged === true;
    };
    this.#tools = listChanged("tools");
    this.#prompts = listChanged("prompts");
    this.#resources = listChanged("resources");
    return this.#change();
  }

  /**
   * Records a host's `resources/subscribe` for a URI.
   *
   * @example Usage
   * ```ts
   * import { SubscriptionState } from "./subscriptions.ts";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new SubscriptionState().subscribe("file:///a").filter, { resourceSubscriptions: ["file:///a"] });
   * ```
   *
   * @param uri The resource URI.
   * @returns The new filter and whether it changed (not when the URI was already subscribed).
   */
  subscribe(uri: string): FilterChange {
    if (!this.#uris.includes(uri)) this.#uris = [...this.#uris, uri];
    return this.#change();
  }

  /**
   * Records a host's `resources/unsubscribe` for a URI.
   *
   * @example Usage
   * ```ts
   * import { SubscriptionState } from "./subscriptions.ts";
   * import assert from "node:assert/strict";
   *
   * const state = new SubscriptionState();
   * state.subscribe("file:///a");
   * assert.deepEqual(state.unsubscribe("file:///a"), { filter: {}, changed: true });
   * assert.equal(state.unsubscribe("file:///a").changed, false);
   * ```
   *
   * @param uri The resource URI.
   * @returns The new filter and whether it changed (not when the URI was not subscribed).
   */
  unsubscribe(uri: string): FilterChange {
    this.#uris = this.#uris.filter((u) => u !== uri);
    return this.#change();
  }

  #change(): FilterChange {
    const filter = this.filter();
    const changed = !sameFilter(filter, this.#last);
    this.#last = filter;
    return { filter: this.filter(), changed };
  }
}

/**
 * Whether a notification is the acknowledgement of a `subscriptions/listen` request
 * (`notifications/subscriptions/acknowledged` with a `notifications` filter).
 *
 * @example Usage
 * ```ts
 * import { isAcknowledgement } from "./subscriptions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isAcknowledgement({
 *   jsonrpc: "2.0",
 *   method: "notifications/subscriptions/acknowledged",
 *   params: { _meta: { "io.modelcontextprotocol/subscriptionId": 1 }, notifications: { toolsListChanged: true } },
 * }), true);
 * assert.equal(isAcknowledgement({ jsonrpc: "2.0", method: "notifications/tools/list_changed" }), false);
 * ```
 *
 * @param notification A parsed JSON-RPC notification.
 * @returns `true` for an acknowledgement.
 */
export function isAcknowledgement(notification: Record<string, unknown>): boolean {
  const params = notification.params;
  return notification.method === ACKNOWLEDGED_METHOD && isRecord(params) && isRecord(params.notifications);
}

/**
 * The filter an acknowledgement reports: the subset of the requested types the server agreed to honour.
 *
 * @example Usage
 * ```ts
 * import { acknowledgedFilter } from "./subscriptions.ts";
 * import assert from "node:assert/strict";
 *
 * const ack = { jsonrpc: "2.0", method: "notifications/subscriptions/acknowledged", params: { notifications: { toolsListChanged: true } } };
 * assert.deepEqual(acknowledgedFilter(ack), { toolsListChanged: true });
 * ```
 *
 * @param notification A parsed JSON-RPC notification.
 * @returns The acknowledged filter, or `undefined` when the notification is not an acknowledgement.
 */
export function acknowledgedFilter(notification: Record<string, unknown>): SubscriptionFilter | undefined {
  if (!isAcknowledgement(notification)) return undefined;
  const raw = (notification.params as Record<string, unknown>).notifications as Record<string, unknown>;
  const uris = Array.isArray(raw.resourceSubscriptions)
    ? raw.resourceSubscriptions.filter((u): u is string => typeof u === "string")
    : [];
  return normalise({
    toolsListChanged: raw.toolsListChanged === true,
    promptsListChanged: raw.promptsListChanged === true,
    resourcesListChanged: raw.resourcesListChanged === true,
    resourceSubscriptions: uris,
  });
}

/**
 * The part of a requested filter the acknowledgement left out (the types the server will not deliver), so
 * the caller can compare, as the spec suggests, and log or handle them.
 *
 * @example Usage
 * ```ts
 * import { unacknowledged } from "./subscriptions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   unacknowledged({ toolsListChanged: true, promptsListChanged: true }, { toolsListChanged: true }),
 *   { promptsListChanged: true },
 * );
 * ```
 *
 * @param requested The filter sent.
 * @param acknowledged The filter acknowledged.
 * @returns The requested types not acknowledged (empty when all were).
 */
export function unacknowledged(
  requested: SubscriptionFilter,
  acknowledged: SubscriptionFilter,
): SubscriptionFilter {
  const ack = normalise(acknowledged);
  const acked = new Set(ack.resourceSubscriptions ?? []);
  const want = normalise(requested);
  return normalise({
    toolsListChanged: want.toolsListChanged === true && ack.toolsListChanged !== true,
    promptsListChanged: want.promptsListChanged === true && ack.promptsListChanged !== true,
    resourcesListChanged: want.resourcesListChanged === true && ack.resourcesListChanged !== true,
    resourceSubscriptions: (want.resourceSubscriptions ?? []).filter((uri) => !acked.has(uri)),
  });
}

/**
 * The subscription id (the JSON-RPC id of the `subscriptions/listen` request) a message carries in
 * `_meta["io.modelcontextprotocol/subscriptionId"]`: in `params._meta` of a notification, or in
 * `result._meta` of the response that ends a subscription gracefully.
 *
 * @example Usage
 * ```ts
 * import { subscriptionIdOf } from "./subscriptions.ts";
 * import assert from "node:assert/strict";
 *
 * const note = { jsonrpc: "2.0", method: "notifications/resources/updated", params: { _meta: { "io.modelcontextprotocol/subscriptionId": 7 }, uri: "file:///a" } };
 * assert.equal(subscriptionIdOf(note), 7);
 * assert.equal(subscriptionIdOf({ jsonrpc: "2.0", method: "notifications/progress", params: {} }), undefined);
 * ```
 *
 * @param message A parsed JSON-RPC notification or response.
 * @returns The id (a string or a number), or `undefined` when absent or not a valid id.
 */
export function subscriptionIdOf(message: Record<string, unknown>): string | number | undefined {
  const holder = isRecord(message.params)
    ? message.params
    : isRecord(message.result)
    ? message.result
    : undefined;
  const meta = holder?._meta;
  if (!isRecord(meta)) return undefined;
  const id = meta[SUBSCRIPTION_ID_META_KEY];
  if (typeof id === "string") return id;
  if (typeof id === "number" && Number.isFinite(id)) return id;
  return undefined;
}
