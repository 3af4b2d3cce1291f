/**
 * `subscriptions/listen` served from a 2025-era server: which listen streams a 2026-07-28 host holds
 * open, what each was granted, which resources the server must be subscribed to (`resources/subscribe`,
 * counted across streams), and which streams a server notification goes to. Pure state: the session
 * sends the requests and notifications it returns.
 *
 * @module
 */

import { idKey, type JsonRpcId } from "../jsonrpc/message.ts";
import type { SubscriptionFilter } from "./subscriptions.ts";

type Json = Record<string, unknown>;

/** The list-changed notifications, by the filter flag that asks for them. */
const LIST_CHANGED: readonly [keyof SubscriptionFilter, string, "tools" | "prompts" | "resources"][] = [
  ["toolsListChanged", "notifications/tools/list_changed", "tools"],
  ["promptsListChanged", "notifications/prompts/list_changed", "prompts"],
  ["resourcesListChanged", "notifications/resources/list_changed", "resources"],
];

/** The notification that carries a resource update. */
export const RESOURCE_UPDATED = "notifications/resources/updated";

/** The most URIs one listen stream may ask for (a bound on what the bridge subscribes to). */
export const MAX_LISTEN_URIS = 1000;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads the `notifications` filter of a `subscriptions/listen` request.
 *
 * @example Usage
 * ```ts
 * import { parseListenFilter } from "./legacy_listens.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseListenFilter({ notifications: { toolsListChanged: true, resourceSubscriptions: ["a", "a"] } }), {
 *   toolsListChanged: true,
 *   resourceSubscriptions: ["a"],
 * });
 * assert.throws(() => parseListenFilter({}), /notifications/);
 * ```
 *
 * @param params The request's params.
 * @returns The filter: `true` flags and distinct URIs only.
 * @throws {TypeError} When `notifications` is missing or malformed, or asks for too many URIs.
 */
export function parseListenFilter(params: unknown): SubscriptionFilter {
  const raw = isRecord(params) ? params.notifications : undefined;
  if (!isRecord(raw)) {
    throw new TypeError("Invalid subscriptions/listen: params.notifications is not an object");
  }
  const filter: SubscriptionFilter = {};
  for (const [flag] of LIST_CHANGED) {
    const value = raw[flag];
    if (value !== undefined && typeof value !== "boolean") {
      throw new TypeError(`Invalid subscriptions/listen: notifications.${flag} is not a boolean`);
    }
    if (value === true) (filter as Record<string, unknown>)[flag] = true;
  }
  const uris = raw.resourceSubscriptions;
  if (uris !== undefined) {
    if (!Array.isArray(uris) || !uris.every((uri) => typeof uri === "string")) {
      throw new TypeError(
        "Invalid subscriptions/listen: notifications.resourceSubscriptions is not a list of URIs",
      );
    }
    const distinct = [...new Set(uris as string[])];
    if (distinct.length > MAX_LISTEN_URIS) {
      throw new TypeError(
        `Invalid subscriptions/listen: ${distinct.length} resource subscriptions, more than ${MAX_LISTEN_URIS}`,
      );
    }
    if (distinct.length > 0) filter.resourceSubscriptions = distinct;
  }
  return filter;
}

/**
 * What a 2025-era server can honour of a filter, from its capabilities: list-changed notifications the
 * server declares (`listChanged: true`), and resource subscriptions when it declares `resources.subscribe`.
 *
 * @example Usage
 * ```ts
 * import { grantable } from "./legacy_listens.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   grantable({ toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ["file:///a"] }, {
 *     tools: { listChanged: true },
 *     resources: { subscribe: true },
 *   }),
 *   { toolsListChanged: true, resourceSubscriptions: ["file:///a"] },
 * );
 * ```
 *
 * @param filter The filter asked for.
 * @param capabilities The server's capabilities.
 * @returns The subset the server supports.
 */
export function grantable(filter: SubscriptionFilter, capabilities: Json): SubscriptionFilter {
  const out: SubscriptionFilter = {};
  for (const [flag, , capability] of LIST_CHANGED) {
    const declared = capabilities[capability];
    if (filter[flag] === true && isRecord(declared) && declared.listChanged === true) {
      (out as Record<string, unknown>)[flag] = true;
    }
  }
  const resources = capabilities.resources;
  if (filter.resourceSubscriptions && isRecord(resources) && resources.subscribe === true) {
    out.resourceSubscriptions = [...filter.resourceSubscriptions];
  }
  return out;
}

