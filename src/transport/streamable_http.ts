/**
 * The Streamable HTTP transport of the 2025 era (2025-03-26 … 2025-11-25): every message is a POST,
 * replies come as JSON or an SSE stream, the session id is echoed, broken streams are resumed with
 * GET + `Last-Event-ID`, and an expired session is re-initialized by replaying the host's own
 * `initialize`. Every HTTP request goes through the {@linkcode ServerExchange}.
 *
 * @module
 */

import { LazyLink, linkSignals } from "../async/linked_signal.ts";
import { INTERNAL_ID_PREFIX, isInternalId } from "../jsonrpc/internal_id.ts";
import { type Envelope, type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { type BodyBytes, decodeBody, DEFAULT_MAX_MESSAGE_BYTES, formatBytes } from "../net/bounded_body.ts";
import {
  drain,
  failureFromResponse,
  isEventStream,
  isJson,
  readBodyBytes,
  sleep,
  unexpectedBody,
} from "./_http.ts";
import { BYTES_EVENT_MIN, readSseEvents, type SseReadOutcome } from "./_sse_stream.ts";
import { connectDeadline, Deadline, type ServerExchange } from "./exchange.ts";
import {
  isUnreachable,
  MAX_RESENDS,
  mayResend,
  mayRetry,
  NO_RECONNECT,
  reconnectDelay,
  type ReconnectSettings,
  SAFE_TO_RESEND,
} from "./reconnect.ts";
import { Outage, type OutageRetry } from "./_outage.ts";
import { HostHandshake, renewalRefusal } from "./handshake.ts";
import type { LivenessSettings } from "./liveness.ts";
import { LivenessMonitor, type Watch } from "./liveness_monitor.ts";
import { excerpt } from "../log/excerpt.ts";
import {
  type MessageSink,
  type RemoteTransport,
  type ResponseBytesSink,
  TransportError,
} from "./transport.ts";

/** Options for {@linkcode StreamableHttpTransport}. */
export interface StreamableHttpOptions {
  /** Every HTTP request to the server goes through it. */
  exchange: ServerExchange;
  /** Receives every server message. */
  sink: MessageSink;
  /**
   * Receives the large result responses to the host's requests as bytes, instead of `sink` (default: none,
   * every message goes to `sink`).
   */
  sinkBytes?: ResponseBytesSink;
  /** The logger. */
  log: Logger;
  /** How long the `initialize` exchange may take. */
  connectTimeoutMs: number;
  /** The largest message (JSON body or SSE event) accepted from the server. */
  maxMessageBytes?: number;
  /** The wait before reconnecting a stream when the server sent no `retry` (grows 1.5× per failure). */
  reconnectDelayMs?: number;
  /** How many reconnections in a row may fail (or bring nothing) before giving up on a stream. */
  maxReconnectAttempts?: number;
  /**
   * Called when the transport started a new session by itself (the server forgot the old one and the
   * host's `initialize` was replayed): state the server kept per session must be set up again.
   */
  onSessionRenewed?: () => void;
  /** How to wait for a server that went away after it was reached once (default: no reconnection). */
  reconnect?: ReconnectSettings;
  /** When to check the server with a ping (silence, suspend, keep-alive); default: never. */
  liveness?: LivenessSettings;
}

interface Exchange {
  /** The request id whose response ends the exchange (none for notifications and responses). */
  expectId: JsonRpcId | undefined;
  /** The bridge's own request: keep the response instead of giving it to the sink. */
  internal: boolean;
  /** An `initialize`: capture the session id and the negotiated version. */
  isInitialize: boolean;
  /** The response text, once it arrived (empty when it went to the host as bytes: `sinkBytes`). */
  response?: string;
}

/** The session ended and the exchange must be sent again after re-initializing. */
class SessionExpired extends Error {
  constructor(readonly sessionId: string) {
    super(`Session ${sessionId} expired`);
  }
}

/** The Streamable HTTP client transport. */
export class StreamableHttpTransport implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = "streamable-http";
  #o:
    & Required<Omit<StreamableHttpOptions, "onSessionRenewed" | "liveness" | "sinkBytes">>
    & Pick<StreamableHttpOptions, "onSessionRenewed" | "sinkBytes">;
  /** Pings the server when an answer is silent, after a suspend, and for the keep-alive. */
  #liveness: LivenessMonitor | undefined;
  /** Aborts the connection of the current GET stream (to open it again on a new one). */
  #getConnection: AbortController | undefined;
  /**
   * Whether the server was seen to start an answer well before its response (an event stream whose
   * headers came a second or more before it); `false` for good once it answers with JSON.
   */
  #streamsAtOnce: boolean | undefined;
  /** Whether the server answered once, and the waiting for it during an outage (see `reconnect.ts`). */
  #outage: Outage;
  /** The GET stream stopped after an outage outlasted the reconnection bounds. */
  #getGaveUp = false;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #handshake = new HostHandshake();
  #reinitializing: Promise<void> | undefined;
  #closed = false;
  #abort = new AbortController();
  #getLoop: Promise<void> | undefined;
  #getLoopSession: string | undefined;
  #internalSeq = 0;

  /**
   * Creates the transport; nothing is sent until the first message.
   *
   * @example Usage
   * ```ts ignore
   * import { StreamableHttpTransport } from "./streamable_http.ts";
   * const transport = new StreamableHttpTransport({
   *   exchange, log, connectTimeoutMs: 30_000, sink: async (text) => console.log(text),
   * });
   * ```
   *
   * @param options Where and how to connect.
   */
  constructor(options: StreamableHttpOptions) {
    this.#o = {
      reconnectDelayMs: 1000,
      maxReconnectAttempts: 5,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      reconnect: NO_RECONNECT,
      ...options,
    };
    this.#outage = new Outage({ host: this.#host, settings: this.#o.reconnect, log: this.#o.log });
    if (options.liveness) {
      this.#liveness = new LivenessMonitor({
        settings: options.liveness,
        host: this.#host,
        probe: (timeoutMs, fresh) => this.#ping(timeoutMs, fresh),
        reach: (timeoutMs) => this.#o.exchange.reach(timeoutMs),
        startsAnswersAtOnce: () => this.#streamsAtOnce === true,
        onSuspect: () => {
          this.#o.exchange.renewConnections();
          // The server's own stream is silent by design: open it again rather than trust it.
          this.#getConnection?.abort(new TransportError(`The GET stream of ${this.#host} is suspect`));
        },
        log: this.#o.log,
      });
    }
  }

  /** The current session id, if the server assigned one. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The protocol version negotiated by `initialize`. */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  get #host(): string {
    return this.#o.exchange.url.host;
  }

  /**
   * Sends one host message (see {@linkcode RemoteTransport.send}).
   *
   * @param text The message text, forwarded unchanged.
   * @param envelope Its envelope.
   * @param signal Aborts the exchange (the host cancelled the request).
   */
  async send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
    const part = this.#handshake.observe(text, envelope);
    const sent = this.#run(
      text,
      {
        expectId: envelope.kind === "request" ? envelope.id : undefined,
        internal: false,
        isInitialize: part === "initialize",
      },
      signal,
      envelope.kind === "response" ? "response" : envelope.kind === "invalid" ? "message" : envelope.method,
    );
    // Returned (no frame waits), but for the handshake's end.
    if (part !== "initialized") return sent;
    await sent;
    this.#startGetStream();
  }

  /**
   * Sends a request of the bridge's own (not the host's) and returns the response text.
   *
   * @param method The method.
   * @param params The params.
   * @returns The response text.
   */
  async request(method: string, params: Record<string, unknown> | undefined): Promise<string> {
    const id = this.#nextId();
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    return await this.#internal(body, id, method);
  }

  #nextId(): string {
    return `${INTERNAL_ID_PREFIX}${++this.#internalSeq}`;
  }

  async #internal(body: string, id: string, method: string): Promise<string> {
    const exchange: Exchange = { expectId: id, internal: true, isInitialize: method === "initialize" };
    await this.#run(body, exchange, undefined, method);
    return exchange.response!;
  }

  /** Ends the session with DELETE (when there is one) and stops every stream. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#liveness?.stop();
    const reason = new TransportError("The bridge is shutting down");
    this.#abort.abort(reason);
    // The requests' watches follow only their own ends: the transport's close ends them here.
    this.#liveness?.abortAll(reason);
    if (this.#sessionId !== undefined) {
      const deadline = new Deadline(500, "The DELETE of the session took too long");
      try {
        const res = await this.#o.exchange.send({
          method: "DELETE",
          headers: this.#protocolHeaders(false),
          deadline,
          operation: "DELETE session",
          challenge: false,
        });
        await drain(res);
        this.#o.log.debug(`DELETE session: HTTP ${res.status}`);
      } catch (error) {
        this.#o.log.debug(`DELETE session failed: ${(error as Error).message}`);
      } finally {
        deadline.clear();
      }
    }
    await this.#getLoop?.catch(() => {});
  }

  /** One exchange, re-sent once after a transparent re-initialization when the session expired. */
  async #run(
    body: string,
    exchange: Exchange,
    signal: AbortSignal | undefined,
    operation = "request",
  ): Promise<void> {
    let sessionRetried = false;
    let resent = 0;
    let retry: OutageRetry | undefined;
    let waitSignal: AbortSignal | undefined;
    while (true) {
      if (this.#reinitializing && !exchange.internal) await this.#reinitializing.catch(() => {});
      // The connect timeout bounds initialize, never the time spent signing in (the exchange pauses it).
      const deadline = exchange.isInitialize
        ? connectDeadline(this.#o.connectTimeoutMs, this.#host, "answer initialize")
        : undefined;
      // What ends this attempt: the host's cancel, the deadline, the transport's close. A request's answer is
      // watched by the liveness monitor, and its watch is that end (close() aborts every watch): no signal is
      // made besides it. Anything else gets one signal linked for this attempt only (cheaper than
      // AbortSignal.any: see async/linked_signal.ts).
      const ends = new LazyLink([this.#abort.signal, deadline?.signal, signal]);
      // The watch follows the host's cancel and the deadline (linked only when there are both).
      const parent = deadline !== undefined && signal !== undefined
        ? linkSignals([deadline.signal, signal])
        : undefined;
      const watch = exchange.expectId !== undefined && this.#liveness !== undefined
        ? this.#watch(parent?.signal ?? signal ?? deadline?.signal)
        : undefined;
      try {
        if (watch) watch.resendable = SAFE_TO_RESEND.has(operation);
        await this.#post(body, exchange, ends, watch?.signal ?? ends.signal!, operation, watch);
        this.#reached();
        return;
      } catch (error) {
        // This attempt's answer is over: a watch left open while an outage is waited out (or the session
        // renewed) would look like a silent answer to the liveness monitor.
        watch?.done();
        const ended = ends.aborted();
        if (ended !== undefined) throw this.#abortReason(ended);
        // A connection that broke under a request: the pooled ones may be going too (a server stopping
        // closes them all), so the next requests open new ones.
        if (error instanceof TransportError && error.outcomeUnknown) this.#o.exchange.renewConnections();
        if (this.#outage.reachedOnce && mayResend(error, operation)) {
          if (error instanceof TransportError && error.outcomeUnknown) {
            // A read whose answer was lost (a cut stream, a broken or stalled connection): sent again at
            // once, a bounded number of times (a server that keeps cutting must not make it loop). A
            // server that went away then fails to connect, and that is waited for below.
            if (++resent > MAX_RESENDS) throw error;
            this.#o.log.debug(`${operation}: the answer was lost (${error.message}); sending it again`);
            continue;
          }
          // Waiting is bounded by the reconnection settings, not by the connect deadline (made only now:
          // a request that goes through at once pays nothing for it).
          retry ??= this.#outage.retry(operation);
          waitSignal ??= signal ? AbortSignal.any([this.#abort.signal, signal]) : this.#abort.signal;
          await retry.wait(error as TransportError, waitSignal);
          if (waitSignal.aborted) throw this.#abortReason(waitSignal);
          continue;
        }
        if (error instanceof SessionExpired && !sessionRetried && !exchange.isInitialize) {
          sessionRetried = true;
          await this.#recoverSession(error.sessionId);
          continue;
        }
        throw error;
      } finally {
        watch?.done();
        parent?.unlink();
        ends.unlink();
        deadline?.clear();
      }
    }
  }

  /** A watch of the liveness monitor, ended by `parent` and by the transport's close. */
  #watch(parent: AbortSignal | undefined): Watch {
    const watch = this.#liveness!.watch(parent);
    // Closed meanwhile: close() aborted the watches there were.
    if (this.#abort.signal.aborted) watch.abort(this.#abortReason(this.#abort.signal));
    return watch;
  }

  /** The server answered: an outage, if there was one, is over. */
  #reached(): void {
    this.#outage.reached();
    this.#liveness?.start();
    // The GET stream gave up during a long outage (no 404 came to restart it): open it again.
    if (this.#getGaveUp && !this.#getLoop && this.#handshake.initialized !== undefined) {
      this.#getGaveUp = false;
      this.#startGetStream();
    }
  }

  #abortReason(signal: AbortSignal): TransportError {
    const reason = signal.reason;
    return reason instanceof TransportError ? reason : new TransportError("The request was cancelled");
  }

  #protocolHeaders(isInitialize: boolean): [string, string][] {
    const headers: [string, string][] = [];
    if (!isInitialize) {
      if (this.#sessionId !== undefined) headers.push(["mcp-session-id", this.#sessionId]);
      if (this.#protocolVersion !== undefined) headers.push(["mcp-protocol-version", this.#protocolVersion]);
    }
    return headers;
  }

  /**
   * One POST and the reading of its answer. `ends` ends the exchange (host, transport, deadline; linked only
   * for a resumption); `watched` goes to the request: it ends with them, and when the liveness watch declares
   * the answer stalled.
   */
  async #post(
    body: string,
    exchange: Exchange,
    ends: LazyLink,
    watched: AbortSignal,
    operation: string,
    watch: Watch | undefined,
  ): Promise<void> {
    const sentSession = this.#sessionId;
    const res = await this.#o.exchange.send({
      method: "POST",
      headers: [
        ["content-type", "application/json"],
        ["accept", "application/json, text/event-stream"],
        ...this.#protocolHeaders(exchange.isInitialize),
      ],
      body,
      signal: watched,
      operation,
      ...(exchange.expectId !== undefined ? { expectId: exchange.expectId } : {}),
    });
    watch?.progress();
    if (res.status === 404 && sentSession !== undefined && !exchange.isInitialize) {
      await drain(res);
      throw new SessionExpired(sentSession);
    }
    const url = this.#o.exchange.url;
    if (!res.ok) throw await failureFromResponse(res, url, exchange.expectId);
    if (exchange.isInitialize) {
      const session = res.headers.get("mcp-session-id");
      if (session) this.#sessionId = session;
    }
    if (exchange.expectId === undefined) {
      await drain(res);
      return;
    }
    if (res.status === 202 || res.status === 204 || res.body === null) {
      await drain(res);
      throw new TransportError(
        `The server at ${this.#host} accepted request ${JSON.stringify(exchange.expectId)} ` +
          `(HTTP ${res.status}) but sent no response: the server is not following the MCP transport`,
      );
    }
    if (isJson(res)) {
      this.#streamsAtOnce = false;
      let body: BodyBytes;
      try {
        body = await readBodyBytes(res, this.#o.maxMessageBytes, `the response from ${this.#host}`);
      } catch (error) {
        throw watch?.signal.aborted ? watch.signal.reason : error;
      }
      if (body.gathered !== undefined) {
        let passed = false;
        try {
          passed = await this.#passBytes(body.gathered.bytes(), exchange);
        } finally {
          if (passed) body.gathered.release();
        }
        if (passed) return;
      }
      await this.#routeJsonBody(decodeBody(body), exchange);
      if (exchange.response === undefined) {
        throw new TransportError(
          `The server at ${this.#host} answered without a response to request ` +
            `${JSON.stringify(exchange.expectId)}: the server is not following the MCP transport`,
        );
      }
      return;
    }
    if (!isEventStream(res)) throw await unexpectedBody(res, url);
    const headersAt = performance.now();
    const outcome = await this.#readStream(res.body, exchange, watch);
    if (exchange.response !== undefined && performance.now() - headersAt >= 1000) {
      this.#streamsAtOnce ??= true;
    }
    watch?.done();
    // Resumed under the attempt's own end (a stall of this stream must not end the resumption).
    if (exchange.response === undefined) await this.#resume(outcome, exchange, ends.signal!);
  }

  async #routeJsonBody(text: string, exchange: Exchange): Promise<void> {
    const trimmed = text.trimStart();
    if (trimmed.startsWith("[")) {
      // A 2025-03-26 server may answer with a batch.
      let items: unknown[];
      try {
        items = JSON.parse(trimmed);
      } catch {
        throw new TransportError(`The server at ${this.#host} sent malformed JSON: ${excerpt(trimmed, 80)}`);
      }
      for (const item of items) {
        const itemText = JSON.stringify(item);
        await this.#route(itemText, parseMessage(itemText), exchange);
      }
      return;
    }
    const envelope = parseMessage(text);
    if (envelope.kind === "invalid") {
      throw new TransportError(
        `The server at ${this.#host} sent a body that is not a JSON-RPC message (${envelope.reason})`,
      );
    }
    await this.#route(text, envelope, exchange);
  }

  /** Whether a large answer to this exchange may go to the host as its bytes (`sinkBytes`). */
  #takesBytes(exchange: Exchange | undefined): boolean {
    return this.#o.sinkBytes !== undefined && exchange !== undefined && exchange.expectId !== undefined &&
      !exchange.internal && !exchange.isInitialize;
  }

  /**
   * Gives a large answer to the exchange's request to the host as the bytes it came in, when it is one (a
   * result response to the request: `scanResponse`); `false` when it goes the text path.
   */
  async #passBytes(bytes: Uint8Array, exchange: Exchange | undefined): Promise<boolean> {
    if (!this.#takesBytes(exchange) || bytes.length < BYTES_EVENT_MIN) return false;
    // Loaded with the first large answer: most runs never need it at start-up.
    const { scanResponse } = await import("../jsonrpc/scan_response.ts");
    const scanned = scanResponse(bytes);
    if (scanned === undefined || scanned.id !== exchange!.expectId) return false;
    exchange!.response = "";
    this.#o.log.debug(
      `The answer to ${JSON.stringify(scanned.id)} (${
        formatBytes(bytes.length)
      }) goes to the host as it came`,
    );
    await this.#o.sinkBytes!(bytes, scanned.id);
    return true;
  }

  /** Gives a server message to the sink, or keeps it when it answers the bridge's own request. */
  async #route(text: string, envelope: Envelope, exchange: Exchange | undefined): Promise<void> {
    if (envelope.kind === "invalid") {
      this.#o.log.warn(`Ignoring a message from the server that is not JSON-RPC (${envelope.reason})`);
      return;
    }
    if (envelope.kind === "response") {
      if (exchange && exchange.expectId !== undefined && envelope.id === exchange.expectId) {
        exchange.response = text;
        if (exchange.isInitialize) {
          const result = envelope.value.result as Record<string, unknown> | undefined;
          if (typeof result?.protocolVersion === "string") this.#protocolVersion = result.protocolVersion;
        }
        if (exchange.internal) return;
      } else if (isInternalId(envelope.id)) {
        return;
      }
    }
    await this.#o.sink(text, envelope, exchange ? exchange.expectId ?? null : null);
  }

  async #readStream(
    body: ReadableStream<Uint8Array>,
    exchange: Exchange | undefined,
    watch?: Watch,
  ): Promise<SseReadOutcome> {
    const outcome = await readSseEvents(
      body,
      async (event) => {
        if (watch) {
          watch.progress();
          if (event.id !== "") watch.resumable = true;
        }
        if (event.event !== "message") return false;
        let data = event.data;
        if (event.bytes !== undefined) {
          if (await this.#passBytes(event.bytes, exchange)) return true;
          // As the text path decodes data (a byte order mark in it is data, not a mark to drop).
          data = new TextDecoder("utf-8", { ignoreBOM: true }).decode(event.bytes);
        }
        if (data.trim() === "") return false;
        await this.#route(data, parseMessage(data), exchange);
        // The stream of a request is done once its response arrived.
        return exchange?.response !== undefined;
      },
      { maxEventBytes: this.#o.maxMessageBytes, what: `the event stream of ${this.#host}` },
      { bytes: this.#takesBytes(exchange) },
    );
    // Cut by the liveness monitor: say why (the runtime may report a plain abort).
    if (watch?.signal.aborted && outcome.error !== undefined) outcome.error = watch.signal.reason;
    return outcome;
  }

  /**
   * Checks the server with a JSON-RPC `ping` (on a connection of its own when `fresh`): `true` when it
   * answered anything in time (an HTTP error is an answer), `false` when it could not be reached or said
   * nothing.
   */
  async #ping(timeoutMs: number, fresh: boolean): Promise<boolean> {
    if (this.#closed) return true;
    const body = JSON.stringify({ jsonrpc: "2.0", id: this.#nextId(), method: "ping" });
    const deadline = new Deadline(timeoutMs, `The server at ${this.#host} did not answer a ping in time`);
    try {
      const res = await this.#o.exchange.send({
        method: "POST",
        headers: [
          ["content-type", "application/json"],
          ["accept", "application/json, text/event-stream"],
          ...this.#protocolHeaders(false),
        ],
        body,
        signal: this.#abort.signal,
        deadline,
        operation: "ping",
        challenge: false,
        // No credentials: a ping must not wait for a refresh (a 401 is an answer too).
        anonymous: true,
        fresh,
      });
      await drain(res);
      return true;
    } catch (error) {
      if (this.#closed) return true;
      return error instanceof TransportError && (error.status !== undefined || error.permanent) &&
        !deadline.signal.aborted;
    } finally {
      deadline.clear();
    }
  }

  /** A GET for an event stream (resumption or the server's own stream). */
  async #get(lastEventId: string, signal: AbortSignal, operation: string, expectId?: JsonRpcId) {
    const headers: [string, string][] = [["accept", "text/event-stream"], ...this.#protocolHeaders(false)];
    if (lastEventId !== "") headers.push(["last-event-id", lastEventId]);
    return await this.#o.exchange.send({
      method: "GET",
      headers,
      signal,
      operation,
      ...(expectId !== undefined ? { expectId } : {}),
    });
  }

  /** Resumes a POST stream that broke before the response: GET with `Last-Event-ID`. */
  async #resume(first: SseReadOutcome, exchange: Exchange, signal: AbortSignal): Promise<void> {
    let lastEventId = first.lastEventId;
    let retry = first.retry;
    let failures = 0;
    const id = JSON.stringify(exchange.expectId);
    while (exchange.response === undefined) {
      // A stream that stalled (--body-timeout) and cannot be resumed: say that, not just "closed".
      if (lastEventId === "" && first.error instanceof TransportError) throw first.error;
      if (lastEventId === "") {
        // It reached the server, which may have run it: only a read-only request is sent again.
        throw new TransportError(
          `The server at ${this.#host} closed the event stream of request ${id} before answering, and gave ` +
            "no event id to resume from: the server may have run it, so mcp-bridge does not send it again; " +
            "check before you retry",
          { outcomeUnknown: true },
        );
      }
      if (failures >= this.#o.maxReconnectAttempts) {
        throw new TransportError(
          `Cannot resume the event stream of request ${id} from ${this.#host} after ${failures} attempts: ` +
            "the server stopped answering; try again",
        );
      }
      await sleep(retry ?? this.#o.reconnectDelayMs * 1.5 ** failures, signal);
      // #run says why; returning would read as an exchange that ended without a response.
      if (signal.aborted) throw new TransportError("The request was cancelled");
      const sentSession = this.#sessionId;
      let res: Response;
      const watch = this.#liveness?.watch(signal);
      if (watch) watch.resumable = true;
      try {
        res = await this.#get(
          lastEventId,
          watch?.signal ?? signal,
          "GET stream",
          exchange.expectId,
        );
        watch?.progress();
      } catch (error) {
        watch?.done();
        if (signal.aborted) throw error;
        failures++;
        this.#o.log.debug(`Resuming request ${id} failed: ${(error as Error).message}`);
        continue;
      }
      if (res.status === 404 && sentSession !== undefined) {
        watch?.done();
        await drain(res);
        throw new SessionExpired(sentSession);
      }
      if (res.status === 405) {
        watch?.done();
        await drain(res);
        throw new TransportError(
          `The event stream of request ${id} broke and ${this.#host} does not allow resuming it ` +
            "(GET answered 405): try again",
        );
      }
      if (!res.ok || !isEventStream(res) || res.body === null) {
        watch?.done();
        this.#o.log.debug(`Resuming request ${id}: HTTP ${res.status}`);
        await drain(res);
        failures++;
        continue;
      }
      this.#o.log.debug(`Resumed the event stream of request ${id} after event ${lastEventId}`);
      let outcome: SseReadOutcome;
      try {
        outcome = await this.#readStream(res.body, exchange, watch);
      } finally {
        watch?.done();
      }
      failures = outcome.events > 0 ? 0 : failures + 1;
      if (outcome.lastEventId !== "") lastEventId = outcome.lastEventId;
      retry = outcome.retry ?? retry;
    }
  }

  /** Re-initializes after the server forgot the session (404), once for all requests that hit it. */
  async #recoverSession(expired: string): Promise<void> {
    if (this.#reinitializing) return await this.#reinitializing;
    if (this.#sessionId !== expired) return;
    this.#reinitializing = (async () => {
      const id = this.#nextId();
      const initialize = this.#handshake.replay(id);
      if (initialize === undefined) {
        throw new TransportError(
          `The server at ${this.#host} ended the session and there is no initialize to replay`,
        );
      }
      this.#o.log.info(`The server ended session ${expired.slice(0, 8)}…; starting a new one transparently`);
      this.#sessionId = undefined;
      const response = await this.#internal(initialize, id, "initialize");
      const refused = renewalRefusal(response, this.#host);
      if (refused) throw refused;
      const initialized = this.#handshake.initialized;
      if (initialized !== undefined) {
        await this.#run(initialized, { expectId: undefined, internal: true, isInitialize: false }, undefined);
        this.#startGetStream();
      }
      this.#o.onSessionRenewed?.();
    })();
    try {
      await this.#reinitializing;
    } finally {
      this.#reinitializing = undefined;
    }
  }

  #startGetStream(): void {
    if (this.#closed) return;
    if (this.#getLoop && this.#getLoopSession === this.#sessionId) return;
    const session = this.#sessionId;
    const loop: Promise<void> = this.#runGetStream(session).finally(() => {
      if (this.#getLoop === loop) this.#getLoop = undefined;
    });
    this.#getLoop = loop;
    this.#getLoopSession = session;
  }

  /** The optional GET stream for server-initiated messages; 405 means the server offers none. */
  async #runGetStream(session: string | undefined): Promise<void> {
    const signal = this.#abort.signal;
    let lastEventId = "";
    let retry: number | undefined;
    let failures = 0;
    let outageSince: number | undefined;
    let outageAttempts = 0;
    const giveUp = (why: string) => this.#o.log.warn(`Giving up on the GET stream: ${why}`);
    while (!this.#closed && this.#sessionId === session) {
      if (failures > 0) await sleep(retry ?? this.#o.reconnectDelayMs * 1.5 ** (failures - 1), signal);
      if (this.#closed || this.#sessionId !== session) return;
      let res: Response;
      const connection = new AbortController();
      this.#getConnection = connection;
      const streamSignal = AbortSignal.any([signal, connection.signal]);
      try {
        res = await this.#get(lastEventId, streamSignal, "GET stream");
      } catch (error) {
        if (this.#closed) return;
        // Dropped as suspect (a sleep, a stall): opened again at once, and it is not the server's failure.
        if (connection.signal.aborted) continue;
        const status = (error as TransportError).status;
        // A refusal after signing in, a failed sign-in, a refused redirect: trying again changes nothing.
        if (status !== undefined) return giveUp((error as Error).message);
        if (this.#o.reconnect.enabled && isUnreachable(error)) {
          // The server went away: wait for it within the reconnection bounds, with no host message needed.
          // Once it answers, a new session is started (404) and the stream opened again on it.
          outageSince ??= Date.now();
          const wait = reconnectDelay(++outageAttempts, this.#o.reconnect);
          if (!mayRetry(outageSince, Date.now(), wait, this.#o.reconnect)) {
            this.#getGaveUp = true; // opened again when a request gets through
            return giveUp(`the server has been unreachable since ${new Date(outageSince).toISOString()}`);
          }
          this.#o.log.debug(`GET stream: the server cannot be reached; trying again in ${wait} ms`);
          await sleep(wait, signal);
          failures = 0;
          continue;
        }
        failures++;
        this.#o.log.debug(`GET stream failed: ${(error as Error).message}`);
        if (failures > this.#o.maxReconnectAttempts) return giveUp((error as Error).message);
        continue;
      }
      outageSince = undefined;
      outageAttempts = 0;
      this.#reached();
      if (res.status === 405) {
        await drain(res);
        this.#o.log.debug("The server offers no GET stream (405)");
        return;
      }
      if (res.status === 404 && session !== undefined) {
        await drain(res);
        void this.#recoverSession(session).catch((e) => this.#o.log.warn((e as Error).message));
        return;
      }
      if (!res.ok || !isEventStream(res) || res.body === null) {
        await drain(res);
        failures++;
        if (failures > this.#o.maxReconnectAttempts) {
          return giveUp(`the server answered HTTP ${res.status}`);
        }
        continue;
      }
      let outcome: SseReadOutcome;
      try {
        outcome = await this.#readStream(res.body, undefined);
      } catch (error) {
        if (this.#closed) return;
        // An event past the size limit: the stream is dropped; reconnecting is bounded like any failure.
        this.#o.log.warn((error as Error).message);
        failures++;
        if (failures > this.#o.maxReconnectAttempts) return giveUp("it keeps failing");
        continue;
      }
      if (outcome.lastEventId !== "") lastEventId = outcome.lastEventId;
      retry = outcome.retry ?? retry;
      if (connection.signal.aborted) {
        failures = 0; // dropped as suspect: not the server's failure, and opened again at once
        continue;
      }
      failures = outcome.events > 0 ? 1 : failures + 1;
      if (failures > this.#o.maxReconnectAttempts) return giveUp("it keeps closing");
    }
  }
}
