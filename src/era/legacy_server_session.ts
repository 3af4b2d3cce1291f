/**
 * A host that speaks 2026-07-28 (per-request `_meta`, no `initialize`) in front of a 2025-era server.
 * The bridge holds the 2025 session for the host and translates both ways:
 *
 * - it initializes the server itself, with the capabilities and client info of the host's `_meta`, and
 *   answers `server/discover` from the result (see `legacy_results.ts` for what each result gets);
 * - every host request runs as a call with an id of the bridge's own (`legacy_calls.ts`): results come
 *   back complete, and a server-to-client request (sampling, elicitation, roots) made while the server runs
 *   a `tools/call`, `prompts/get` or `resources/read` becomes an `input_required` result; the host's retry
 *   brings the answers, which go to the server as responses. A host that never retries has the server's
 *   requests refused and the call cancelled after {@linkcode INPUT_WAIT_MS};
 * - `subscriptions/listen` is served from the server's own notifications (its GET stream), with
 *   `resources/subscribe` behind resource subscriptions (`legacy_listens.ts`); the subscriptions are made
 *   again when the transport replaces an expired session;
 * - progress goes to the request that asked for it, log messages to the request that set a log level (the
 *   server's session level is lowered with `logging/setLevel` when needed), and the host's cancellation
 *   to the server under the call's id.
 *
 * @module
 */

import { INTERNAL_ID_PREFIX } from "../jsonrpc/internal_id.ts";
import {
  type Envelope,
  ErrorCode,
  errorResponse,
  idKey,
  type JsonRpcId,
  parseMessage,
} from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import type { LegacyReceiver } from "../transport/connect.ts";
import { INITIALIZED_NOTIFICATION, initializeRequest } from "../transport/handshake.ts";
import {
  LEGACY_SESSION_KIND,
  type MessageSink,
  type RemoteTransport,
  TransportError,
} from "../transport/transport.ts";
import {
  type Call,
  CallTable,
  type HostRequestInfo,
  INPUT_CAPABLE_METHODS,
  INPUT_METHODS,
  legacyRequest,
  missingCapability,
  requestSubject,
} from "./legacy_calls.ts";
import { grantable, ListenRegistry, parseListenFilter } from "./legacy_listens.ts";
import { completeResult, discoverResult, type ServerIdentity, serverIdentity } from "./legacy_results.ts";
import { atOrAbove, isLogLevel, levelToSet } from "./log_level.ts";
import { type Implementation, LOG_LEVEL_META_KEY, requestMeta, SUBSCRIPTION_ID_META_KEY } from "./meta.ts";
import { ACKNOWLEDGED_METHOD } from "./subscriptions.ts";
import { LEGACY_VERSIONS } from "./versions.ts";

type Json = Record<string, unknown>;

/** How long the server's requests wait for a host that got an `input_required` result to retry. */
export const INPUT_WAIT_MS = 5 * 60_000;

/** The most server requests one call may have waiting for the host; more are refused. */
export const MAX_PENDING_INPUTS = 16;

/** The most characters of server requests one call may have waiting for the host. */
export const MAX_PENDING_INPUT_CHARS = 16 * 1024 * 1024;

/** The most characters of server requests all calls together may have waiting for the host. */
export const MAX_TOTAL_INPUT_CHARS = 64 * 1024 * 1024;

/** How long the bridge's own requests (initialize aside) may wait for the server's answer. */
export const INTERNAL_REQUEST_TIMEOUT_MS = 30_000;

/** How many session renewals in a row may fail to subscribe again before the listen streams are ended. */
export const MAX_FAILED_RENEWALS = 3;

/** How many `resources/subscribe` requests one listen stream sends at a time. */
const SUBSCRIBE_CONCURRENCY = 8;

