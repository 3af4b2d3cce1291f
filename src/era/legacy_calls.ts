/**
 * The host requests a 2026-07-28 host has running on a 2025-era server, and how a server-to-client
 * request becomes an `input_required` result (MRTR, 2026-07-28 basic/patterns/mrtr).
 *
 * Each host request is a call with an id of the bridge's own toward the server, so that one call can
 * outlive the host request that started it: when the server asks the host something (sampling,
 * elicitation, roots) while running a `tools/call`, `prompts/get` or `resources/read`, the host gets an
 * `input_required` result and its request is over; the server's request stays open. The host's retry (a
 * new request, with `inputResponses` and the `requestState` the bridge issued) takes the call over: its
 * answers go to the server as responses, and the server's final result goes to the retry.
 *
 * Pure state: no I/O, no timers. The session does the sending.
 *
 * @module
 */

import { idKey, type JsonRpcId } from "../jsonrpc/message.ts";

type Json = Record<string, unknown>;

/** The host requests a server may answer with `input_required` (2026-07-28 mrtr § Supported Requests). */
export const INPUT_CAPABLE_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
]);

/** The server-to-client requests that can travel inside an `input_required` result. */
export const INPUT_METHODS: ReadonlySet<string> = new Set([
  "elicitation/create",
  "sampling/createMessage",
  "roots/list",
]);

/** A server-to-client request waiting for the host's answer. */
export interface PendingInput {
  /** The server's JSON-RPC id of the request. */
  serverRequestId: JsonRpcId;
  /** Its method. */
  method: string;
  /** Its params. */
  params: Json | undefined;
  /** The size of its JSON text. */
  chars: number;
}

/** One host request running on the server. */
export interface Call {
  /** The id the bridge gave the request toward the server. */
  readonly serverId: number;
  /** The method. */
  readonly method: string;
  /** The host request now waiting for this call; `undefined` while the host holds an `input_required`. */
  hostId: JsonRpcId | undefined;
  /**
   * The progress token of that host request, if it asked for progress. The server gets the call's
   * `serverId` as its token instead, so that tokens never collide across rounds.
   */
  progressToken: JsonRpcId | undefined;
  /** The log level that host request asked for, if any. */
  logLevel: string | undefined;
  /** The client capabilities that host request declared (2026-07-28 declares them per request). */
  capabilities: Json;
  /** What the request is about (the tool or prompt name, the resource URI): a retry must name the same. */
  readonly subject: string | undefined;
  /** The size of the server's requests waiting for the host (their JSON text, in characters). */
  inputChars: number;
  /** The server's requests waiting for the host, by input key. */
  readonly inputs: Map<string, PendingInput>;
  /** The `requestState` the host must send back to continue this call. */
  requestState: string | undefined;
  /** The server's response (or the failure) that came while the host held an `input_required`, for the retry. */
  final: Json | Error | undefined;
}

/** What the host's request says about itself. */
export interface HostRequestInfo {
  /** `params._meta.progressToken`. */
  progressToken?: JsonRpcId;
  /** `params._meta["io.modelcontextprotocol/logLevel"]`. */
  logLevel?: string;
  /** `params._meta["io.modelcontextprotocol/clientCapabilities"]`. */
  capabilities?: Json;
  /** The tool or prompt name, or the resource URI (see {@linkcode requestSubject}). */
  subject?: string;
}

/** The content of an `input_required` result. */
export interface InputRequired {
  /** The server's requests, by key. */
  inputRequests: Record<string, { method: string; params?: Json }>;
  /** The state the retry must echo. */
  requestState: string;
}

