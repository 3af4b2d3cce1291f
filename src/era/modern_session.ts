/**
 * A 2025-era host talking to a 2026-07-28 server. This transport answers the host's `initialize`
 * from `server/discover`, stamps every request with `_meta` and the `Mcp-*` headers, answers what the
 * modern era removed (`ping`, `logging/setLevel`, subscriptions) locally, unpacks multi-round-trip
 * `input_required` results into requests to the host, and turns `subscriptions/listen` streams into
 * the notifications a legacy host expects. A host that already speaks 2026-07-28 is passed through,
 * with only the HTTP headers added.
 *
 * Once the server has answered, a server that goes away is waited for within the reconnection bounds
 * (`_outage.ts`): requests are sent again by the rules of `modern_resend.ts`, and the listen stream
 * comes back by itself, so that notifications after a restart still reach the host.
 *
 * @module
 */

import {
  type Envelope,
  ErrorCode,
  errorResponse,
  idKey,
  type JsonRpcId,
  MODERN_ERROR_CODES,
  parseMessage,
} from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { INTERNAL_ID_PREFIX } from "../jsonrpc/internal_id.ts";
import { Pagination } from "../jsonrpc/pagination.ts";
import { connectDeadline, type Deadline } from "../transport/exchange.ts";
import { excerpt } from "../log/excerpt.ts";
import { sleep } from "../transport/_http.ts";
import { Outage } from "../transport/_outage.ts";
import { type ModernAnswer, ModernHttpClient, type TakeBytes } from "../transport/modern_http.ts";
import { modernResend } from "../transport/modern_resend.ts";
import { NO_RECONNECT, type ReconnectSettings } from "../transport/reconnect.ts";
import {
  EraMismatchError,
  type MessageSink,
  MODERN_KIND,
  type RemoteTransport,
  type ResponseBytesSink,
  TransportError,
} from "../transport/transport.ts";
import { classifyModernProbe } from "./detect.ts";
import { PROTOCOL_VERSION_META_KEY, stampRequest } from "./meta.ts";
import { parseInputRequired, resultType, retryParams } from "./mrtr.ts";
import { standardHeaders } from "./request_headers.ts";
import { listenParams, SubscriptionState } from "./subscriptions.ts";
import { LEGACY_VERSIONS, MODERN_VERSION, pickVersion } from "./versions.ts";
import { filterToolsResult, paramHeaders, type ToolHeaderPlan } from "./x_mcp_header.ts";

const HEADER_MISMATCH = ErrorCode.HeaderMismatch;
const UNSUPPORTED_VERSION = ErrorCode.UnsupportedProtocolVersion;
/** The most input rounds one request may take. */
const MAX_INPUT_ROUNDS = 10;
/** The pause before listening again after a stream ended (doubled for each one that brought nothing). */
const LISTEN_PAUSE_MS = 500;
/** The most times a request whose stream was cut is sent again. */
const MAX_REISSUES = 2;

type Json = Record<string, unknown>;

/** Whether an HTTP error answer is one a 2026-07-28 server sends (header, capability, version, method). */
function isModernError(status: number, code: number | undefined): boolean {
  return MODERN_ERROR_CODES.includes(code as number) || (status === 404 && code === ErrorCode.MethodNotFound);
}

/** Options for {@linkcode ModernSession}. */
export interface ModernSessionOptions {
  /** The HTTP side. */
  client: ModernHttpClient;
  /** Receives every message for the host. */
  sink: MessageSink;
  /**
   * Receives the large complete results to a 2025-era host's requests as the bytes they came in, instead of
   * `sink` (default: none, every message goes to `sink` as text).
   */
  sinkBytes?: ResponseBytesSink;
  /** The logger. */
  log: Logger;
  /** The bridge's own identity, used when the host gives none (a modern host's own is kept). */
  clientInfo: { name: string; version: string };
  /** How long the era probe (`server/discover`) may take. */
  connectTimeoutMs?: number;
  /** How to wait for a server that went away after it answered once (default: no reconnection). */
  reconnect?: ReconnectSettings;
}