/** Options for {@linkcode LegacyServerSession}. */
export interface LegacyServerSessionOptions {
  /** Builds the 2025-era connection, given where the server's messages go. */
  makeLegacy: (receiver: LegacyReceiver) => RemoteTransport;
  /** The bridge's sink toward the host. */
  sink: MessageSink;
  /** The logger. */
  log: Logger;
  /** The bridge's identity, used when the host's `_meta` carries none. */
  clientInfo: Implementation;
  /** How long a server request waits for the host's retry (default {@linkcode INPUT_WAIT_MS}). */
  inputWaitMs?: number;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The transport toward a 2025-era server for a 2026-07-28 host. */
export class LegacyServerSession implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = LEGACY_SESSION_KIND;
  #o: LegacyServerSessionOptions;
  #legacy: RemoteTransport;
  #initialized: Promise<Json> | undefined;
  #identity: ServerIdentity | undefined;
  #capabilities: Json = {};
  #calls = new CallTable();
  #listens = new ListenRegistry();
  /** Host requests waiting for their response, by host id. */
  #hostWaiters = new Map<string, Waiter>();
  /** The bridge's own requests to the server, by id. */
  #internal = new Map<string, { resolve: (response: Json) => void; reject: (error: Error) => void }>();
  #internalSeq = 0;
  /** Each call's exchange with the server, to abort it. */
  #exchanges = new Map<number, AbortController>();
  #inputTimers = new Map<number, ReturnType<typeof setTimeout>>();
  #listenEnds = new Map<string, () => void>();
  #listenIds = new Map<string, JsonRpcId>();
  #resubscribing: Promise<void> | undefined;
  #failedRenewals = 0;

  #serverLogLevel: string | undefined;
  #closed = false;

  /**
   * Creates the session; the server's `initialize` is sent with the host's first request.
   *
   * @example Usage
   * ```ts ignore
   * import { LegacyServerSession } from "./legacy_server_session.ts";
   * const session = new LegacyServerSession({ makeLegacy, sink, log, clientInfo: { name: "mcp-bridge", version: "0.1.0" } });
   * ```
   *
   * @param options The legacy connection factory, the sink and the logger.
   */
  constructor(options: LegacyServerSessionOptions) {
    this.#o = options;
    this.#legacy = options.makeLegacy({ sink: this.#fromServer, onSessionRenewed: () => this.#renewed() });
  }