/**
 * The calls, indexed by the bridge's server-side id, the host's current id, the `requestState` and the
 * server-side progress token.
 *
 * @example Usage
 * ```ts
 * import { CallTable } from "./legacy_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const calls = new CallTable();
 * const call = calls.start("h1", "tools/call", {});
 * const key = calls.addInput(call, 7, "roots/list", undefined);
 * const asked = calls.suspend(call);
 * assert.deepEqual(asked.inputRequests, { [key]: { method: "roots/list" } });
 * assert.equal(calls.byHostId("h1"), undefined);
 *
 * const retry = calls.byRequestState(asked.requestState)!;
 * calls.resume(retry, "h2", {});
 * assert.deepEqual(calls.takeAnswers(retry, { [key]: { roots: [] } }), [{ serverRequestId: 7, result: { roots: [] } }]);
 * assert.equal(calls.byHostId("h2"), call);
 * ```
 */
export class CallTable {
  #seq = 0;
  #inputSeq = 0;
  #byServer = new Map<number, Call>();
  #byHost = new Map<string, Call>();
  #byState = new Map<string, Call>();

  /** How many calls are open. */
  get size(): number {
    return this.#byServer.size;
  }

  /**
   * Starts a call for a host request.
   *
   * @param hostId The host's request id.
   * @param method The method.
   * @param info The request's progress token and log level.
   * @returns The call (its `serverId` is the id to send to the server).
   */
  start(hostId: JsonRpcId, method: string, info: HostRequestInfo): Call {
    const call: Call = {
      serverId: ++this.#seq,
      method,
      hostId,
      progressToken: info.progressToken,
      logLevel: info.logLevel,
      capabilities: info.capabilities ?? {},
      subject: info.subject,
      inputChars: 0,
      inputs: new Map(),
      requestState: undefined,
      final: undefined,
    };
    this.#byServer.set(call.serverId, call);
    this.#byHost.set(idKey(hostId), call);
    return call;
  }

  /**
   * The call a server response or related message belongs to.
   *
   * @param serverId The id toward the server.
   * @returns The call, if open.
   */
  byServerId(serverId: JsonRpcId | null | undefined): Call | undefined {
    return typeof serverId === "number" ? this.#byServer.get(serverId) : undefined;
  }

  /**
   * The call a host request id is waiting for.
   *
   * @param hostId The host's id.
   * @returns The call, if the host is waiting for it.
   */
  byHostId(hostId: JsonRpcId): Call | undefined {
    return this.#byHost.get(idKey(hostId));
  }

  /**
   * The call a `requestState` continues.
   *
   * @param state The state the host sent back.
   * @returns The call, if the state is current.
   */
  byRequestState(state: string): Call | undefined {
    return this.#byState.get(state);
  }