interface InputWaiter {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/** The transport toward a 2026-07-28 server. */
export class ModernSession implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = MODERN_KIND;
  #o: ModernSessionOptions;
  #version = MODERN_VERSION;
  #discovered: Json | undefined;
  #hostCapabilities: Json = {};
  #hostInfo: { name: string; version: string } | undefined;
  #logLevel: string | undefined;
  #plans = new Map<string, ToolHeaderPlan>();
  #inputs = new Map<string, InputWaiter>();
  #seq = 0;
  #subscriptions = new SubscriptionState();
  #listen: AbortController | undefined;
  /** The listen stream stopped after an outage outlasted the bounds: opened again when a request gets through. */
  #listenGaveUp = false;
  /** The server's outages, shared by every request and the listen stream. */
  #outage: Outage;
  /** Ends every wait for the server when the bridge stops. */
  #abort = new AbortController();
  #closed = false;
  /** What a request's stream carries before its response goes to the host (one function, not one a request). */
  #relay = (text: string, envelope: Envelope): Promise<void> => this.#o.sink(text, envelope);

  /**
   * Creates the session; nothing is sent until the host's first message.
   *
   * @example Usage
   * ```ts ignore
   * import { ModernSession } from "./modern_session.ts";
   * const session = new ModernSession({ client, sink, log, clientInfo: { name: "mcp-bridge", version: "0.1.0" } });
   * ```
   *
   * @param options The HTTP client, the sink and the logger.
   */
  constructor(options: ModernSessionOptions) {
    this.#o = options;
    this.#outage = new Outage({
      host: options.client.url.host,
      settings: options.reconnect ?? NO_RECONNECT,
      log: options.log,
    });
  }

  /**
   * Asks the server for `server/discover`: the era probe. Resolves with the result when the server
   * speaks 2026-07-28; rejects with a {@linkcode TransportError} otherwise.
   *
   * @returns The discover result.
   */
  async discover(): Promise<Json> {
    for (let attempt = 0;; attempt++) {
      const answer = await this.#discoverRequest();
      const envelope = answer.envelope;
      const value = envelope.kind === "response" ? envelope.value : {};
      const error = value.error as
        | { code?: number; message?: string; data?: { supported?: unknown } }
        | undefined;
      if (error) {
        if (error.code === UNSUPPORTED_VERSION && attempt === 0) {
          const supported = Array.isArray(error.data?.supported) ? error.data!.supported as string[] : [];
          const version = pickVersion(supported, [MODERN_VERSION]);
          if (version) {
            this.#version = version;
            continue;
          }
        }
        throw new TransportError(
          `The server at ${this.#o.client.url.host} refused server/discover (HTTP ${answer.status}): ${
            excerpt(String(error.message), 200)
          }`,
          { status: answer.status },
        );
      }
      this.#discovered = (value.result ?? {}) as Json;
      return this.#discovered;
    }
  }

  /** One `server/discover` request, bounded by the connect timeout. */
  async #discoverRequest(): Promise<ModernAnswer> {
    const id = this.#nextId("discover");
    const message = stampRequest({ jsonrpc: "2.0", id, method: "server/discover", params: {} }, this.#meta());
    const ms = this.#o.connectTimeoutMs ?? 30_000;
    // The connect timeout bounds the waiting for the server, never the time spent signing in.
    const deadline = connectDeadline(ms, this.#o.client.url.host, "answer");
    try {
      return await this.#send(message, id, undefined, deadline);
    } catch (error) {
      if (deadline.signal.aborted) throw deadline.signal.reason;
      throw error;
    } finally {
      deadline.clear();
    }
  }

  /**
   * The era probe (spec 2026-07-28, Backward Compatibility): `server/discover` first; a recognised
   * 2026-07-28 answer or error means modern; anything else (a 400, 404 or 405 without one, a result
   * without `resultType`) means a 2025-era server. No session is created on a 2025-era server.
   *
   * @returns `modern` or `legacy`.
   * @throws {TransportError} When the server cannot be reached at all.
   */
  async probe(first?: Envelope): Promise<"modern" | "legacy"> {
    // The host's initialize says who it is: the probe carries that, like every later request.
    if (first?.kind === "request" && first.method === "initialize") {
      this.#learnHost(first.value.params as Json);
    }
    let answer: ModernAnswer;
    try {
      answer = await this.#discoverRequest();
    } catch (error) {
      // An HTTP answer that is no JSON-RPC message at all: a 2025-era (or HTTP+SSE) server.
      // A refusal of credentials is no sign of an era: signing in already failed, so report it.
      if (
        error instanceof TransportError && error.status !== undefined && error.status !== 401 &&
        error.status !== 403
      ) {
        return "legacy";
      }
      throw error;
    }
    const verdict = classifyModernProbe({
      status: answer.status,
      contentType: "application/json",
      body: answer.text,
    });
    if (verdict.era !== "modern") return "legacy";
    if ("unsupported" in verdict) {
      const version = pickVersion(verdict.unsupported, [MODERN_VERSION]);
      if (!version) {
        throw new TransportError(
          `The server at ${this.#o.client.url.host} supports only MCP ${
            verdict.unsupported.join(", ")
          }, which ` +
            "mcp-bridge does not speak yet",
        );
      }
      this.#version = version;
      return "modern";
    }
    const envelope = answer.envelope;
    if (envelope.kind === "response" && "result" in envelope.value) {
      this.#discovered = envelope.value.result as Json;
    }
    return "modern";
  }

  /**
   * Sends one host message (see {@linkcode RemoteTransport.send}).
   *
   * @param text The message text.
   * @param envelope Its envelope.
   * @param signal Aborts the request (the host cancelled it).
   */
  send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    // Not an async function: a request's promise is its exchange's own, with no frame waiting on it.
    try {
      if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
      switch (envelope.kind) {
        case "request":
          return this.#request(text, envelope, signal);
        case "response":
          this.#inputAnswer(envelope);
          break;
        case "notification":
          this.#notification(envelope);
          break;
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops the subscription stream and fails the waiting input rounds. */
  close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort(new TransportError("The bridge is shutting down"));
    this.#listen?.abort();
    for (const waiter of this.#inputs.values()) {
      waiter.reject(new TransportError("The bridge is shutting down"));
    }
    this.#inputs.clear();
    return Promise.resolve();
  }

  #nextId(what: string): string {
    return `${INTERNAL_ID_PREFIX}${what}-${++this.#seq}`;
  }

  #meta(): Parameters<typeof stampRequest>[1] {
    return {
      protocolVersion: this.#version,
      clientCapabilities: this.#hostCapabilities,
      clientInfo: this.#hostInfo ?? this.#o.clientInfo,
      ...(this.#logLevel ? { logLevel: this.#logLevel } : {}),
    };
  }

  async #reply(id: JsonRpcId, result: unknown): Promise<void> {
    const text = JSON.stringify({ jsonrpc: "2.0", id, result });
    await this.#o.sink(text, parseMessage(text));
  }

  async #replyError(id: JsonRpcId, code: number, message: string): Promise<void> {
    const text = errorResponse(id, code, message);
    await this.#o.sink(text, parseMessage(text));
  }

  #notification(envelope: Extract<Envelope, { kind: "notification" }>): void {
    // The 2026-07-28 era has no client notifications over HTTP: initialized is implied, roots
    // changes are asked for per request, and cancellation is closing the request's stream (the
    // router aborts that exchange right after this notification).
    this.#o.log.debug(`Not forwarding ${envelope.method} to a 2026-07-28 server`);
    if (envelope.method === "notifications/initialized") this.#updateSubscriptions();
  }

  #inputAnswer(envelope: Extract<Envelope, { kind: "response" }>): void {
    if (envelope.id === null) return;
    const waiter = this.#inputs.get(idKey(envelope.id));
    if (!waiter) return;
    this.#inputs.delete(idKey(envelope.id));
    if ("error" in envelope.value) {
      const error = envelope.value.error as { message?: string };
      waiter.reject(
        new TransportError(`The host declined the server's request: ${error?.message ?? "error"}`),
      );
    } else {
      waiter.resolve(envelope.value.result);
    }
  }

  #request(
    text: string,
    envelope: Extract<Envelope, { kind: "request" }>,
    signal?: AbortSignal,
  ): Promise<void> {
    const { id, method } = envelope;
    const params = envelope.value.params as Json | undefined;
    const hostMeta = params?._meta as Json | undefined;
    const modernHost = typeof hostMeta?.[PROTOCOL_VERSION_META_KEY] === "string";
    if (modernHost) return this.#passThrough(text, envelope, signal);
    if (method === "tools/call") return this.#translated(id, method, params, signal);
    return this.#other(id, method, params, signal);
  }

  /** A legacy host's request other than a tool call: answered here when the modern era removed it. */
  async #other(id: JsonRpcId, method: string, params: Json | undefined, signal?: AbortSignal): Promise<void> {
    switch (method) {
      case "initialize":
        return await this.#initialize(id, params);
      case "ping":
        return await this.#reply(id, {});
      case "logging/setLevel":
        this.#logLevel = typeof params?.level === "string" ? params.level : undefined;
        return await this.#reply(id, {});
      case "resources/subscribe":
      case "resources/unsubscribe": {
        const uri = typeof params?.uri === "string" ? params.uri : undefined;
        if (uri) {
          if (method === "resources/subscribe") this.#subscriptions.subscribe(uri);
          else this.#subscriptions.unsubscribe(uri);
          this.#updateSubscriptions();
        }
        return await this.#reply(id, {});
      }
    }
    return await this.#translated(id, method, params, signal);
  }

  #learnHost(params: Json | undefined): void {
    this.#hostCapabilities = (params?.capabilities as Json | undefined) ?? {};
    const info = params?.clientInfo as { name?: unknown; version?: unknown } | undefined;
    if (typeof info?.name === "string") {
      this.#hostInfo = { name: info.name, version: typeof info.version === "string" ? info.version : "0" };
    }
  }

  async #initialize(id: JsonRpcId, params: Json | undefined): Promise<void> {
    this.#learnHost(params);
    const discovered = this.#discovered ?? await this.discover();
    const requested = typeof params?.protocolVersion === "string"
      ? params.protocolVersion
      : LEGACY_VERSIONS[0]!;
    const capabilities = { ...((discovered.capabilities as Json | undefined) ?? {}) };
    // logging/setLevel is answered by the bridge (and carried as the per-request log level).
    capabilities.logging ??= {};
    const serverInfo = discovered.serverInfo ??
      ((discovered._meta as Json | undefined)?.["io.modelcontextprotocol/serverInfo"]) ??
      { name: this.#o.client.url.host, version: "unknown" };
    await this.#reply(id, {
      protocolVersion: LEGACY_VERSIONS.includes(requested) ? requested : LEGACY_VERSIONS[0],
      capabilities,
      serverInfo,
      ...(typeof discovered.instructions === "string" ? { instructions: discovered.instructions } : {}),
    });
    this.#subscriptions.setCapabilities(capabilities);
  }

  /**
   * Sends one request, re-issuing it under a new id when its stream is cut (the era's rule), and waiting
   * for the server when it went away (see `modern_resend.ts`). The answer carries `id`, whatever id the
   * request last went out under.
   */
  async #send(
    message: Json,
    id: JsonRpcId,
    signal: AbortSignal | undefined,
    deadline?: Deadline,
    takeBytes?: TakeBytes,
  ): Promise<ModernAnswer> {
    const params = message.params as Json | undefined;
    const method = String(message.method);
    // One array, pushed to: this runs for every request.
    const headers = standardHeaders(method, params);
    headers.unshift([
      "mcp-protocol-version",
      String((params?._meta as Json | undefined)?.[PROTOCOL_VERSION_META_KEY] ?? this.#version),
    ]);
    if (method === "tools/call" && typeof params?.name === "string") {
      const plan = this.#plans.get(params.name);
      if (plan) headers.push(...paramHeaders(plan, params.arguments as Json | undefined));
    }
    let currentId = id;
    let body = JSON.stringify(message);
    let reissues = 0;
    // Made only when a request fails: nothing is added to the hot path.
    let retry: ReturnType<Outage["retry"]> | undefined;
    let waitSignal: AbortSignal | undefined;
    while (true) {
      try {
        const answer = await this.#o.client.request(
          body,
          currentId,
          headers,
          signal,
          this.#relay,
          deadline,
          // Under the caller's id only: the answer to a request sent again under a new one is rewritten.
          currentId === id ? takeBytes : undefined,
        );
        this.#answered();
        return currentId === id ? answer : withId(answer, id);
      } catch (error) {
        if (signal?.aborted || deadline?.signal.aborted || this.#closed) throw error;
        // A stream or connection that broke under the request: the pooled connections may be going too (a
        // server stopping closes them all), so what is sent next opens new ones, as Streamable HTTP does.
        if (ModernHttpClient.brokeConnection(error)) this.#o.client.renewConnections();
        const next = modernResend(error, method, this.#outage.reachedOnce);
        if (next.action === "fail") throw error;
        if (next.action === "reissue") {
          if (++reissues > MAX_REISSUES) throw error;
          this.#o.log.info(`The response stream of ${method} broke; sending the request again`);
        } else {
          retry ??= this.#outage.retry(method);
          waitSignal ??= AbortSignal.any(
            [this.#abort.signal, signal, deadline?.signal].filter((s) => s !== undefined),
          );
          await retry.wait(error as TransportError, waitSignal);
          if (waitSignal.aborted) throw abortReason(waitSignal);
          if (!next.newId) continue;
        }
        // The server may have seen the request: it goes out again as a new request, with a new id.
        currentId = this.#nextId("reissue");
        body = JSON.stringify({ ...message, id: currentId });
      }
    }
  }

  /** The server answered: an outage is over, and a listen stream that gave up during it is opened again. */
  #answered(): void {
    this.#outage.reached();
    if (this.#listenGaveUp && !this.#closed) {
      this.#listenGaveUp = false;
      this.#updateSubscriptions();
    }
  }

  /** A legacy host's request: stamped, sent, and carried through input rounds to one response. */
  async #translated(
    hostId: JsonRpcId,
    method: string,
    hostParams: Json | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    let params = hostParams;
    let versionRetried = false;
    let headersRetried = false;
    for (let round = 0;;) {
      const id: JsonRpcId = round === 0 ? hostId : this.#nextId("retry");
      const message = stampRequest(
        { jsonrpc: "2.0", id, method, ...(params ? { params } : {}) },
        this.#meta(),
      );
      let answer: ModernAnswer;
      try {
        // A large complete result to the host's own request goes to it as the bytes it came in.
        const takeBytes = round === 0 && method !== "tools/list" ? this.#takeBytes(hostId) : undefined;
        answer = await this.#send(message, id, signal, undefined, takeBytes);
        if (answer.delivered) return;
      } catch (error) {
        // A 400, 404 or 405 that is no JSON-RPC answer: the server no longer speaks this era.
        if (
          error instanceof TransportError && [400, 404, 405].includes(error.status ?? 0) && !signal?.aborted
        ) {
          throw new EraMismatchError(error.message, error.status!);
        }
        throw error;
      }
      const envelope = answer.envelope;
      const value = envelope.kind === "response" ? envelope.value : {};
      const error = value.error as
        | { code?: number; message?: string; data?: { supported?: unknown } }
        | undefined;
      if (error) {
        if (answer.status >= 400 && !isModernError(answer.status, error.code)) {
          // A 2025-era server's error (e.g. "no valid session"): the server changed eras.
          throw new EraMismatchError(error.message ?? "a 2025-era error", answer.status);
        }
        if (error.code === UNSUPPORTED_VERSION && !versionRetried) {
          versionRetried = true;
          const supported = Array.isArray(error.data?.supported) ? error.data!.supported as string[] : [];
          const version = pickVersion(supported, [MODERN_VERSION]);
          if (version && version !== this.#version) {
            this.#version = version;
            continue;
          }
        }
        if (error.code === HEADER_MISMATCH && !headersRetried && method === "tools/call") {
          // The tool's header annotations changed: list the tools again, then retry once.
          headersRetried = true;
          await this.#refreshToolPlans(signal);
          continue;
        }
        return await this.#o.sink(
          ...this.#withHostId(value, hostId),
        );
      }
      const result = (value.result ?? {}) as Json;
      const kind = resultType(result);
      if (kind === "complete") {
        // The usual case passes the server's text on unchanged (a 2025-era host ignores resultType):
        // a 1 MiB result is not serialised again.
        // (A re-issued request's response carries the bridge's id: that one is rewritten below.)
        if (envelope.kind === "response" && envelope.id === hostId && method !== "tools/list") {
          return await this.#o.sink(answer.text, envelope);
        }
        const { resultType: _drop, ...rest } = result;
        let final: Json = rest;
        if (method === "tools/list") final = this.#filterTools(final);
        return await this.#reply(hostId, final);
      }
      if (kind !== "input_required") {
        return await this.#replyError(
          hostId,
          ErrorCode.InternalError,
          `The server at ${this.#o.client.url.host} answered ${method} with an unknown resultType "${kind}"`,
        );
      }
      if (++round > MAX_INPUT_ROUNDS) {
        return await this.#replyError(
          hostId,
          ErrorCode.InternalError,
          `The server at ${this.#o.client.url.host} kept asking for input after ${MAX_INPUT_ROUNDS} rounds of ${method}`,
        );
      }
      const input = parseInputRequired(result);
      const responses: Json = {};
      for (const request of input.requests) {
        responses[request.key] = await this.#askHost(request.method, request.params, signal);
      }
      params = retryParams(params, responses, input.requestState);
    }
  }

  /**
   * What takes a large result to the host's request as its bytes: a complete one (a 2025-era host ignores
   * `resultType`), as the text path passes its text on unchanged; `undefined` without `sinkBytes`.
   */
  #takeBytes(hostId: JsonRpcId): TakeBytes | undefined {
    const sinkBytes = this.#o.sinkBytes;
    if (sinkBytes === undefined) return undefined;
    return async (bytes, scanned) => {
      if ((scanned.resultType ?? "complete") !== "complete") return false;
      await sinkBytes(bytes, hostId);
      return true;
    };
  }

  #withHostId(value: Json, hostId: JsonRpcId): [string, Envelope] {
    const text = JSON.stringify({ ...value, id: hostId });
    return [text, parseMessage(text)];
  }

  /** Asks the host (as a 2025-era server-to-client request) and waits for its answer. */
  #askHost(method: string, params: Json | undefined, signal?: AbortSignal): Promise<unknown> {
    const id = this.#nextId("input");
    return new Promise((resolve, reject) => {
      this.#inputs.set(idKey(id), { resolve, reject });
      signal?.addEventListener("abort", () => {
        this.#inputs.delete(idKey(id));
        reject(new TransportError("The request was cancelled"));
      }, { once: true });
      const text = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
      this.#o.sink(text, parseMessage(text)).catch(reject);
    });
  }

  #filterTools(result: Json): Json {
    const { result: filtered, removed, plans } = filterToolsResult(result);
    for (const { name, reason } of removed) {
      this.#o.log.warn(
        `Hiding tool "${name}" from the host: its x-mcp-header annotation is invalid: ${reason}`,
      );
    }
    for (const [name, plan] of plans) this.#plans.set(name, plan);
    return filtered as Json;
  }

  async #refreshToolPlans(signal?: AbortSignal): Promise<void> {
    const pages = new Pagination(`tools/list from ${this.#o.client.url.host}`);
    let cursor: string | undefined;
    do {
      const id = this.#nextId("tools");
      const message = stampRequest(
        { jsonrpc: "2.0", id, method: "tools/list", params: cursor ? { cursor } : {} },
        this.#meta(),
      );
      const envelope = (await this.#send(message, id, signal)).envelope;
      const result = (envelope.kind === "response" ? envelope.value.result : undefined) as Json | undefined;
      if (!result) return;
      this.#filterTools(result);
      try {
        cursor = pages.next(result);
      } catch (error) {
        return this.#o.log.warn((error as Error).message);
      }
    } while (cursor);
  }

  /** A 2026-07-28 host: forward as it is, adding the headers only the HTTP client can send. */
  async #passThrough(
    text: string,
    envelope: Extract<Envelope, { kind: "request" }>,
    signal?: AbortSignal,
  ): Promise<void> {
    const message = envelope.value;
    const { text: response, envelope: answer } = await this.#send(message, envelope.id, signal);
    if (envelope.method === "tools/list" && answer.kind === "response" && answer.value.result) {
      const filtered = { ...answer.value, result: this.#filterTools(answer.value.result as Json) };
      const out = JSON.stringify(filtered);
      return await this.#o.sink(out, parseMessage(out));
    }
    void text;
    await this.#o.sink(response, answer);
  }

  /** Opens, re-opens or closes the `subscriptions/listen` stream after a change of interest. */
  #updateSubscriptions(): void {
    const filter = this.#subscriptions.filter();
    const empty = !filter.toolsListChanged && !filter.promptsListChanged && !filter.resourcesListChanged &&
      !(filter.resourceSubscriptions?.length);
    this.#listenGaveUp = false;
    this.#listen?.abort();
    this.#listen = undefined;
    if (empty || this.#closed) return;
    const controller = new AbortController();
    this.#listen = controller;
    void this.#listenLoop(filter, controller.signal);
  }

  async #listenLoop(filter: ReturnType<SubscriptionState["filter"]>, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let retry: ReturnType<Outage["retry"]> | undefined;
    while (!signal.aborted && !this.#closed && failures < 5) {
      const id = this.#nextId("listen");
      const message = stampRequest(
        { jsonrpc: "2.0", id, method: "subscriptions/listen", params: listenParams(filter) },
        this.#meta(),
      );
      try {
        const count = await this.#o.client.listen(
          JSON.stringify(message),
          [["mcp-protocol-version", this.#version], ...standardHeaders("subscriptions/listen", undefined)],
          signal,
          async (text, envelope) => {
            if (
              envelope.kind !== "notification" ||
              envelope.method === "notifications/subscriptions/acknowledged"
            ) return;
            await this.#o.sink(text, envelope);
          },
          () => {
            retry = undefined;
            this.#answered();
          },
        );
        failures = count > 0 ? 0 : failures + 1;
      } catch (error) {
        if (signal.aborted) return;
        if (ModernHttpClient.brokeConnection(error)) this.#o.client.renewConnections();
        if (modernResend(error, "subscriptions/listen", this.#outage.reachedOnce).action === "wait") {
          // The server went away: wait for it within the reconnection bounds, with no host message
          // needed, and listen again with the same filter (no state on the server to set up again).
          retry ??= this.#outage.retry("subscriptions/listen");
          try {
            await retry.wait(error as TransportError, signal);
          } catch (spent) {
            this.#listenGaveUp = true;
            this.#o.log.warn(
              `Not listening for the server's notifications until a request gets through: ${
                (spent as Error).message
              }`,
            );
            return;
          }
          continue;
        }
        failures++;
        this.#o.log.debug(`subscriptions/listen: ${(error as Error).message}`);
      }
      if (signal.aborted) return;
      // The stream ended: listen again (the spec asks for it after a reconnect), after a pause that
      // grows with each stream that brought nothing (never none: a server cannot make this spin).
      await sleep(Math.min(LISTEN_PAUSE_MS * 2 ** failures, 30_000), signal);
    }
  }
}

/** The answer with its id replaced (a request re-issued under the bridge's id answers the caller's). */
function withId(answer: ModernAnswer, id: JsonRpcId): ModernAnswer {
  if (answer.envelope.kind !== "response") return answer;
  const text = JSON.stringify({ ...answer.envelope.value, id });
  return { ...answer, text, envelope: parseMessage(text) };
}

function abortReason(signal: AbortSignal): TransportError {
  const reason = signal.reason;
  return reason instanceof TransportError ? reason : new TransportError("The request was cancelled");
}