/** One open listen stream. */
interface Listen {
  id: JsonRpcId;
  granted: SubscriptionFilter;
}

/**
 * The open listen streams and the resource subscriptions they need from the server.
 *
 * @example Usage
 * ```ts
 * import { ListenRegistry } from "./legacy_listens.ts";
 * import assert from "node:assert/strict";
 *
 * const listens = new ListenRegistry();
 * assert.deepEqual(listens.urisToSubscribe({ resourceSubscriptions: ["file:///a"] }), ["file:///a"]);
 * listens.open(1, { toolsListChanged: true, resourceSubscriptions: ["file:///a"] });
 * assert.deepEqual(listens.recipients("notifications/tools/list_changed", {}), [1]);
 * assert.deepEqual(listens.recipients("notifications/resources/updated", { uri: "file:///a" }), [1]);
 * assert.deepEqual(listens.close(1), ["file:///a"]);
 * ```
 */
export class ListenRegistry {
  #listens = new Map<string, Listen>();
  #uriCount = new Map<string, number>();

  /** How many listen streams are open. */
  get size(): number {
    return this.#listens.size;
  }

  /** Every URI the server must be subscribed to now (after a new session, subscribe to all again). */
  get subscribedUris(): string[] {
    return [...this.#uriCount.keys()];
  }

  /**
   * The URIs of a filter that no open stream has subscribed to yet: the server must be asked for them.
   *
   * @param granted The filter about to be opened.
   * @returns The URIs to subscribe to.
   */
  urisToSubscribe(granted: SubscriptionFilter): string[] {
    return (granted.resourceSubscriptions ?? []).filter((uri) => !this.#uriCount.has(uri));
  }

  /**
   * Whether a listen stream with this id is open.
   *
   * @param id The `subscriptions/listen` request id.
   * @returns `true` when open.
   */
  has(id: JsonRpcId): boolean {
    return this.#listens.has(idKey(id));
  }

  /**
   * Opens a stream with what it was granted (replacing one with the same id).
   *
   * @param id The `subscriptions/listen` request id (the subscription id).
   * @param granted What the acknowledgement granted.
   */
  open(id: JsonRpcId, granted: SubscriptionFilter): void {
    this.close(id);
    this.#listens.set(idKey(id), { id, granted });
    for (const uri of granted.resourceSubscriptions ?? []) {
      this.#uriCount.set(uri, (this.#uriCount.get(uri) ?? 0) + 1);
    }
  }

  /**
   * Closes a stream.
   *
   * @param id The `subscriptions/listen` request id.
   * @returns The URIs no open stream needs any more (the server may be unsubscribed from them).
   */
  close(id: JsonRpcId): string[] {
    const listen = this.#listens.get(idKey(id));
    if (!listen) return [];
    this.#listens.delete(idKey(id));
    const released: string[] = [];
    for (const uri of listen.granted.resourceSubscriptions ?? []) {
      const left = (this.#uriCount.get(uri) ?? 1) - 1;
      if (left > 0) this.#uriCount.set(uri, left);
      else {
        this.#uriCount.delete(uri);
        released.push(uri);
      }
    }
    return released;
  }

  /**
   * The streams a server notification goes to: list-changed notifications to the streams that asked for
   * them, resource updates to the streams subscribed to that URI, anything else to none.
   *
   * @param method The notification's method.
   * @param params The notification's params.
   * @returns The subscription ids, in the order the streams were opened.
   */
  recipients(method: string, params: unknown): JsonRpcId[] {
    const ids: JsonRpcId[] = [];
    if (method === RESOURCE_UPDATED) {
      const uri = isRecord(params) ? params.uri : undefined;
      if (typeof uri !== "string") return ids;
      for (const listen of this.#listens.values()) {
        if (listen.granted.resourceSubscriptions?.includes(uri)) ids.push(listen.id);
      }
      return ids;
    }
    const flag = LIST_CHANGED.find(([, name]) => name === method)?.[0];
    if (flag === undefined) return ids;
    for (const listen of this.#listens.values()) {
      if (listen.granted[flag] === true) ids.push(listen.id);
    }
    return ids;
  }
}