  /** The calls a host request is waiting for now. */
  running(): Call[] {
    return [...this.#byHost.values()];
  }

  /**
   * Records a server-to-client request for the host.
   *
   * @param call The call it belongs to.
   * @param serverRequestId The server's id of the request.
   * @param method Its method.
   * @param params Its params.
   * @param chars The size of the request's JSON text (counted in {@linkcode Call.inputChars}).
   * @returns The input key it gets in `inputRequests`.
   */
  addInput(
    call: Call,
    serverRequestId: JsonRpcId,
    method: string,
    params: Json | undefined,
    chars = 0,
  ): string {
    const key = `input-${++this.#inputSeq}`;
    call.inputs.set(key, { serverRequestId, method, params, chars });
    call.inputChars += chars;
    return key;
  }

  /**
   * Forgets a server request the server itself cancelled.
   *
   * @param serverRequestId The server's id of the request.
   * @returns The call it belonged to, if any.
   */
  dropInput(serverRequestId: JsonRpcId): Call | undefined {
    for (const call of this.#byServer.values()) {
      for (const [key, input] of call.inputs) {
        if (input.serverRequestId === serverRequestId) {
          call.inputs.delete(key);
          call.inputChars -= input.chars;
          return call;
        }
      }
    }
    return undefined;
  }

  /**
   * Hands the call's open server requests to the host: the host request is over (it gets the returned
   * `input_required` result), and the call waits for a retry with the new `requestState`.
   *
   * @param call The call.
   * @returns The `input_required` content.
   */
  suspend(call: Call): InputRequired {
    if (call.hostId !== undefined && this.#byHost.get(idKey(call.hostId)) === call) {
      this.#byHost.delete(idKey(call.hostId));
    }
    call.hostId = undefined;
    if (call.requestState !== undefined) this.#byState.delete(call.requestState);
    call.requestState = crypto.randomUUID();
    this.#byState.set(call.requestState, call);
    const inputRequests: InputRequired["inputRequests"] = {};
    for (const [key, input] of call.inputs) {
      inputRequests[key] = input.params === undefined
        ? { method: input.method }
        : { method: input.method, params: input.params };
    }
    return { inputRequests, requestState: call.requestState };
  }

  /**
   * A host retry takes the call over (its `requestState` is used up).
   *
   * @param call The call its `requestState` named.
   * @param hostId The retry's id.
   * @param info The retry's progress token and log level.
   */
  resume(call: Call, hostId: JsonRpcId, info: HostRequestInfo): void {
    if (call.requestState !== undefined) this.#byState.delete(call.requestState);
    call.requestState = undefined;
    call.hostId = hostId;
    call.progressToken = info.progressToken;
    call.logLevel = info.logLevel;
    call.capabilities = info.capabilities ?? {};
    this.#byHost.set(idKey(hostId), call);
  }

  /**
   * Takes the host's answers to the call's open server requests; the ones answered are no longer open.
   * Answers under unknown keys are ignored, as are answers that are not objects.
   *
   * @param call The call.
   * @param inputResponses The retry's `inputResponses`.
   * @returns The responses to send to the server.
   */
  takeAnswers(call: Call, inputResponses: unknown): { serverRequestId: JsonRpcId; result: Json }[] {
    const answers: { serverRequestId: JsonRpcId; result: Json }[] = [];
    if (typeof inputResponses !== "object" || inputResponses === null) return answers;
    for (const [key, result] of Object.entries(inputResponses as Json)) {
      const input = call.inputs.get(key);
      if (!input || typeof result !== "object" || result === null || Array.isArray(result)) continue;
      call.inputs.delete(key);
      call.inputChars -= input.chars;
      answers.push({ serverRequestId: input.serverRequestId, result: result as Json });
    }
    return answers;
  }

  /**
   * Ends a call (its final answer was given, or it was cancelled).
   *
   * @param call The call.
   */
  finish(call: Call): void {
    this.#byServer.delete(call.serverId);
    if (call.hostId !== undefined && this.#byHost.get(idKey(call.hostId)) === call) {
      this.#byHost.delete(idKey(call.hostId));
    }
    if (call.requestState !== undefined) this.#byState.delete(call.requestState);
    call.requestState = undefined;
  }

  /** Every open call. */
  all(): Call[] {
    return [...this.#byServer.values()];
  }
}

/** The `_meta` keys that carry 2026-07-28 per-request protocol fields: a 2025-era server gets none. */
const PROTOCOL_META_KEYS: readonly string[] = [
  "io.modelcontextprotocol/protocolVersion",
  "io.modelcontextprotocol/clientCapabilities",
  "io.modelcontextprotocol/clientInfo",
  "io.modelcontextprotocol/logLevel",
];

/**
 * The text of a host request as the 2025-era server gets it: the bridge's id for the call, and params
 * without what only a 2026-07-28 server understands (the per-request protocol fields in `_meta`, which
 * the bridge turned into `initialize` and `logging/setLevel`, and `inputResponses`/`requestState`, which
 * the bridge answers itself). A `progressToken` becomes the call's id too (the bridge maps progress back
 * to whichever host request holds the call); the host's other `_meta` members are kept.
 *
 * @example Usage
 * ```ts
 * import { legacyRequest } from "./legacy_calls.ts";
 * import assert from "node:assert/strict";
 *
 * const text = legacyRequest({
 *   jsonrpc: "2.0",
 *   id: "h1",
 *   method: "tools/call",
 *   params: { name: "echo", _meta: { progressToken: "p", "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
 * }, 4);
 * assert.deepEqual(JSON.parse(text), {
 *   jsonrpc: "2.0",
 *   id: 4,
 *   method: "tools/call",
 *   params: { name: "echo", _meta: { progressToken: 4 } },
 * });
 * ```
 *
 * @param request The host's request.
 * @param serverId The call's id toward the server.
 * @returns The request text to send.
 */
export function legacyRequest(request: Json, serverId: number): string {
  const raw = request.params;
  const out: Json = { jsonrpc: "2.0", id: serverId, method: request.method };
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const params: Json = { ...(raw as Json) };
    delete params.inputResponses;
    delete params.requestState;
    const meta = params._meta;
    if (typeof meta === "object" && meta !== null && !Array.isArray(meta)) {
      const kept: Json = { ...(meta as Json) };
      for (const key of PROTOCOL_META_KEYS) delete kept[key];
      if (kept.progressToken !== undefined) kept.progressToken = serverId;
      if (Object.keys(kept).length > 0) params._meta = kept;
      else delete params._meta;
    }
    out.params = params;
  }
  return JSON.stringify(out);
}

/**
 * The client capability a server-to-client request needs that the host did not declare, if any: a
 * 2026-07-28 server must not ask for input the client has not declared support for (mrtr § Server
 * Requirements), and the bridge holds a 2025-era server to the same rule.
 *
 * @example Usage
 * ```ts
 * import { missingCapability } from "./legacy_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(missingCapability("roots/list", undefined, { roots: {} }), undefined);
 * assert.equal(missingCapability("sampling/createMessage", {}, { roots: {} }), "sampling");
 * assert.equal(missingCapability("elicitation/create", { mode: "url" }, { elicitation: { form: {} } }), "elicitation.url");
 * ```
 *
 * @param method The server request's method.
 * @param params Its params.
 * @param capabilities The host's capabilities.
 * @returns The missing capability (`sampling`, `roots`, `elicitation`, `elicitation.url`), or `undefined`.
 */
export function missingCapability(method: string, params: unknown, capabilities: Json): string | undefined {
  const isObject = (value: unknown): value is Json =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  switch (method) {
    case "sampling/createMessage":
      return isObject(capabilities.sampling) ? undefined : "sampling";
    case "roots/list":
      return isObject(capabilities.roots) ? undefined : "roots";
    case "elicitation/create": {
      const elicitation = capabilities.elicitation;
      if (!isObject(elicitation)) return "elicitation";
      const mode = isObject(params) ? params.mode : undefined;
      // An empty elicitation capability means form mode (2025-11-25 client/elicitation § Capabilities).
      if (mode === "url" && !isObject(elicitation.url)) return "elicitation.url";
      if (mode !== "url" && Object.keys(elicitation).length > 0 && !isObject(elicitation.form)) {
        return "elicitation.form";
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * What a request that may get `input_required` is about: the tool or prompt `name`, or the resource `uri`.
 * A retry carrying a `requestState` must be about the same thing as the call it continues.
 *
 * @example Usage
 * ```ts
 * import { requestSubject } from "./legacy_calls.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(requestSubject("tools/call", { name: "deploy" }), "deploy");
 * assert.equal(requestSubject("resources/read", { uri: "file:///a" }), "file:///a");
 * assert.equal(requestSubject("tools/list", {}), undefined);
 * ```
 *
 * @param method The method.
 * @param params The params.
 * @returns The subject, or `undefined`.
 */
export function requestSubject(method: string, params: unknown): string | undefined {
  if (typeof params !== "object" || params === null) return undefined;
  const value = method === "resources/read" ? (params as Json).uri : (params as Json).name;
  return INPUT_CAPABLE_METHODS.has(method) && typeof value === "string" ? value : undefined;
}
