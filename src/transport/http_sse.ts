/**
 * The HTTP+SSE transport of MCP 2024-11-05: a GET opens an event stream whose first event,
 * `endpoint`, names the URL to POST messages to; every server message arrives on that stream.
 *
 * @module
 */

import { INTERNAL_ID_PREFIX, isInternalId } from "../jsonrpc/internal_id.ts";
import { type Envelope, idKey, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../net/bounded_body.ts";
import { drain, failureFromResponse, isEventStream, readSnippet } from "./_http.ts";
import { readSseEvents } from "./_sse_stream.ts";
import { excerpt } from "../log/excerpt.ts";
import { connectDeadline, type Deadline, type ServerExchange } from "./exchange.ts";
import { HostHandshake } from "./handshake.ts";
import { type MessageSink, type RemoteTransport, TransportError } from "./transport.ts";

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
}

interface Waiter {
  resolve: () => void;
  reject: (error: TransportError) => void;
  internal: boolean;
  response?: string;
}

interface Connection {
  endpoint: URL;
  abort: AbortController;
  reader: Promise<void>;
  dead: boolean;
}

/** The HTTP+SSE client transport. */
export class HttpSseTransport implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = "http+sse";
  #o: HttpSseOptions;
  #connection: Promise<Connection> | undefined;
  #waiters = new Map<string, Waiter>();
  #closed = false;
  #handshake = new HostHandshake();
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
  }

  /**
   * Sends one host message (see {@linkcode RemoteTransport.send}). When the stream died since the
   * last message, it is opened again and the host's `initialize` replayed first.
   *
   * @param text The message text, forwarded unchanged.
   * @param envelope Its envelope.
   * @param signal Aborts waiting for the response (the host cancelled the request).
   */
  async send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
    const isInitialize = this.#handshake.observe(text, envelope) === "initialize";
    const connection = await this.#connected(!isInitialize);
    await this.#post(
      connection,
      text,
      envelope.kind === "request" ? idKey(envelope.id) : undefined,
      false,
      signal,
    );
  }

  /** Stops the stream. HTTP+SSE has no session to delete. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const connection = await this.#connection?.catch(() => undefined);
    if (connection) {
      connection.abort.abort();
      await connection.reader;
    }
    this.#failAll(new TransportError("The bridge is shutting down"));
  }

  /** The live connection; opens (and re-initializes) one when there is none or it died. */
  async #connected(replay: boolean): Promise<Connection> {
    const pending = this.#connection;
    const current = await pending?.catch(() => undefined);
    if (current && !current.dead) return current;
    // Whoever finds the connection dead first reconnects; the others wait for that one.
    if (this.#connection === pending) this.#connection = this.#reconnect(current !== undefined && replay);
    return await this.#connection!;
  }

  async #reconnect(replay: boolean): Promise<Connection> {
    const connection = await this.#open();
    const id = `${INTERNAL_ID_PREFIX}${++this.#internalSeq}`;
    const initialize = replay ? this.#handshake.replay(id) : undefined;
    if (initialize !== undefined) {
      this.#o.log.info(`The event stream from ${this.#url.host} was lost; reconnected and re-initializing`);
      await this.#post(connection, initialize, idKey(id), true, undefined);
      const initialized = this.#handshake.initialized;
      if (initialized !== undefined) await this.#post(connection, initialized, undefined, true, undefined);
      this.#o.onSessionRenewed?.();
    }
    return connection;
  }

  get #url(): URL {
    return this.#o.exchange.url;
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
        signal: abort.signal,
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
    const connection = { abort, dead: false } as Connection;
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
      await this.#route(event.data, parseMessage(event.data));
      return false;
    }, {
      maxEventBytes: this.#o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      what: `the event stream of ${url.host}`,
    }).then(
      (outcome) => {
        connection.dead = true;
        const why = outcome.error ? `: ${(outcome.error as Error).message}` : "";
        if (!this.#closed) this.#o.log.warn(`The event stream from ${url.host} closed${why}`);
        rejectEndpoint(
          new TransportError(
            `The server at ${url.host} closed the event stream before sending its endpoint`,
            { notAStream: true },
          ),
        );
        this.#failAll(
          new TransportError(
            `The event stream from ${url.host} closed before the response arrived${why}: try again ` +
              "(the bridge reconnects on the next message)",
          ),
        );
      },
      (error) => {
        connection.dead = true;
        rejectEndpoint(
          new TransportError(`Reading the event stream from ${url.host} failed: ${(error as Error).message}`),
        );
        this.#failAll(
          new TransportError(`Reading the event stream from ${url.host} failed: ${(error as Error).message}`),
        );
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

  async #post(
    connection: Connection,
    text: string,
    waitFor: string | undefined,
    internal: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let response: Promise<void> | undefined;
    if (waitFor !== undefined) {
      response = new Promise<void>((resolve, reject) => {
        this.#waiters.set(waitFor, { resolve, reject, internal });
      });
      // A rejection that nobody awaits yet (the POST is still running) must not crash the process.
      response.catch(() => {});
    }
    const signals = [connection.abort.signal, ...(signal ? [signal] : [])];
    const deadline = this.#deadline();
    try {
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
      if (waitFor !== undefined) this.#waiters.delete(waitFor);
      if (signal?.aborted) throw new TransportError("The request was cancelled");
      throw error instanceof TransportError ? error : new TransportError((error as Error).message);
    }
    if (response === undefined) return;
    if (signal) {
      const onAbort = () => {
        const waiter = this.#waiters.get(waitFor!);
        this.#waiters.delete(waitFor!);
        waiter?.reject(new TransportError("The request was cancelled"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await response;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    } else {
      await response;
    }
  }

  async #route(text: string, envelope: Envelope): Promise<void> {
    if (envelope.kind === "invalid") {
      this.#o.log.warn(`Ignoring a message from the server that is not JSON-RPC (${envelope.reason})`);
      return;
    }
    if (envelope.kind === "response" && envelope.id !== null) {
      const key = idKey(envelope.id);
      const waiter = this.#waiters.get(key);
      if (waiter) {
        this.#waiters.delete(key);
        if (!waiter.internal) await this.#o.sink(text, envelope);
        waiter.resolve();
        return;
      }
      if (isInternalId(envelope.id)) return;
    }
    await this.#o.sink(text, envelope);
  }

  #failAll(error: TransportError): void {
    const waiters = [...this.#waiters.values()];
    this.#waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
