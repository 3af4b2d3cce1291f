/**
 * The HTTP+SSE transport of MCP 2024-11-05: a GET opens an event stream whose first event,
 * `endpoint`, names the URL to POST messages to; every server message arrives on that stream.
 *
 * Reconnection (see `reconnect.ts` and `sse_resend.ts`): once the server has answered, a stream that
 * ends or breaks is opened again at once, without waiting for a host message, and when that fails, with
 * backoff and full jitter within `--reconnect-max-delay` and `--reconnect-max-duration` (the waiting of
 * `_outage.ts`). A new stream is a new session: the host's own `initialize` and
 * `notifications/initialized` are replayed on it once, under the bridge's own id, for every message that
 * waited. A stream that ends soon after it opened counts as one more failed attempt, so a flapping server
 * is not given a new session at full speed. With `--no-reconnect` (or before the server ever answered), a
 * lost stream is opened again by the next host message, as before.
 *
 * @module
 */

import { INTERNAL_ID_PREFIX, isInternalId } from "../jsonrpc/internal_id.ts";
import { type Envelope, idKey, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../net/bounded_body.ts";
import { drain, failureFromResponse, isEventStream, readSnippet } from "./_http.ts";
import { MAX_WAITING, Outage, type OutageRetry } from "./_outage.ts";
import { readSseEvents } from "./_sse_stream.ts";
import { excerpt } from "../log/excerpt.ts";
import { connectDeadline, type Deadline, type ServerExchange } from "./exchange.ts";
import { HostHandshake, renewalRefusal } from "./handshake.ts";
import { NO_RECONNECT, type ReconnectSettings, SAFE_TO_RESEND } from "./reconnect.ts";
import { mayReopen, sseResend, type SseTries, StreamLostError } from "./sse_resend.ts";
import { HTTP_SSE_KIND, type MessageSink, type RemoteTransport, TransportError } from "./transport.ts";

/** Options for {@linkcode HttpSseTransport}. */
export interface HttpSseOptions {
  /** Every HTTP request to the server goes through it (its URL is the SSE endpoint the user gave). */
  exchange: ServerExchange;
  /** Receives every server message. */
  sink: MessageSink;
  /** The logger. */
  log: Logger;
  /** How long opening the stream and receiving `endpoint` may take. */
  connectTimeoutMs: number;
  /** The largest event accepted from the server. */
  maxMessageBytes?: number;
  /** Called after a lost stream was opened again and the host's `initialize` replayed (a new session). */
  onSessionRenewed?: () => void;
  /** How to wait for a server that went away after it was reached once (default: no reconnection). */
  reconnect?: ReconnectSettings;
}

/**
 * A stream that ends sooner than this after it opened was no real recovery: opening the next one waits
 * like a failed attempt (a server that accepts the stream and drops it at once gets no session per
 * attempt at full speed).
 */
export const STABLE_STREAM_MS = 5000;

interface Waiter {
  resolve: (response: string) => void;
  reject: (error: TransportError) => void;
  internal: boolean;
}

interface Connection {
  endpoint: URL;
  abort: AbortController;
  reader: Promise<void>;
  dead: boolean;
  openedAt: number;
  /** The requests whose response is to arrive on this stream, by id. */
  waiters: Map<string, Waiter>;
}

/** One attempt to open a stream (and, for a new session, replay the handshake on it). */
interface Attempt {
  promise: Promise<Connection>;
  /** Set once it succeeded. */
  connection?: Connection;
  /** Set once it failed. */
  failed: boolean;
}

/** The HTTP+SSE client transport. */
export class HttpSseTransport implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = HTTP_SSE_KIND;
  #o: HttpSseOptions;
  #settings: ReconnectSettings;
  /** Whether the server answered once, and the waiting for it during an outage. */
  #outage: Outage;
  /** The stream in use, or the one being opened. */
  #attempt: Attempt | undefined;
  /** The stream in use, set as soon as it is ready. */
  #current: Connection | undefined;
  /** The waiting shared by attempts to open a stream, until one stays open (see {@linkcode STABLE_STREAM_MS}). */
  #reopening: OutageRetry | undefined;
  /** When the stream was lost (the outage the waiting messages are part of). */
  #lostSince: number | undefined;
  /** How many host messages wait for a stream now. */
  #queued = 0;
  #closed = false;
  #abort = new AbortController();
  #handshake = new HostHandshake();
  /** The server answered the host's own `initialize`: a new stream needs it replayed. */
  #hostInitialized = false;
  #internalSeq = 0;

  /**
   * Creates the transport; the stream is opened by the first message.
   *
   * @example Usage
   * ```ts ignore
   * import { HttpSseTransport } from "./http_sse.ts";
   * const transport = new HttpSseTransport({
   *   exchange, log, connectTimeoutMs: 30_000,
   *   sink: async (text) => console.log(text),
   * });
   * ```
   *
   * @param options Where and how to connect.
   */
  constructor(options: HttpSseOptions) {
    this.#o = options;
    this.#settings = options.reconnect ?? NO_RECONNECT;
    this.#outage = new Outage({ host: this.#url.host, settings: this.#settings, log: options.log });
  }

  /**
   * Sends one host message (see {@linkcode RemoteTransport.send}). When the stream died since the
   * last message, it is opened again and the host's `initialize` replayed first; during an outage the
   * message waits for the new stream (see the module documentation).
   *
   * @param text The message text, forwarded unchanged.
   * @param envelope Its envelope.
   * @param signal Aborts waiting for the response (the host cancelled the request).
   */
  async send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
    const isInitialize = this.#handshake.observe(text, envelope) === "initialize";
    const key = envelope.kind === "request" ? idKey(envelope.id) : undefined;
    const method = envelope.kind === "request" || envelope.kind === "notification"
      ? envelope.method
      : envelope.kind;
    const tries: SseTries = { resent: 0, renewed: 0 };
    let retry: OutageRetry | undefined;
    while (true) {
      const connection = await this.#connected(isInitialize, signal);
      try {
        await this.#post(connection, text, key, false, signal);
        if (isInitialize) this.#hostInitialized = true;
        return;
      } catch (error) {
        if (signal?.aborted) throw new TransportError("The request was cancelled");
        if (this.#closed) throw new TransportError("The bridge is shutting down");
        const next = sseResend(error, method, this.#active, tries);
        if (next.action === "fail") throw this.#final(error as TransportError, method);
        if (next.action === "resend") {
          tries.resent++;
          this.#o.log.debug(`${method}: the answer was lost (${(error as Error).message}); sending it again`);
        } else if (next.action === "renew") {
          tries.renewed++;
          this.#o.log.debug(`${method}: ${(error as Error).message}; opening the event stream again`);
          this.#retire(connection, `the message endpoint failed: ${(error as Error).message}`);
        } else {
          retry ??= this.#outage.retry(method);
          const waitSignal = signal ? AbortSignal.any([this.#abort.signal, signal]) : this.#abort.signal;
          await retry.wait(error as TransportError, waitSignal);
          if (signal?.aborted) throw new TransportError("The request was cancelled");
          if (this.#closed) throw new TransportError("The bridge is shutting down");
        }
      }
    }
  }

  /** Stops the stream. HTTP+SSE has no session to delete. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(new TransportError("The bridge is shutting down"));
    const connection = await this.#attempt?.promise.catch(() => undefined);
    if (connection) {
      this.#retire(connection, "the bridge is shutting down");
      await connection.reader;
    }
  }

  /** Reconnection is on and the server answered once: outages are waited for. */
  get #active(): boolean {
    return this.#settings.enabled && this.#outage.reachedOnce && !this.#closed;
  }

  get #url(): URL {
    return this.#o.exchange.url;
  }

  /** The error the host gets for a message that is not sent again. */
  #final(error: TransportError, method: string): TransportError {
    if (!(error instanceof StreamLostError) || !this.#active) return error;
    return SAFE_TO_RESEND.has(method)
      ? new TransportError(
        `${error.message}, and again after mcp-bridge sent it again: the server keeps losing its answer; ` +
          "try again later",
        { outcomeUnknown: true },
      )
      : new TransportError(
        `${error.message}: the server may have run it, so mcp-bridge does not send it again; check before ` +
          "you retry",
        { outcomeUnknown: true },
      );
  }

  /**
   * The live stream; opens one (replaying the handshake when a session existed) when there is none or the
   * last attempt failed, and waits for the one being opened.
   */
  async #connected(isInitialize: boolean, signal: AbortSignal | undefined): Promise<Connection> {
    const current = this.#current;
    if (current && !current.dead) return current;
    let attempt = this.#attempt;
    // None yet, or the last one failed or its stream died (no reconnection, or the bounds were spent).
    if (attempt === undefined || attempt.failed || attempt.connection !== undefined) {
      attempt = this.#start(this.#hostInitialized && !isInitialize, false, false);
    }
    if (this.#lostSince !== undefined && this.#queued >= MAX_WAITING) {
      throw new TransportError(
        `The server at ${this.#url.host} has been unreachable since ${
          new Date(this.#lostSince).toISOString()
        }: ` +
          `${MAX_WAITING} requests already wait for it`,
      );
    }
    this.#queued++;
    try {
      return await untilAborted(attempt.promise, signal);
    } finally {
      this.#queued--;
    }
  }

  /**
   * Starts opening a stream; `flapping` when the last one ended soon after it opened, `background` when
   * no host message asked for it (its failure is then logged).
   */
  #start(replay: boolean, flapping: boolean, background: boolean): Attempt {
    const attempt: Attempt = { promise: this.#establish(replay, flapping), failed: false };
    attempt.promise.then(
      (connection) => void (attempt.connection = connection),
      () => void (attempt.failed = true),
    );
    // A failure nobody waits for (the stream was lost with no host message waiting) must not crash.
    attempt.promise.catch((error) => {
      if (background && !this.#closed) this.#o.log.warn((error as Error).message);
    });
    this.#attempt = attempt;
    return attempt;
  }

  /** Opens a stream, replaying the handshake on it; during an outage, tries until the bounds are spent. */
  async #establish(replay: boolean, flapping: boolean): Promise<Connection> {
    const signal = this.#abort.signal;
    if (!flapping) this.#reopening = undefined;
    try {
      if (flapping && this.#active) {
        this.#reopening ??= this.#outage.retry("event stream");
        await this.#reopening.wait(
          new TransportError(`The event stream from ${this.#url.host} closed soon after it opened`),
          signal,
        );
      }
      while (true) {
        if (this.#closed) throw new TransportError("The bridge is shutting down");
        let connection: Connection | undefined;
        try {
          connection = await this.#open();
          if (replay) await this.#replay(connection);
          this.#outage.reached();
          this.#lostSince = undefined;
          this.#current = connection;
          return connection;
        } catch (error) {
          if (connection) this.#retire(connection, "the handshake failed on it");
          if (this.#closed) throw new TransportError("The bridge is shutting down");
          if (!this.#active || !mayReopen(error, connection !== undefined)) throw error;
          this.#lostSince ??= Date.now();
          this.#reopening ??= this.#outage.retry("event stream");
          await this.#reopening.wait(error as TransportError, signal);
        }
      }
    } catch (error) {
      // The bounds are spent (or the failure cannot be waited out): the next outage starts afresh.
      this.#reopening = undefined;
      this.#lostSince = undefined;
      throw error;
    }
  }

  /** Starts a new session on a new stream: the host's `initialize`, then `notifications/initialized`. */
  async #replay(connection: Connection): Promise<void> {
    const id = `${INTERNAL_ID_PREFIX}${++this.#internalSeq}`;
    const initialize = this.#handshake.replay(id);
    if (initialize === undefined) return;
    this.#o.log.info(`The event stream from ${this.#url.host} was lost; reconnected and re-initializing`);
    const response = await this.#post(connection, initialize, idKey(id), true, undefined);
    const refusal = renewalRefusal(response, this.#url.host);
    if (refusal) throw refusal;
    const initialized = this.#handshake.initialized;
    if (initialized !== undefined) await this.#post(connection, initialized, undefined, true, undefined);
    this.#o.onSessionRenewed?.();
  }

  /**
   * A stream is over (it ended, broke, or its session is gone): its requests lose their responses, and
   * when it was the one in use and reconnection is on, the next one is opened at once.
   */
  #retire(connection: Connection, why?: string): void {
    if (connection.dead) return;
    connection.dead = true;
    connection.abort.abort();
    const active = this.#active;
    const host = this.#url.host;
    const detail = why === undefined ? "" : ` (${why})`;
    const waiters = [...connection.waiters.entries()];
    connection.waiters.clear();
    for (const [key, waiter] of waiters) {
      const id = key.startsWith("n:") ? key.slice(2) : JSON.stringify(key.slice(2));
      waiter.reject(
        this.#closed ? new TransportError("The bridge is shutting down") : active
          ? new StreamLostError(
            `The event stream from ${host} closed before the response to request ${id} arrived${detail}`,
          )
          : new TransportError(
            `The event stream from ${host} closed before the response arrived${detail}: try again ` +
              "(the bridge reconnects on the next message)",
          ),
      );
    }
    if (this.#current !== connection) return;
    this.#current = undefined;
    if (!active) return;
    // The server went away, restarted, or a proxy cut the stream: the pooled connections may be going too
    // (a server stopping closes them all), so the next POSTs open new ones; and the stream is opened again
    // without waiting for the host.
    this.#o.exchange.renewConnections();
    this.#lostSince ??= Date.now();
    this.#start(this.#hostInitialized, Date.now() - connection.openedAt < STABLE_STREAM_MS, true);
  }

  async #open(): Promise<Connection> {
    const url = this.#url;
    const abort = new AbortController();
    const headersDeadline = this.#deadline();
    let res: Response;
    try {
      res = await this.#o.exchange.send({
        method: "GET",
        headers: [["accept", "text/event-stream"]],
        signal: AbortSignal.any([abort.signal, this.#abort.signal]),
        deadline: headersDeadline,
        operation: "GET stream",
      });
    } finally {
      headersDeadline.clear();
    }
    // From here on the timeout bounds the wait for the `endpoint` event.
    const endpointDeadline = this.#deadline();
    endpointDeadline.signal.addEventListener("abort", () => abort.abort(), { once: true });
    if (!res.ok) {
      endpointDeadline.clear();
      throw await failureFromResponse(res, url, undefined);
    }
    if (!isEventStream(res) || res.body === null) {
      endpointDeadline.clear();
      const body = await readSnippet(res, 200);
      throw new TransportError(
        `The server at ${url.host} answered the GET of ${url.pathname} with ` +
          `"${res.headers.get("content-type") ?? "no content type"}" instead of an event stream` +
          (body ? ` (the body starts "${excerpt(body, 80)}")` : "") + ": check the URL and --transport",
        { status: res.status, notAStream: true },
      );
    }
    let resolveEndpoint!: (endpoint: URL) => void;
    let rejectEndpoint!: (error: TransportError) => void;
    const endpointPromise = new Promise<URL>((resolve, reject) => {
      resolveEndpoint = resolve;
      rejectEndpoint = reject;
    });
    let endpoint: URL | undefined;
    const connection = {
      abort,
      dead: false,
      openedAt: Date.now(),
      waiters: new Map(),
    } as unknown as Connection;
    connection.reader = readSseEvents(res.body, async (event) => {
      if (event.event === "endpoint") {
        if (endpoint !== undefined) return false;
        let candidate: URL;
        try {
          candidate = new URL(event.data.trim(), url);
        } catch {
          rejectEndpoint(new TransportError(`The server at ${url.host} sent an endpoint that is not a URL`));
          return true;
        }
        if (
          candidate.origin !== url.origin ||
          (candidate.protocol !== "https:" && candidate.protocol !== "http:") ||
          candidate.username !== "" || candidate.password !== ""
        ) {
          rejectEndpoint(
            new TransportError(
              `Refusing the endpoint "${candidate.origin}" sent by ${url.host}: it must be on the same origin as ` +
                "the server URL, without credentials",
            ),
          );
          return true;
        }
        endpoint = candidate;
        resolveEndpoint(candidate);
        return false;
      }
      if (event.event !== "message" || event.data.trim() === "") return false;
      await this.#route(connection, event.data, parseMessage(event.data));
      return false;
    }, {
      maxEventBytes: this.#o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      what: `the event stream of ${url.host}`,
    }).then(
      (outcome) => {
        const why = outcome.error ? `: ${(outcome.error as Error).message}` : "";
        if (!this.#closed && !connection.dead) {
          this.#o.log.warn(`The event stream from ${url.host} closed${why}`);
        }
        rejectEndpoint(
          new TransportError(
            `The server at ${url.host} closed the event stream before sending its endpoint`,
            { notAStream: true },
          ),
        );
        this.#retire(connection, outcome.error ? (outcome.error as Error).message : undefined);
      },
      (error) => {
        const message = `Reading the event stream from ${url.host} failed: ${(error as Error).message}`;
        if (!this.#closed && !connection.dead) this.#o.log.warn(message);
        rejectEndpoint(new TransportError(message));
        this.#retire(connection, message);
      },
    );
    try {
      connection.endpoint = await endpointPromise;
    } catch (error) {
      abort.abort();
      await connection.reader;
      throw endpointDeadline.signal.aborted ? endpointDeadline.signal.reason : error;
    } finally {
      endpointDeadline.clear();
    }
    this.#o.log.debug(`HTTP+SSE endpoint: ${connection.endpoint.pathname}`);
    return connection;
  }

  /** The connect timeout for opening the stream, or for the headers of one POST (paused while signing in). */
  #deadline(): Deadline {
    return connectDeadline(this.#o.connectTimeoutMs, this.#url.host, "open its event stream");
  }

  /** POSTs one message; for a request, resolves with its response once it arrived on the stream. */
  async #post(
    connection: Connection,
    text: string,
    waitFor: string | undefined,
    internal: boolean,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    let response: Promise<string> | undefined;
    if (waitFor !== undefined) {
      response = new Promise<string>((resolve, reject) => {
        connection.waiters.set(waitFor, { resolve, reject, internal });
      });
      // A rejection that nobody awaits yet (the POST is still running) must not crash the process.
      response.catch(() => {});
    }
    // Not the stream's own signal: a POST under way when its stream ends still says whether the server got it.
    const signals = [this.#abort.signal, ...(signal ? [signal] : [])];
    const deadline = this.#deadline();
    try {
      if (connection.dead) {
        // Lost between the wait and the POST: nothing was sent.
        throw new TransportError(
          `The event stream from ${this.#url.host} closed before the message was sent`,
          {
            unreachable: true,
          },
        );
      }
      const res = await this.#o.exchange.send({
        method: "POST",
        url: connection.endpoint,
        headers: [["content-type", "application/json"]],
        body: text,
        signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals),
        deadline,
        operation: "message",
      });
      deadline.clear();
      if (!res.ok) throw await failureFromResponse(res, connection.endpoint, undefined);
      await drain(res);
    } catch (error) {
      deadline.clear();
      if (waitFor !== undefined) connection.waiters.delete(waitFor);
      if (signal?.aborted) throw new TransportError("The request was cancelled");
      // A connection that broke under the POST: the pooled ones may be going too.
      if (error instanceof TransportError && error.outcomeUnknown) this.#o.exchange.renewConnections();
      throw error instanceof TransportError ? error : new TransportError((error as Error).message);
    }
    if (response === undefined) return "";
    if (!signal) return await response;
    const onAbort = () => {
      const waiter = connection.waiters.get(waitFor!);
      connection.waiters.delete(waitFor!);
      waiter?.reject(new TransportError("The request was cancelled"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await response;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #route(connection: Connection, text: string, envelope: Envelope): Promise<void> {
    if (envelope.kind === "invalid") {
      this.#o.log.warn(`Ignoring a message from the server that is not JSON-RPC (${envelope.reason})`);
      return;
    }
    if (envelope.kind === "response" && envelope.id !== null) {
      const key = idKey(envelope.id);
      const waiter = connection.waiters.get(key);
      if (waiter) {
        connection.waiters.delete(key);
        if (!waiter.internal) await this.#o.sink(text, envelope);
        waiter.resolve(text);
        return;
      }
      if (isInternalId(envelope.id)) return;
    }
    await this.#o.sink(text, envelope);
  }
}

/** Waits for `promise`, or rejects with a cancellation as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new TransportError("The request was cancelled"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new TransportError("The request was cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