  /**
   * Sends one host message (see {@linkcode RemoteTransport.send}).
   *
   * @param text The message text.
   * @param envelope Its envelope.
   * @param signal Aborts the request (the host cancelled it, or the bridge stops).
   */
  async send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
    if (envelope.kind === "notification") {
      if (envelope.method === "notifications/cancelled") {
        return await this.#hostCancelled(envelope.value.params);
      }
      // Other notifications go to the server once it is initialized (a 2026-07-28 host has hardly any).
      if (this.#initialized && await this.#initialized.then(() => true, () => false)) {
        await this.#legacy.send(text, envelope, signal);
      }
      return;
    }
    if (envelope.kind !== "request") {
      this.#o.log.debug("Ignoring a response from the 2026-07-28 host: the bridge sent it no request");
      return;
    }
    const meta = requestMeta(envelope.value);
    const rawLevel = (envelope.value.params as { _meta?: Json } | undefined)?._meta?.[LOG_LEVEL_META_KEY];
    if (rawLevel !== undefined && !isLogLevel(rawLevel)) {
      return await this.#reply(
        errorResponse(
          envelope.id,
          ErrorCode.InvalidParams,
          `Invalid params: ${LOG_LEVEL_META_KEY} is not a log level: ${
            JSON.stringify(rawLevel).slice(0, 40)
          }`,
        ),
      );
    }
    const init = await this.#initialize(meta.clientCapabilities, meta.clientInfo);
    // The host may have cancelled while the server was being initialized: then nothing goes out.
    if (signal?.aborted) return;
    if (envelope.method === "server/discover") {
      return await this.#reply(
        JSON.stringify({ jsonrpc: "2.0", id: envelope.id, result: discoverResult(init) }),
      );
    }
    if (envelope.method === "subscriptions/listen") return await this.#listen(envelope, signal);
    const progressToken = (envelope.value.params as { _meta?: Json } | undefined)?._meta?.progressToken;
    const subject = requestSubject(envelope.method, envelope.value.params);
    const info: HostRequestInfo = {
      ...(typeof progressToken === "string" || typeof progressToken === "number" ? { progressToken } : {}),
      ...(meta.logLevel !== undefined ? { logLevel: meta.logLevel } : {}),
      ...(meta.clientCapabilities !== undefined ? { capabilities: meta.clientCapabilities } : {}),
      ...(subject !== undefined ? { subject } : {}),
    };
    const state = (envelope.value.params as Json | undefined)?.requestState;
    if (typeof state === "string") return await this.#continue(envelope, state, info, signal);
    await this.#applyLogLevel(meta.logLevel);
    if (signal?.aborted) return;
    const call = this.#calls.start(envelope.id, envelope.method, info);
    const answered = this.#waitForHost(envelope.id, call, signal);
    const abort = new AbortController();
    this.#exchanges.set(call.serverId, abort);
    const request = legacyRequest(envelope.value, call.serverId);
    this.#legacy.send(request, parseMessage(request), abort.signal).then(
      () => this.#exchangeEnded(call),
      (error) => this.#exchangeEnded(call, error),
    );
    await answered;
  }

  /** Closes the legacy connection (and its session). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#inputTimers.values()) clearTimeout(timer);
    this.#inputTimers.clear();
    for (const end of this.#listenEnds.values()) end();
    this.#listenEnds.clear();
    for (const waiter of this.#hostWaiters.values()) waiter.resolve();
    this.#hostWaiters.clear();
    await this.#legacy.close();
  }

  // --- Initialization -------------------------------------------------------------------------------

  #initialize(capabilities: Json | undefined, clientInfo: Implementation | undefined): Promise<Json> {
    this.#initialized ??= (async () => {
      const params = {
        protocolVersion: LEGACY_VERSIONS[0],
        capabilities: capabilities ?? {},
        clientInfo: clientInfo ?? this.#o.clientInfo,
      };
      const response = await this.#request("initialize", params);
      if (!isRecord(response.result)) {
        const error = response.error as { message?: unknown } | undefined;
        throw new TransportError(
          `The server refused initialize: ${typeof error?.message === "string" ? error.message : "error"}`,
        );
      }
      const result = response.result;
      this.#identity = serverIdentity(result);
      this.#capabilities = isRecord(result.capabilities) ? result.capabilities : {};
      await this.#legacy.send(INITIALIZED_NOTIFICATION, parseMessage(INITIALIZED_NOTIFICATION));
      this.#o.log.debug("The server speaks the 2025 era: mcp-bridge initialized it for the 2026-07-28 host");
      return result;
    })();
    this.#initialized.catch(() => (this.#initialized = undefined));
    return this.#initialized;
  }

  /**
   * A request of the bridge's own; resolves with the server's response (result or error), or rejects
   * when the server gives none within {@linkcode INTERNAL_REQUEST_TIMEOUT_MS}.
   */
  async #request(method: string, params: Json): Promise<Json> {
    const id = `${INTERNAL_ID_PREFIX}session-${++this.#internalSeq}`;
    const text = method === "initialize"
      ? initializeRequest(id, params)
      : JSON.stringify({ jsonrpc: "2.0", id, method, params });
    const response = new Promise<Json>((resolve, reject) => this.#internal.set(id, { resolve, reject }));
    response.catch(() => {});
    const abort = new AbortController();
    const timer = setTimeout(() => {
      this.#internal.get(id)?.reject(
        new TransportError(
          `The server did not answer ${method} within ${INTERNAL_REQUEST_TIMEOUT_MS / 1000} s`,
        ),
      );
      abort.abort();
    }, INTERNAL_REQUEST_TIMEOUT_MS);
    try {
      await this.#legacy.send(text, parseMessage(text), abort.signal);
    } catch (error) {
      this.#internal.get(id)?.reject(error as Error);
    } finally {
      clearTimeout(timer);
      const left = this.#internal.get(id);
      this.#internal.delete(id);
      left?.reject(new TransportError(`The server ended the exchange of ${method} without a response`));
    }
    return await response;
  }

  /**
   * The transport replaced an expired session: the server forgot its log level and subscriptions. They
   * are made again, once at a time; when renewals keep failing to subscribe (a server that forgets every
   * session at once), the listen streams are ended instead of renewing forever.
   */
  #renewed(): void {
    this.#serverLogLevel = undefined;
    const uris = this.#listens.subscribedUris;
    if (uris.length === 0 || this.#resubscribing) return;
    this.#o.log.info(`The server started a new session: subscribing again to ${uris.length} resource(s)`);
    this.#resubscribing = (async () => {
      const results = await this.#subscribeAll(uris);
      if (results.some((ok) => ok)) this.#failedRenewals = 0;
      else if (++this.#failedRenewals >= MAX_FAILED_RENEWALS) {
        this.#endListens(
          `the server lost its session ${this.#failedRenewals} times and refused to subscribe again`,
        );
      }
    })().finally(() => (this.#resubscribing = undefined));
  }

  /** Subscribes to URIs, a few at a time. */
  async #subscribeAll(uris: string[]): Promise<boolean[]> {
    const results: boolean[] = [];
    for (let i = 0; i < uris.length; i += SUBSCRIBE_CONCURRENCY) {
      const batch = uris.slice(i, i + SUBSCRIBE_CONCURRENCY);
      results.push(...await Promise.all(batch.map((uri) => this.#subscribe("resources/subscribe", uri))));
    }
    return results;
  }

  /** Ends every listen stream with the graceful closing result (its one response), and says why. */
  #endListens(why: string): void {
    if (this.#listenEnds.size === 0) return;
    this.#o.log.warn(`Ending ${this.#listenEnds.size} subscription stream(s): ${why}`);
    for (const [key, end] of [...this.#listenEnds]) {
      const id = this.#listenIds.get(key)!;
      void this.#reply(JSON.stringify({
        jsonrpc: "2.0",
        id,
        result: { resultType: "complete", _meta: { [SUBSCRIPTION_ID_META_KEY]: id } },
      })).catch(() => {}).finally(end);
    }
  }

  async #subscribe(method: "resources/subscribe" | "resources/unsubscribe", uri: string): Promise<boolean> {
    try {
      const response = await this.#request(method, { uri });
      if (response.error === undefined) return true;
      this.#o.log.warn(
        `The server refused ${method} for ${uri}: ${JSON.stringify(response.error).slice(0, 200)}`,
      );
    } catch (error) {
      // An unsubscribe while the bridge shuts down fails with it: nothing to warn about.
      const message = `${method} for ${uri} failed: ${(error as Error).message}`;
      if (method === "resources/unsubscribe") this.#o.log.debug(message);
      else this.#o.log.warn(message);
    }
    return false;
  }

  async #applyLogLevel(level: string | undefined): Promise<void> {
    if (level === undefined || !isRecord(this.#capabilities.logging)) return;
    const set = levelToSet(level, this.#serverLogLevel);
    if (set === undefined) return;
    const previous = this.#serverLogLevel;
    this.#serverLogLevel = set;
    const response = await this.#request("logging/setLevel", { level: set }).catch((error) => ({ error }));
    if (response.error !== undefined) {
      this.#o.log.debug(`logging/setLevel ${set} failed`);
      if (this.#serverLogLevel === set) this.#serverLogLevel = previous;
    }
  }

  // --- Host side ------------------------------------------------------------------------------------

  /** A response for the host; settles the host request it answers. */
  async #reply(text: string): Promise<void> {
    const envelope = parseMessage(text);
    await this.#o.sink(text, envelope);
    const id = envelope.kind === "response" ? envelope.id : null;
    if (id === null) return;
    const waiter = this.#hostWaiters.get(idKey(id));
    this.#hostWaiters.delete(idKey(id));
    waiter?.resolve();
  }

  /** Waits until the host request gets its response (or the host gives up on it). */
  #waitForHost(hostId: JsonRpcId, call: Call, signal: AbortSignal | undefined): Promise<void> {
    const key = idKey(hostId);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (this.#hostWaiters.get(key) !== waiter) return;
        this.#hostWaiters.delete(key);
        if (call.hostId === hostId) this.#exchanges.get(call.serverId)?.abort();
        resolve();
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.#hostWaiters.set(key, waiter);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** The host's retry of a request that got `input_required`: its answers go to the server. */
  async #continue(
    envelope: Extract<Envelope, { kind: "request" }>,
    state: string,
    info: HostRequestInfo,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const call = this.#calls.byRequestState(state);
    if (!call || call.method !== envelope.method || call.subject !== info.subject) {
      return await this.#reply(
        errorResponse(
          envelope.id,
          ErrorCode.InvalidParams,
          `Cannot continue ${envelope.method}: its requestState is unknown or expired (the server gave up ` +
            "waiting, or mcp-bridge restarted): send the request again without requestState",
        ),
      );
    }
    this.#clearInputTimer(call);
    this.#calls.resume(call, envelope.id, info);
    const answered = this.#waitForHost(envelope.id, call, signal);
    const answers = this.#calls.takeAnswers(
      call,
      (envelope.value.params as Json | undefined)?.inputResponses,
    );
    if (call.final !== undefined) {
      // The server finished (or failed) while the host was gathering input: that is the answer.
      this.#finishWith(call, call.final);
      return await answered;
    }
    await this.#applyLogLevel(info.logLevel);
    for (const answer of answers) {
      const response = JSON.stringify({ jsonrpc: "2.0", id: answer.serverRequestId, result: answer.result });
      await this.#legacy.send(response, parseMessage(response)).catch((error) =>
        this.#o.log.warn(`Cannot give the host's answer to the server: ${(error as Error).message}`)
      );
    }
    if (call.hostId === envelope.id && call.inputs.size > 0) await this.#askHost(call);
    await answered;
  }

  /** The host cancelled a request (or closed a listen stream). */
  async #hostCancelled(params: unknown): Promise<void> {
    const requestId = isRecord(params) ? params.requestId : undefined;
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    if (this.#listens.has(requestId)) return this.#closeListen(requestId);
    const call = this.#calls.byHostId(requestId);
    if (!call) return;
    const reason = isRecord(params) && typeof params.reason === "string" ? params.reason : undefined;
    await this.#cancelOnServer(call, reason);
  }

  async #cancelOnServer(call: Call, reason: string | undefined): Promise<void> {
    this.#forget(call);
    const cancel = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: call.serverId, ...(reason !== undefined ? { reason } : {}) },
    });
    await this.#legacy.send(cancel, parseMessage(cancel)).catch((error) =>
      this.#o.log.debug(`Cannot send the cancellation to the server: ${(error as Error).message}`)
    );
    this.#exchanges.get(call.serverId)?.abort();
    this.#exchanges.delete(call.serverId);
  }

  // --- Listen streams -------------------------------------------------------------------------------

  async #listen(
    envelope: Extract<Envelope, { kind: "request" }>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let granted;
    try {
      granted = grantable(parseListenFilter(envelope.value.params), this.#capabilities);
    } catch (error) {
      return await this.#reply(errorResponse(envelope.id, ErrorCode.InvalidParams, (error as Error).message));
    }
    const id = envelope.id;
    // A host that reuses the id of an open stream replaces it.
    if (this.#listens.has(id)) this.#closeListen(id);
    // Opened before subscribing, so that a stream closing meanwhile does not unsubscribe what this one needs.
    const toSubscribe = this.#listens.urisToSubscribe(granted);
    this.#listens.open(id, granted);
    const results = await this.#subscribeAll(toSubscribe);
    const failed = new Set(toSubscribe.filter((_, i) => !results[i]));
    if (failed.size > 0 && granted.resourceSubscriptions) {
      const kept = granted.resourceSubscriptions.filter((uri) => !failed.has(uri));
      if (kept.length > 0) granted.resourceSubscriptions = kept;
      else delete granted.resourceSubscriptions;
      this.#listens.close(id);
      this.#listens.open(id, granted);
    }
    // Cancelled while subscribing: no acknowledgement after the cancellation.
    if (signal?.aborted) return this.#closeListen(id);
    const ack = JSON.stringify({
      jsonrpc: "2.0",
      method: ACKNOWLEDGED_METHOD,
      params: { _meta: { [SUBSCRIPTION_ID_META_KEY]: id }, notifications: granted },
    });
    await this.#o.sink(ack, parseMessage(ack));
    // The stream stays open until the host cancels it (or the bridge stops); it has no response before.
    await new Promise<void>((resolve) => {
      const end = () => {
        if (this.#listenEnds.get(idKey(id)) !== end) return resolve();
        this.#listenEnds.delete(idKey(id));
        this.#listenIds.delete(idKey(id));
        this.#closeListen(id);
        resolve();
      };
      this.#listenEnds.get(idKey(id))?.();
      this.#listenEnds.set(idKey(id), end);
      this.#listenIds.set(idKey(id), id);
      if (signal?.aborted) return end();
      signal?.addEventListener("abort", end, { once: true });
    });
  }

  #closeListen(id: JsonRpcId): void {
    for (const uri of this.#listens.close(id)) {
      if (!this.#closed) void this.#subscribe("resources/unsubscribe", uri);
    }
  }

  // --- Server side ----------------------------------------------------------------------------------

  /** Messages from the 2025-era server, made right for the 2026-07-28 host. */
  #fromServer = async (text: string, envelope: Envelope, via?: JsonRpcId | null): Promise<void> => {
    switch (envelope.kind) {
      case "response":
        return this.#serverResponse(envelope);
      case "request":
        return await this.#serverRequest(envelope, via, text.length);
      case "notification":
        return await this.#serverNotification(text, envelope, via);
      default:
        return;
    }
  };

  #serverResponse(envelope: Extract<Envelope, { kind: "response" }>): void {
    const id = envelope.id;
    if (typeof id === "string") {
      const internal = this.#internal.get(id);
      this.#internal.delete(id);
      internal?.resolve(envelope.value);
      return;
    }
    const call = this.#calls.byServerId(id);
    if (!call) {
      this.#o.log.debug(`Dropping a response to ${JSON.stringify(id)}: no host request waits for it`);
      return;
    }
    if (call.hostId === undefined) {
      call.final = envelope.value; // The host holds an input_required: its retry gets this.
      return;
    }
    this.#finishWith(call, envelope.value);
  }

  /** Gives the call's final response (or failure) to the host request waiting for it, and ends the call. */
  #finishWith(call: Call, final: Json | Error): void {
    const hostId = call.hostId!;
    this.#forget(call);
    // A response that came on another stream leaves the call's own stream open: close it.
    this.#exchanges.get(call.serverId)?.abort();
    this.#exchanges.delete(call.serverId);
    if (final instanceof Error) {
      const waiter = this.#hostWaiters.get(idKey(hostId));
      this.#hostWaiters.delete(idKey(hostId));
      waiter?.reject(final);
      return;
    }
    const response: Json = { jsonrpc: "2.0", id: hostId };
    const error = final.error as { code?: unknown; message?: unknown } | undefined;
    if (isRecord(final.result)) response.result = completeResult(call.method, final.result, this.#identity);
    else if (isRecord(error) && Number.isInteger(error.code) && typeof error.message === "string") {
      response.error = error;
    } else {
      response.error = {
        code: ErrorCode.InternalError,
        message: `The server sent a malformed answer to ${call.method}: ${
          JSON.stringify(final).slice(0, 200)
        }`,
      };
    }
    void this.#reply(JSON.stringify(response)).catch((error) =>
      this.#o.log.warn(`Cannot give the host its response: ${(error as Error).message}`)
    );
  }

  /** The call's exchange with the server settled (after its response was handled, or failing). */
  #exchangeEnded(call: Call, error?: unknown): void {
    // Gone, or answered while the host holds an input_required (the retry gets that answer).
    if (this.#calls.byServerId(call.serverId) !== call || call.final !== undefined) return;
    const failure = error instanceof Error
      ? error
      : new TransportError(`The server ended the exchange of ${call.method} without a response: try again`);
    if (call.hostId === undefined) call.final = failure;
    else this.#finishWith(call, failure);
  }

  async #serverRequest(
    envelope: Extract<Envelope, { kind: "request" }>,
    via: JsonRpcId | null | undefined,
    chars: number,
  ): Promise<void> {
    const { id, method } = envelope;
    if (method === "ping") return await this.#toServer({ jsonrpc: "2.0", id, result: {} });
    const call = INPUT_METHODS.has(method) ? this.#callFor(via) : undefined;
    // 2026-07-28 declares capabilities per request: the call's own request says what the host can answer.
    const missing = call && missingCapability(method, envelope.value.params, call.capabilities);
    if (missing !== undefined) {
      this.#o.log.info(`Declined ${method} from the server: the host did not declare ${missing}`);
      return await this.#refuse(
        id,
        ErrorCode.InvalidRequest,
        `The host did not declare the ${missing} capability`,
      );
    }
    if (
      call &&
      (call.inputs.size >= MAX_PENDING_INPUTS || call.inputChars + chars > MAX_PENDING_INPUT_CHARS ||
        this.#waitingChars() + chars > MAX_TOTAL_INPUT_CHARS)
    ) {
      this.#o.log.warn(`Refused ${method} from the server: too many requests wait for the host`);
      return await this.#refuse(
        id,
        ErrorCode.InternalError,
        `Too many requests wait for the host (mcp-bridge's limit: ${MAX_PENDING_INPUTS} and ` +
          `${MAX_PENDING_INPUT_CHARS / 1024 / 1024} MiB per call, ${
            MAX_TOTAL_INPUT_CHARS / 1024 / 1024
          } MiB in all)`,
      );
    }
    if (!call) {
      this.#o.log.info(
        `Declined ${method} from the server: a 2026-07-28 host answers server requests only during ` +
          "tools/call, prompts/get and resources/read",
      );
      return await this.#refuse(
        id,
        ErrorCode.MethodNotFound,
        `The host speaks MCP 2026-07-28 and can answer ${method} only during tools/call, prompts/get or ` +
          "resources/read",
      );
    }
    const params = isRecord(envelope.value.params) ? envelope.value.params : undefined;
    this.#calls.addInput(call, id, method, params, chars);
    if (call.hostId !== undefined) await this.#askHost(call);
  }

  async #refuse(id: JsonRpcId, code: number, message: string): Promise<void> {
    await this.#toServer({ jsonrpc: "2.0", id, error: { code, message } });
  }

  /**
   * The input-capable call a server request belongs to: the one whose stream carried it; when the
   * transport cannot tell (HTTP+SSE) or it came on the server's own GET stream, the only one open.
   */
  #callFor(via: JsonRpcId | null | undefined): Call | undefined {
    if (via !== null && via !== undefined) {
      const call = this.#calls.byServerId(via);
      return call && INPUT_CAPABLE_METHODS.has(call.method) ? call : undefined;
    }
    const candidates = this.#calls.all().filter((c) => INPUT_CAPABLE_METHODS.has(c.method));
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** Answers the host request of a call with `input_required`; the server's requests wait for a retry. */
  async #askHost(call: Call): Promise<void> {
    const hostId = call.hostId!;
    const { inputRequests, requestState } = this.#calls.suspend(call);
    if (!this.#closed) {
      const timer = setTimeout(() => void this.#giveUp(call), this.#o.inputWaitMs ?? INPUT_WAIT_MS);
      this.#inputTimers.set(call.serverId, timer);
    }
    await this.#reply(JSON.stringify({
      jsonrpc: "2.0",
      id: hostId,
      result: { resultType: "input_required", inputRequests, requestState },
    }));
  }

  /** The host never came back with answers: refuse the server's requests and cancel the call. */
  async #giveUp(call: Call): Promise<void> {
    this.#inputTimers.delete(call.serverId);
    if (this.#calls.byServerId(call.serverId) !== call || call.hostId !== undefined) return;
    // From now on no retry can take the call over (its requestState is gone).
    const inputs = [...call.inputs.values()];
    this.#forget(call);
    const waited = Math.round((this.#o.inputWaitMs ?? INPUT_WAIT_MS) / 1000);
    this.#o.log.warn(
      `The host did not answer the server's request within ${waited} s: cancelling ${call.method}`,
    );
    for (const input of inputs) {
      await this.#refuse(
        input.serverRequestId,
        ErrorCode.InternalError,
        `The host did not answer within ${waited} s`,
      );
    }
    await this.#cancelOnServer(call, `The host did not answer within ${waited} s`);
  }

  /** Characters of server requests waiting for the host, all calls together. */
  #waitingChars(): number {
    let chars = 0;
    for (const call of this.#calls.all()) chars += call.inputChars;
    return chars;
  }

  /** Ends a call in the table, with its timer and its waiting input. */
  #forget(call: Call): void {
    call.inputChars = 0;
    call.inputs.clear();
    this.#calls.finish(call);
    this.#clearInputTimer(call);
  }

  #clearInputTimer(call: Call): void {
    const timer = this.#inputTimers.get(call.serverId);
    if (timer !== undefined) clearTimeout(timer);
    this.#inputTimers.delete(call.serverId);
  }

  async #serverNotification(
    text: string,
    envelope: Extract<Envelope, { kind: "notification" }>,
    via: JsonRpcId | null | undefined,
  ): Promise<void> {
    const params = isRecord(envelope.value.params) ? envelope.value.params : {};
    switch (envelope.method) {
      case "notifications/progress": {
        // The server knows the call's id as its token; the host request holding the call has its own.
        const call = this.#calls.byServerId(params.progressToken as JsonRpcId);
        if (!call || call.hostId === undefined || call.progressToken === undefined) return;
        return await this.#toHost({
          ...envelope.value,
          params: { ...params, progressToken: call.progressToken },
        });
      }
      case "notifications/message": {
        // Request-scoped in 2026-07-28: only for a request that asked, at or above its level.
        const call = via === null
          ? undefined
          : via === undefined
          ? this.#onlyLogging()
          : this.#calls.byServerId(via);
        const level = typeof params.level === "string" ? params.level : "info";
        if (call?.hostId === undefined || call.logLevel === undefined || !atOrAbove(level, call.logLevel)) {
          return;
        }
        return await this.#o.sink(text, envelope);
      }
      case "notifications/cancelled": {
        // The server withdrew a request of its own; it never reaches a 2026-07-28 host.
        const requestId = params.requestId;
        if (typeof requestId === "string" || typeof requestId === "number") this.#calls.dropInput(requestId);
        return;
      }
    }
    const recipients = this.#listens.recipients(envelope.method, params);
    if (recipients.length === 0) {
      this.#o.log.debug(`Dropping ${envelope.method} from the server: no listen stream asked for it`);
      return;
    }
    const meta = isRecord(params._meta) ? params._meta : {};
    for (const id of recipients) {
      await this.#toHost({
        ...envelope.value,
        params: { ...params, _meta: { ...meta, [SUBSCRIPTION_ID_META_KEY]: id } },
      });
    }
  }

  /** The only running call that asked for log messages, when the transport cannot tell streams apart. */
  #onlyLogging(): Call | undefined {
    const asking = this.#calls.running().filter((call) => call.logLevel !== undefined);
    return asking.length === 1 ? asking[0] : undefined;
  }

  async #toHost(message: Json): Promise<void> {
    const text = JSON.stringify(message);
    await this.#o.sink(text, parseMessage(text));
  }

  async #toServer(message: Json): Promise<void> {
    const text = JSON.stringify(message);
    await this.#legacy.send(text, parseMessage(text)).catch((error) =>
      this.#o.log.warn(`Cannot answer the server: ${(error as Error).message}`)
    );
  }
}
