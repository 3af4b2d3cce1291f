/**
 * The HTTP exchange of the 2026-07-28 era: every request is one POST carrying its own `_meta` and
 * the `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers; the answer is JSON or
 * an SSE stream of related notifications ending with the response. No sessions, no GET stream, no
 * resumption: a stream cut before the response is reported, and the caller re-issues the request.
 *
 * @module
 */

import { type Envelope, type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import {
  drain,
  failureFromResponse,
  fetchOrExplain,
  isEventStream,
  isJson,
  unexpectedBody,
} from "./_http.ts";
import { readSseEvents } from "./_sse_stream.ts";
import { describeRefusedAfterSignIn } from "./http_errors.ts";
import { type AuthHook, type FetchLike, TransportError } from "./transport.ts";

/** Options for {@linkcode ModernHttpClient}. */
export interface ModernHttpOptions {
  /** The MCP endpoint. */
  url: URL;
  /** The user's headers (already interpolated). */
  headers: readonly (readonly [string, string])[];
  /** The fetch seam. */
  fetch: FetchLike;
  /** The logger. */
  log: Logger;
  /** OAuth credentials, when the bridge signs in by itself. */
  auth?: AuthHook;
}

/** The response stream of a request ended before its response: the request must be sent again. */
export class StreamCutError extends TransportError {
  /** @param host The server's host. */
  constructor(host: string) {
    super(`The server at ${host} closed the response stream before answering`);
    this.name = "StreamCutError";
  }
}

/** The answer to one request: the JSON-RPC response text, and the HTTP status it came with. */
export interface ModernAnswer {
  /** The response text. */
  text: string;
  /** The HTTP status (a JSON-RPC error may come with 400 or 404 in this era). */
  status: number;
  /** The response's envelope (parsed once, here). */
  envelope: Envelope;
}

/** A message that arrives on a request's stream before its response. */
export type StreamMessageHandler = (text: string, envelope: Envelope) => Promise<void>;

const MAX_AUTH_ATTEMPTS = 5;

/** Sends 2026-07-28 requests over HTTP. */
export class ModernHttpClient {
  #o: ModernHttpOptions;

  /**
   * Creates the client; nothing is sent yet.
   *
   * @example Usage
   * ```ts ignore
   * import { ModernHttpClient } from "./modern_http.ts";
   * const client = new ModernHttpClient({ url: new URL("https://example.com/mcp"), headers: [], fetch, log });
   * ```
   *
   * @param options Where and how to connect.
   */
  constructor(options: ModernHttpOptions) {
    this.#o = options;
  }

  /** The server URL. */
  get url(): URL {
    return this.#o.url;
  }

  /**
   * Sends one request and returns the text of its JSON-RPC response (an error response included:
   * a 4xx whose body is the server's JSON-RPC error for this request counts as an answer).
   *
   * @param body The request text (with its `_meta`).
   * @param id The request id.
   * @param headers The protocol headers for this request.
   * @param signal Aborting closes the stream (that is cancellation on HTTP).
   * @param onMessage Receives the notifications that precede the response.
   * @returns The response text and HTTP status.
   * @throws {StreamCutError} When the stream ended before the response.
   * @throws {TransportError} For any other failure, with a message for the user.
   */
  async request(
    body: string,
    id: JsonRpcId,
    headers: readonly [string, string][],
    signal: AbortSignal | undefined,
    onMessage: StreamMessageHandler,
  ): Promise<ModernAnswer> {
    for (let attempt = 1;; attempt++) {
      const sent = await this.#headers(headers);
      const res = await fetchOrExplain(this.#o.fetch, this.#o.url, {
        method: "POST",
        headers: sent,
        body,
        ...(signal ? { signal } : {}),
      });
      if ((res.status === 401 || res.status === 403) && this.#o.auth) {
        const failure = await failureFromResponse(res, this.#o.url, id);
        const method = headers.find(([name]) => name.toLowerCase() === "mcp-method")?.[1] ?? "request";
        let retry = false;
        if (attempt < MAX_AUTH_ATTEMPTS) {
          try {
            retry = await this.#o.auth.challenge(
              res.status,
              res.headers.get("www-authenticate"),
              sent.get("authorization") ?? undefined,
              method,
            );
          } catch (error) {
            throw new TransportError(
              `The server at ${this.#o.url.host} requires authorization (HTTP ${res.status}) and signing in failed: ` +
                (error as Error).message,
              { status: res.status, cause: error },
            );
          }
        }
        if (retry) continue;
        throw new TransportError(describeRefusedAfterSignIn(this.#o.url.host, res.status, failure.detail), {
          status: res.status,
        });
      }
      const [text, envelope] = await this.#answer(res, id, signal, onMessage);
      return { text, status: res.status, envelope };
    }
  }

  async #answer(
    res: Response,
    id: JsonRpcId,
    signal: AbortSignal | undefined,
    onMessage: StreamMessageHandler,
  ): Promise<[string, Envelope]> {
    if (!res.ok) {
      const failure = await failureFromResponse(res, this.#o.url, id);
      // A modern server answers protocol errors (unsupported version, header mismatch, unknown
      // method) with a 4xx whose body is the JSON-RPC error: that is the answer.
      if (failure.serverResponse !== undefined) {
        return [failure.serverResponse, parseMessage(failure.serverResponse)];
      }
      throw failure;
    }
    if (res.status === 202 || res.body === null) {
      await drain(res);
      throw new TransportError(
        `The server at ${this.#o.url.host} accepted request ${
          JSON.stringify(id)
        } (HTTP ${res.status}) but sent no response`,
      );
    }
    if (isJson(res)) {
      const text = await res.text();
      const envelope = parseMessage(text);
      if (envelope.kind === "response" && envelope.id === id) return [text, envelope];
      throw new TransportError(
        `The server at ${this.#o.url.host} answered without a response to request ${JSON.stringify(id)}`,
      );
    }
    if (!isEventStream(res)) throw await unexpectedBody(res, this.#o.url);
    let response: [string, Envelope] | undefined;
    const outcome = await readSseEvents(res.body, async (event) => {
      if (event.event !== "message" || event.data.trim() === "") return false;
      const envelope = parseMessage(event.data);
      if (envelope.kind === "response" && envelope.id === id) {
        response = [event.data, envelope];
        return true;
      }
      if (envelope.kind === "invalid") {
        this.#o.log.warn(`Ignoring a message from the server that is not JSON-RPC (${envelope.reason})`);
        return false;
      }
      await onMessage(event.data, envelope);
      return false;
    });
    if (response !== undefined) return response;
    if (signal?.aborted) throw new TransportError("The request was cancelled");
    if (outcome.error) {
      this.#o.log.debug(
        `Response stream of ${JSON.stringify(id)} broke: ${(outcome.error as Error).message}`,
      );
    }
    throw new StreamCutError(this.#o.url.host);
  }

  /**
   * Holds a `subscriptions/listen` stream open, giving every notification to `onMessage`, until the
   * stream ends or `signal` aborts.
   *
   * @param body The request text.
   * @param headers The protocol headers.
   * @param signal Ends the subscription.
   * @param onMessage Receives each notification.
   * @returns How many messages arrived.
   */
  async listen(
    body: string,
    headers: readonly [string, string][],
    signal: AbortSignal,
    onMessage: StreamMessageHandler,
  ): Promise<number> {
    const sent = await this.#headers(headers);
    const res = await fetchOrExplain(this.#o.fetch, this.#o.url, {
      method: "POST",
      headers: sent,
      body,
      signal,
    });
    if (!res.ok) throw await failureFromResponse(res, this.#o.url, undefined);
    if (!isEventStream(res) || res.body === null) {
      // A JSON answer ends the subscription at once (e.g. an error): pass it on.
      const text = await res.text();
      const envelope = parseMessage(text);
      if (envelope.kind !== "invalid") await onMessage(text, envelope);
      return 1;
    }
    const outcome = await readSseEvents(res.body, async (event) => {
      if (event.event !== "message" || event.data.trim() === "") return false;
      const envelope = parseMessage(event.data);
      if (envelope.kind !== "invalid") await onMessage(event.data, envelope);
      return false;
    });
    return outcome.events;
  }

  async #headers(own: readonly [string, string][]): Promise<Headers> {
    const headers = new Headers(this.#o.headers as [string, string][]);
    headers.set("content-type", "application/json");
    headers.set("accept", "application/json, text/event-stream");
    for (const [name, value] of own) headers.set(name, value);
    if (this.#o.auth) {
      const authorization = await this.#o.auth.header();
      if (authorization !== undefined) headers.set("authorization", authorization);
    }
    return headers;
  }
}
