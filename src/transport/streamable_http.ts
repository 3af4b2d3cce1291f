/**
 * The Streamable HTTP transport of the 2025 era (2025-03-26 … 2025-11-25): every message is a POST,
 * replies come as JSON or an SSE stream, the session id is echoed, broken streams are resumed with
 * GET + `Last-Event-ID`, and an expired session is re-initialized by replaying the host's own
 * `initialize`.
 *
 * @module
 */

import { type Envelope, type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
import { INTERNAL_ID_PREFIX } from "../jsonrpc/internal_id.ts";
import type { Logger } from "../log/logger.ts";
import {
  drain,
  failureFromResponse,
  fetchOrExplain,
  isEventStream,
  isJson,
  sleep,
  unexpectedBody,
} from "./_http.ts";
import { readSseEvents, type SseReadOutcome } from "./_sse_stream.ts";
import { describeRefusedAfterSignIn } from "./http_errors.ts";
import {
  type AuthHook,
  type FetchLike,
  type MessageSink,
  type RemoteTransport,
  TransportError,
} from "./transport.ts";

/** Options for {@linkcode StreamableHttpTransport}. */
export interface StreamableHttpOptions {
  /** The MCP endpoint. */
  url: URL;
  /** The user's headers (already interpolated). */
  headers: readonly (readonly [string, string])[];
  /** The fetch seam. */
  fetch: FetchLike;
  /** Receives every server message. */
  sink: MessageSink;
  /** The logger. */
  log: Logger;
  /** How long the `initialize` exchange may take. */
  connectTimeoutMs: number;
  /** The wait before reconnecting a stream when the server sent no `retry` (grows 1.5× per failure). */
  reconnectDelayMs?: number;
  /** How many reconnections in a row may fail (or bring nothing) before giving up on a stream. */
  maxReconnectAttempts?: number;
  /** OAuth credentials, when the bridge signs in by itself. */
  auth?: AuthHook;
}

interface Exchange {
  /** The request id whose response ends the exchange (none for notifications and responses). */
  expectId: JsonRpcId | undefined;
  /** The bridge's own request: keep the response instead of giving it to the sink. */
  internal: boolean;
  /** An `initialize`: capture the session id and the negotiated version. */
  isInitialize: boolean;
  /** The response text, once it arrived. */
  response?: string;
}

/** The session ended and the exchange must be sent again after re-initializing. */
class SessionExpired extends Error {
  constructor(readonly sessionId: string) {
    super(`Session ${sessionId} expired`);
  }
}

/** The server refused the credentials (401) or their scope (403); the auth hook decides what next. */
class AuthChallenge extends Error {
  constructor(
    readonly status: number,
    readonly wwwAuthenticate: string | null,
    readonly sentHeader: string | undefined,
    readonly failure: TransportError,
  ) {
    super(failure.message);
  }
}

/** The most attempts of one exchange through sign-ins and step-ups (1 + a refresh + 3 step-ups). */
const MAX_AUTH_ATTEMPTS = 5;

/** The Streamable HTTP client transport. */
export class StreamableHttpTransport implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = "streamable-http";
  #o: Required<Omit<StreamableHttpOptions, "auth">> & { auth?: AuthHook };
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #initializeText: string | undefined;
  #initializedText: string | undefined;
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
   *   url: new URL("https://example.com/mcp"), headers: [], fetch, log, connectTimeoutMs: 30_000,
   *   sink: async (text) => console.log(text),
   * });
   * ```
   *
   * @param options Where and how to connect.
   */
  constructor(options: StreamableHttpOptions) {
    this.#o = { reconnectDelayMs: 1000, maxReconnectAttempts: 5, ...options };
  }

  /** The current session id, if the server assigned one. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The protocol version negotiated by `initialize`. */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
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
    const isInitialize = envelope.kind === "request" && envelope.method === "initialize";
    if (isInitialize) this.#initializeText = text;
    const isInitialized = envelope.kind === "notification" && envelope.method === "notifications/initialized";
    if (isInitialized) this.#initializedText = text;
    await this.#run(
      text,
      {
        expectId: envelope.kind === "request" ? envelope.id : undefined,
        internal: false,
        isInitialize,
      },
      signal,
      envelope.kind === "response" ? "response" : envelope.kind === "invalid" ? "message" : envelope.method,
    );
    if (isInitialized) this.#startGetStream();
  }

  /**
   * Sends a request of the bridge's own (not the host's) and returns the response text.
   *
   * @param method The method.
   * @param params The params.
   * @returns The response text.
   */
  async request(method: string, params: Record<string, unknown> | undefined): Promise<string> {
    const id = `${INTERNAL_ID_PREFIX}${++this.#internalSeq}`;
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    const exchange: Exchange = { expectId: id, internal: true, isInitialize: method === "initialize" };
    await this.#run(body, exchange, undefined, method);
    return exchange.response!;
  }

  /** Ends the session with DELETE (when there is one) and stops every stream. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(new TransportError("The bridge is shutting down"));
    const session = this.#sessionId;
    if (session !== undefined) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), 500);
      try {
        const res = await this.#o.fetch(this.#o.url, {
          method: "DELETE",
          headers: await this.#headers({}),
          signal: deadline.signal,
        });
        await drain(res);
        this.#o.log.debug(`DELETE session: HTTP ${res.status}`);
      } catch (error) {
        this.#o.log.debug(`DELETE session failed: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
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
    for (let attempt = 1;; attempt++) {
      if (this.#reinitializing && !exchange.internal) await this.#reinitializing.catch(() => {});
      // The connect timeout bounds each attempt of initialize, never the time spent signing in.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signals = [this.#abort.signal];
      if (signal) signals.push(signal);
      if (exchange.isInitialize) {
        const timeout = new AbortController();
        timer = setTimeout(
          () =>
            timeout.abort(
              new TransportError(
                `Timed out after ${this.#o.connectTimeoutMs / 1000} s waiting for ${this.#o.url.host} to ` +
                  "answer initialize: check that the server is up, or raise --connect-timeout",
              ),
            ),
          this.#o.connectTimeoutMs,
        );
        signals.push(timeout.signal);
      }
      const combined = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
      try {
        await this.#exchange(body, exchange, combined);
        return;
      } catch (error) {
        if (combined.aborted) throw this.#abortReason(combined);
        if (error instanceof SessionExpired && !sessionRetried && !exchange.isInitialize) {
          sessionRetried = true;
          await this.#recoverSession(error.sessionId);
          continue;
        }
        if (error instanceof AuthChallenge) {
          if (attempt < MAX_AUTH_ATTEMPTS && await this.#challenge(error, operation)) continue;
          throw new TransportError(
            describeRefusedAfterSignIn(this.#o.url.host, error.status, error.failure.detail),
            {
              status: error.status,
              ...(error.failure.serverResponse ? { serverResponse: error.failure.serverResponse } : {}),
            },
          );
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Lets the auth hook react to a refusal; its failure becomes the host's error. */
  async #challenge(refusal: AuthChallenge, operation: string): Promise<boolean> {
    try {
      return await this.#o.auth!.challenge(
        refusal.status,
        refusal.wwwAuthenticate,
        refusal.sentHeader,
        operation,
      );
    } catch (error) {
      throw new TransportError(
        `The server at ${this.#o.url.host} requires authorization (HTTP ${refusal.status}) and signing in failed: ` +
          (error as Error).message,
        {
          status: refusal.status,
          cause: error,
        },
      );
    }
  }

  /** Throws an {@linkcode AuthChallenge} for a 401 or 403 when an auth hook can react to it. */
  async #refusal(res: Response, sent: Headers, expectId: JsonRpcId | undefined): Promise<void> {
    if ((res.status !== 401 && res.status !== 403) || !this.#o.auth) return;
    const wwwAuthenticate = res.headers.get("www-authenticate");
    const failure = await failureFromResponse(res, this.#o.url, expectId);
    throw new AuthChallenge(res.status, wwwAuthenticate, sent.get("authorization") ?? undefined, failure);
  }

  #abortReason(signal: AbortSignal): TransportError {
    const reason = signal.reason;
    return reason instanceof TransportError ? reason : new TransportError("The request was cancelled");
  }

  async #exchange(body: string, exchange: Exchange, signal: AbortSignal): Promise<void> {
    const sentSession = this.#sessionId;
    const headers = await this.#headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    }, exchange.isInitialize);
    const res = await fetchOrExplain(this.#o.fetch, this.#o.url, { method: "POST", headers, body, signal });
    await this.#refusal(res, headers, exchange.expectId);
    if (res.status === 404 && sentSession !== undefined && !exchange.isInitialize) {
      await drain(res);
      throw new SessionExpired(sentSession);
    }
    if (!res.ok) throw await failureFromResponse(res, this.#o.url, exchange.expectId);
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
        `The server at ${this.#o.url.host} accepted request ${JSON.stringify(exchange.expectId)} ` +
          `(HTTP ${res.status}) but sent no response: the server is not following the MCP transport`,
      );
    }
    if (isJson(res)) {
      const text = await res.text();
      await this.#routeJsonBody(text, exchange);
      if (exchange.response === undefined) {
        throw new TransportError(
          `The server at ${this.#o.url.host} answered without a response to request ` +
            `${JSON.stringify(exchange.expectId)}: the server is not following the MCP transport`,
        );
      }
      return;
    }
    if (!isEventStream(res)) throw await unexpectedBody(res, this.#o.url);
    const outcome = await this.#readStream(res.body, exchange);
    if (exchange.response === undefined) await this.#resume(outcome, exchange, signal);
  }

  async #routeJsonBody(text: string, exchange: Exchange): Promise<void> {
    const trimmed = text.trimStart();
    if (trimmed.startsWith("[")) {
      // A 2025-03-26 server may answer with a batch.
      let items: unknown[];
      try {
        items = JSON.parse(trimmed);
      } catch {
        throw new TransportError(
          `The server at ${this.#o.url.host} sent malformed JSON: ${trimmed.slice(0, 80)}`,
        );
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
        `The server at ${this.#o.url.host} sent a body that is not a JSON-RPC message (${envelope.reason})`,
      );
    }
    await this.#route(text, envelope, exchange);
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
      } else if (typeof envelope.id === "string" && envelope.id.startsWith(INTERNAL_ID_PREFIX)) {
        return;
      }
    }
    await this.#o.sink(text, envelope);
  }

  async #readStream(
    body: ReadableStream<Uint8Array>,
    exchange: Exchange | undefined,
  ): Promise<SseReadOutcome> {
    return await readSseEvents(body, async (event) => {
      if (event.event !== "message" || event.data.trim() === "") return false;
      await this.#route(event.data, parseMessage(event.data), exchange);
      // The stream of a request is done once its response arrived.
      return exchange?.response !== undefined;
    });
  }

  /** Resumes a POST stream that broke before the response: GET with `Last-Event-ID`. */
  async #resume(first: SseReadOutcome, exchange: Exchange, signal: AbortSignal): Promise<void> {
    let lastEventId = first.lastEventId;
    let retry = first.retry;
    let failures = 0;
    const id = JSON.stringify(exchange.expectId);
    while (exchange.response === undefined) {
      if (lastEventId === "") {
        throw new TransportError(
          `The server at ${this.#o.url.host} closed the event stream of request ${id} before answering, ` +
            "and gave no event id to resume from: try again",
        );
      }
      if (failures >= this.#o.maxReconnectAttempts) {
        throw new TransportError(
          `Cannot resume the event stream of request ${id} from ${this.#o.url.host} after ${failures} attempts: ` +
            "the server stopped answering; try again",
        );
      }
      await sleep(retry ?? this.#o.reconnectDelayMs * 1.5 ** failures, signal);
      if (signal.aborted) return;
      const sentSession = this.#sessionId;
      let res: Response;
      try {
        const headers = await this.#headers({ accept: "text/event-stream", "last-event-id": lastEventId });
        res = await fetchOrExplain(this.#o.fetch, this.#o.url, { method: "GET", headers, signal });
        await this.#refusal(res, headers, exchange.expectId);
      } catch (error) {
        if (signal.aborted) throw error;
        failures++;
        this.#o.log.debug(`Resuming request ${id} failed: ${(error as Error).message}`);
        continue;
      }
      if (res.status === 404 && sentSession !== undefined) {
        await drain(res);
        throw new SessionExpired(sentSession);
      }
      if (res.status === 405) {
        await drain(res);
        throw new TransportError(
          `The event stream of request ${id} broke and ${this.#o.url.host} does not allow resuming it ` +
            "(GET answered 405): try again",
        );
      }
      if (!res.ok || !isEventStream(res) || res.body === null) {
        this.#o.log.debug(`Resuming request ${id}: HTTP ${res.status}`);
        await drain(res);
        failures++;
        continue;
      }
      this.#o.log.debug(`Resumed the event stream of request ${id} after event ${lastEventId}`);
      const outcome = await this.#readStream(res.body, exchange);
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
      const initialize = this.#initializeText;
      if (initialize === undefined) {
        throw new TransportError(
          `The server at ${this.#o.url.host} ended the session and there is no initialize to replay`,
        );
      }
      this.#o.log.info(`The server ended session ${expired.slice(0, 8)}…; starting a new one transparently`);
      this.#sessionId = undefined;
      const params = (JSON.parse(initialize) as { params?: Record<string, unknown> }).params;
      const response = await this.request("initialize", params);
      const env = parseMessage(response);
      if (env.kind !== "response" || !("result" in env.value)) {
        throw new TransportError(
          `The server at ${this.#o.url.host} refused to start a new session: ${response.slice(0, 200)}`,
        );
      }
      if (this.#initializedText !== undefined) {
        await this.#run(
          this.#initializedText,
          { expectId: undefined, internal: true, isInitialize: false },
          undefined,
        );
        this.#startGetStream();
      }
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
    while (!this.#closed && this.#sessionId === session) {
      if (failures > 0) await sleep(retry ?? this.#o.reconnectDelayMs * 1.5 ** (failures - 1), signal);
      if (this.#closed || this.#sessionId !== session) return;
      let res: Response;
      let sentAuth: string | undefined;
      try {
        const own: Record<string, string> = { accept: "text/event-stream" };
        if (lastEventId !== "") own["last-event-id"] = lastEventId;
        const headers = await this.#headers(own);
        sentAuth = headers.get("authorization") ?? undefined;
        res = await fetchOrExplain(this.#o.fetch, this.#o.url, { method: "GET", headers, signal });
      } catch (error) {
        if (this.#closed) return;
        failures++;
        this.#o.log.debug(`GET stream failed: ${(error as Error).message}`);
        if (failures > this.#o.maxReconnectAttempts) {
          return this.#o.log.warn(`Giving up on the GET stream: ${(error as Error).message}`);
        }
        continue;
      }
      if ((res.status === 401 || res.status === 403) && this.#o.auth) {
        await drain(res);
        failures++;
        const challenge = res.headers.get("www-authenticate");
        const retry = await this.#o.auth.challenge(res.status, challenge, sentAuth, "GET stream").catch(
          (e) => {
            this.#o.log.warn(`GET stream: ${(e as Error).message}`);
            return false;
          },
        );
        if (!retry || failures > this.#o.maxReconnectAttempts) return;
        continue;
      }
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
          return this.#o.log.warn(`Giving up on the GET stream: the server answered HTTP ${res.status}`);
        }
        continue;
      }
      const outcome = await this.#readStream(res.body, undefined);
      if (outcome.lastEventId !== "") lastEventId = outcome.lastEventId;
      retry = outcome.retry ?? retry;
      failures = outcome.events > 0 ? 1 : failures + 1;
      if (failures > this.#o.maxReconnectAttempts) {
        return this.#o.log.warn("Giving up on the GET stream: it keeps closing");
      }
    }
  }

  async #headers(own: Record<string, string>, isInitialize = false): Promise<Headers> {
    const headers = new Headers(this.#o.headers as [string, string][]);
    for (const [name, value] of Object.entries(own)) headers.set(name, value);
    if (this.#o.auth) {
      const authorization = await this.#o.auth.header();
      if (authorization !== undefined) headers.set("authorization", authorization);
    }
    if (!isInitialize) {
      if (this.#sessionId !== undefined) headers.set("mcp-session-id", this.#sessionId);
      if (this.#protocolVersion !== undefined) headers.set("mcp-protocol-version", this.#protocolVersion);
    }
    return headers;
  }
}
