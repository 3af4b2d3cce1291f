/**
 * The one authorized HTTP exchange with the MCP server. Every request of every transport (the
 * Streamable HTTP POST and GET stream, HTTP+SSE, the 2026-07-28 POST and `subscriptions/listen`, the
 * DELETE that ends a session) goes through {@linkcode ServerExchange.send}, which owns:
 *
 * - the headers: the user's, then the transport's protocol headers, then `Authorization`;
 * - the one 401/403 challenge loop and its attempt limit (sign-in time never counts against a
 *   {@linkcode Deadline});
 * - the redirect policy: `redirect: "manual"`, same-origin redirects followed (at most
 *   {@linkcode MAX_REDIRECTS}), a cross-origin redirect refused, so that no header, cookie or token
 *   ever reaches another origin;
 * - the error text for network failures, missing `--allow-net` and refusals.
 *
 * Body-size limits live in the readers ({@linkcode readBoundedText}, the SSE reader), with one
 * `maxMessageBytes`.
 *
 * @module
 */

import type { JsonRpcId } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { drain, failureFromResponse, networkReason } from "./_http.ts";
import { withIdleTimeout } from "../net/idle_timeout.ts";
import { startTimer, type Timer } from "../time/timer.ts";
import { type CookieJar, MAX_COOKIES } from "../net/cookie_jar.ts";
import {
  describeHttpFailure,
  describeNetworkSetupFailure,
  describeRefusedAfterSignIn,
} from "./http_errors.ts";
import { SAFE_TO_RESEND } from "./reconnect.ts";
import { encodeUtf8 } from "../text/encode_utf8.ts";
import { type AuthHook, type FetchLike, TransportError } from "./transport.ts";

/** The most attempts of one request through sign-ins and step-ups (1 + a refresh + 3 step-ups). */
export const MAX_AUTH_ATTEMPTS = 5;

/** The most same-origin redirects one request follows. */
export const MAX_REDIRECTS = 5;

/**
 * A time limit that can be paused: it bounds the time spent waiting for the server, never the time
 * spent signing in (the exchange pauses it around a challenge). Its signal aborts with a
 * {@linkcode TransportError} with the message given.
 */
export class Deadline {
  #controller = new AbortController();
  #remaining: number;
  #message: string;
  #timer: Timer | undefined;
  #startedAt = 0;
  #cleared = false;

  /**
   * Starts the clock.
   *
   * @example Usage
   * ```ts
   * import { Deadline } from "./exchange.ts";
   * import assert from "node:assert/strict";
   *
   * const deadline = new Deadline(1000, "Timed out");
   * deadline.pause();
   * deadline.resume();
   * deadline.clear();
   * assert.equal(deadline.signal.aborted, false);
   * ```
   *
   * @param ms How long the server may take, in total over the running periods.
   * @param message The error when it runs out.
   */
  constructor(ms: number, message: string) {
    this.#remaining = ms;
    this.#message = message;
    this.resume();
  }

  /** Aborts when the time runs out. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the clock (while signing in). */
  pause(): void {
    if (this.#timer === undefined) return;
    this.#timer.cancel();
    this.#timer = undefined;
    this.#remaining -= Date.now() - this.#startedAt;
  }

  /** Starts the clock again. */
  resume(): void {
    if (this.#timer !== undefined || this.#cleared || this.#controller.signal.aborted) return;
    this.#startedAt = Date.now();
    // The runtime's own timer: Deno's global setTimeout would cost ~10 ms on the start-up path (time/timer.ts).
    this.#timer = startTimer(
      Math.max(0, this.#remaining),
      () => this.#controller.abort(new TransportError(this.#message)),
    );
  }

  /** Stops the clock for good (the exchange is over). */
  clear(): void {
    this.#cleared = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

/**
 * The deadline of a connection step (`initialize`, the era probe, the HTTP+SSE stream and its
 * `endpoint` event), with the error that names `--connect-timeout`.
 *
 * @example Usage
 * ```ts
 * import { connectDeadline } from "./exchange.ts";
 * import assert from "node:assert/strict";
 *
 * const deadline = connectDeadline(30_000, "example.com", "answer initialize");
 * deadline.clear();
 * assert.equal(deadline.signal.aborted, false);
 * ```
 *
 * @param ms `--connect-timeout`.
 * @param host The server's host.
 * @param step What the bridge waits for: `answer initialize`, `open its event stream`.
 * @returns The running deadline.
 */
export function connectDeadline(ms: number, host: string, step: string): Deadline {
  return new Deadline(
    ms,
    `Timed out after ${ms / 1000} s waiting for ${host} to ${step}: check that the server is up, or raise ` +
      "--connect-timeout",
  );
}

/** Options for {@linkcode ServerExchange}. */
export interface ServerExchangeOptions {
  /** The MCP server URL the user gave: its origin is the only one requests and redirects may reach. */
  url: URL;
  /** The user's headers (already interpolated). */
  headers: readonly (readonly [string, string])[];
  /** The fetch seam. */
  fetch: FetchLike;
  /** A fetch that opens a connection of its own for each request (default: `fetch`). */
  freshFetch?: FetchLike;
  /** Drops the pooled connections: the next requests of `fetch` open new ones. */
  renewConnections?: () => void;
  /** Whether a host accepts a TCP connection; `undefined` when that says nothing (a proxy). */
  reach?: (url: URL, ms: number) => Promise<boolean | undefined>;
  /** The logger. */
  log: Logger;
  /** OAuth credentials, when the bridge signs in by itself. */
  auth?: AuthHook;
  /** `--headers-timeout`: the longest wait for the response headers of one request (none by default). */
  headersTimeoutMs?: number;
  /** `--body-timeout`: the longest wait for the next chunk of a response body (none by default). */
  bodyTimeoutMs?: number;
  /** The server's cookies (load-balancer stickiness); absent with `--disable-cookies`. */
  cookies?: CookieJar;
}

/** One request to the MCP server. */
export interface ServerRequest {
  /** The HTTP method. */
  method: "GET" | "POST" | "DELETE";
  /** Where, when not the server URL (the HTTP+SSE message endpoint, on the same origin). */
  url?: URL;
  /** The transport's protocol headers (`Accept`, `Mcp-Session-Id`, …); they override the user's. */
  headers?: readonly (readonly [string, string])[];
  /** The body. */
  body?: string;
  /** Aborts the request (and its body). */
  signal?: AbortSignal;
  /** Bounds the waiting for the server; paused while signing in. */
  deadline?: Deadline;
  /** What is being done (a method name), to bound step-up attempts per operation and for messages. */
  operation: string;
  /** The JSON-RPC id the request carries, so that the server's own error response can be kept. */
  expectId?: JsonRpcId;
  /** Whether a 401/403 may start a sign-in (not for the DELETE at shutdown). Default true. */
  challenge?: boolean;
  /** Whether to send it on a connection of its own, not a pooled one (a liveness ping). */
  fresh?: boolean;
  /** Whether to send it without credentials (a liveness ping: nothing may wait for a refresh). */
  anonymous?: boolean;
}

/** Sends every HTTP request to the MCP server (see the module documentation). */
export class ServerExchange {
  #o: ServerExchangeOptions;
  /** The user's headers: lower-case names, repeated names joined as `Headers` joins them. */
  #userHeaders: HeaderRecord;
  /** The server refused a chunked body once (HTTP 411): bodies go as plain text from then on. */
  #lengthRequired = false;
  /** How many cookie values were registered as secrets. */
  #cookieSecrets = 0;

  /**
   * Creates the exchange; nothing is sent yet.
   *
   * @example Usage
   * ```ts ignore
   * import { ServerExchange } from "./exchange.ts";
   * const exchange = new ServerExchange({ url: new URL("https://example.com/mcp"), headers: [], fetch, log });
   * const res = await exchange.send({ method: "POST", body: "{}", operation: "ping" });
   * ```
   *
   * @param options The server, the user's headers, the fetch seam and the auth hook.
   */
  constructor(options: ServerExchangeOptions) {
    this.#o = options;
    this.#userHeaders = headerRecord();
    for (const [name, value] of options.headers) {
      const key = name.toLowerCase();
      const clean = trimHttpWhitespace(value);
      this.#userHeaders[key] = key in this.#userHeaders ? `${this.#userHeaders[key]}, ${clean}` : clean;
    }
  }

  /** The MCP server URL. */
  get url(): URL {
    return this.#o.url;
  }

  /** Whether the bridge signs in by itself (an auth hook is present). */
  get hasAuth(): boolean {
    return this.#o.auth !== undefined;
  }

  /** The pooled connections are suspect (the computer slept, a ping went unanswered): open new ones. */
  renewConnections(): void {
    this.#o.renewConnections?.();
  }

  /**
   * Whether the server's host accepts a TCP connection within `ms` (nothing is sent).
   *
   * @param ms The longest wait.
   * @returns `undefined` when it cannot be known (requests go through a proxy).
   */
  async reach(ms: number): Promise<boolean | undefined> {
    return this.#o.reach ? await this.#o.reach(this.#o.url, ms) : undefined;
  }

  /**
   * Sends one request with the current credentials and returns the server's answer. A 401 or 403
   * goes to the auth hook and the request is sent again when it has new credentials (at most
   * {@linkcode MAX_AUTH_ATTEMPTS} attempts); same-origin redirects are followed.
   *
   * @param request What to send.
   * @returns The response, never a 401/403 when an auth hook is present, never a redirect.
   * @throws {TransportError} For a network failure, a missing permission, a cross-origin redirect,
   *   a refusal after signing in, or a failed sign-in; the abort reason when aborted.
   */
  async send(request: ServerRequest): Promise<Response> {
    const url = request.url ?? this.#o.url;
    const deadline = request.deadline?.signal;
    const signal = deadline && request.signal
      ? AbortSignal.any([request.signal, deadline])
      : deadline ?? request.signal;
    const auth = request.challenge === false ? undefined : this.#o.auth;
    const fetch = request.fresh ? this.#o.freshFetch ?? this.#o.fetch : this.#o.fetch;
    const readOnly = SAFE_TO_RESEND.has(request.operation);
    for (let attempt = 1;; attempt++) {
      // Made at once without credentials to ask for (no frame waits then).
      const made = this.#headers(request.headers, request.anonymous === true);
      const headers = made instanceof Promise ? await made : made;
      const res = this.#isTimed(request)
        ? await this.#timed(
          request,
          signal,
          (timed) => this.#follow(fetch, url, request.method, headers, request.body, timed, readOnly),
        )
        : await this.#follow(fetch, url, request.method, headers, request.body, signal, readOnly);
      if ((res.status !== 401 && res.status !== 403) || !auth) return res;
      const failure = await failureFromResponse(res, url, request.expectId);
      const refused = () =>
        new TransportError(describeRefusedAfterSignIn(url.host, res.status, failure.detail), {
          status: res.status,
          ...(failure.serverResponse !== undefined ? { serverResponse: failure.serverResponse } : {}),
        });
      if (attempt >= MAX_AUTH_ATTEMPTS) throw refused();
      request.deadline?.pause();
      let retry: boolean;
      try {
        retry = await auth.challenge(
          res.status,
          res.headers.get("www-authenticate"),
          headers["authorization"],
          request.operation,
        );
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal, error);
        const why = `The server at ${url.host} requires authorization (HTTP ${res.status}) and signing in ` +
          `failed: ${(error as Error).message}`;
        // The authorization server could not be reached: an outage to wait out, like the server's own.
        if ((error as { unreachable?: unknown }).unreachable === true) {
          throw new TransportError(why, { unreachable: true, cause: error });
        }
        throw new TransportError(why, { status: res.status, cause: error });
      } finally {
        request.deadline?.resume();
      }
      if (!retry) throw refused();
    }
  }

  /** Whether `--headers-timeout` or `--body-timeout` applies to a request. */
  #isTimed(request: ServerRequest): boolean {
    return this.#o.headersTimeoutMs !== undefined ||
      (this.#o.bodyTimeoutMs !== undefined && request.method === "POST");
  }

  /**
   * Applies `--headers-timeout` to one exchange (its fetches and redirects) and `--body-timeout` to its body
   * (only for a request that {@linkcode ServerExchange.#isTimed}: the others go without this frame).
   */
  async #timed(
    request: ServerRequest,
    signal: AbortSignal | undefined,
    send: (signal: AbortSignal | undefined) => Promise<Response>,
  ): Promise<Response> {
    const { headersTimeoutMs, bodyTimeoutMs } = this.#o;
    const post = request.method === "POST";
    const host = (request.url ?? this.#o.url).host;
    let res: Response;
    if (headersTimeoutMs === undefined) res = await send(signal);
    else {
      const late = new AbortController();
      const timer = setTimeout(() => {
        late.abort(
          new TransportError(
            `The server at ${host} sent no response headers within ${headersTimeoutMs / 1000} s ` +
              "(--headers-timeout)" +
              (post ? ": it may still run the request, so mcp-bridge does not send it again" : ""),
            { outcomeUnknown: post },
          ),
        );
      }, headersTimeoutMs);
      try {
        res = await send(signal ? AbortSignal.any([signal, late.signal]) : late.signal);
      } finally {
        clearTimeout(timer);
      }
    }
    // The GET stream of the server's own messages is silent by design: only answers to requests are timed.
    if (bodyTimeoutMs === undefined || !post) return res;
    return withIdleTimeout(
      res,
      bodyTimeoutMs,
      () =>
        new TransportError(
          `The server at ${host} sent nothing for ${bodyTimeoutMs / 1000} s in the middle of a response ` +
            "(--body-timeout): the connection seems stalled",
          { outcomeUnknown: post },
        ),
    );
  }

  /**
   * Keeps the cookies the server sets. They are its credentials too: the redactor already removes any
   * `Cookie`/`Set-Cookie` it sees, and the first {@linkcode MAX_COOKIES} values are also registered by
   * value. Not more: a balancer that sets a new value on every response would grow the redactor forever.
   */
  #keepCookies(res: Response): void {
    if (!this.#o.cookies) return;
    const set = res.headers.getSetCookie();
    if (set.length === 0) return;
    for (const value of this.#o.cookies.store(set)) {
      if (this.#cookieSecrets >= MAX_COOKIES) break;
      this.#cookieSecrets++;
      this.#o.log.addSecret(value);
    }
  }

  /**
   * The headers of one request, as a plain record: the runtime reads it with far less work than a
   * `Headers`, which it would iterate sorted (23 µs against 6 µs a request, 8 KB less garbage).
   */
  #headers(
    own: readonly (readonly [string, string])[] | undefined,
    anonymous = false,
  ): HeaderRecord | Promise<HeaderRecord> {
    const headers = Object.assign(headerRecord(), this.#userHeaders);
    if (own) { for (let i = 0; i < own.length; i++) headers[lowerName(own[i]![0])] = own[i]![1]; }
    const cookies = this.#o.cookies?.header();
    if (cookies !== undefined) {
      const mine = headers["cookie"];
      headers["cookie"] = mine ? `${mine}; ${cookies}` : cookies;
    }
    const auth = this.#o.auth;
    return auth && !anonymous && auth.hasNoCredentials?.() !== true
      ? this.#authorize(headers, auth)
      : headers;
  }

  /** Adds the credentials of the auth hook to a request's headers. */
  async #authorize(headers: HeaderRecord, auth: AuthHook): Promise<HeaderRecord> {
    let authorization: string | undefined;
    try {
      authorization = await auth.header();
    } catch (error) {
      // A credential helper that failed: one clear error for the host, not an internal one.
      if (error instanceof TransportError) throw error;
      throw new TransportError((error as Error).message, { permanent: true, cause: error });
    }
    if (authorization !== undefined) {
      // Trimmed as `Headers` would: the value the proof is made for (`ath`) is the one sent.
      headers[(auth.headerName?.() ?? "authorization").toLowerCase()] = trimHttpWhitespace(authorization);
    }
    return headers;
  }

  /** Whether a request carries a DPoP-bound token, so needs a `DPoP` proof (RFC 9449 §7). */
  #needsProof(headers: HeaderRecord): boolean {
    const authorization = headers["authorization"];
    return this.#o.auth?.proof !== undefined && authorization !== undefined && /^dpop\s/i.test(authorization);
  }

  /** Sets the `DPoP` proof of a request that `#needsProof`. */
  async #prove(headers: HeaderRecord, method: string, url: URL): Promise<void> {
    let proof: string | undefined;
    try {
      proof = await this.#o.auth!.proof!(method, url, headers["authorization"]!);
    } catch (error) {
      // A proof that cannot be made: one clear error for the host, as for a failed `header()`.
      if (error instanceof TransportError) throw error;
      throw new TransportError(`Cannot make the DPoP proof: ${(error as Error).message}`, {
        permanent: true,
        cause: error,
      });
    }
    if (proof) headers["dpop"] = proof;
    else delete headers["dpop"];
  }

  /** One fetch of one hop, with a fresh DPoP proof when the token needs one (no frame waits otherwise). */
  #fetchOnce(
    fetch: FetchLike,
    url: URL,
    method: string,
    headers: HeaderRecord,
    body: string | undefined,
    streamed: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const init: RequestInit = { method, headers, redirect: "manual" };
    if (body !== undefined) init.body = streamed ? oneShotBody(body) : body;
    if (signal) init.signal = signal;
    // A DPoP-bound token needs a fresh proof for every request it goes with, redirect hops included.
    if (this.#needsProof(headers)) {
      return this.#prove(headers, method, url).then(() => fetchOrExplain(fetch, url, init));
    }
    return fetchOrExplain(fetch, url, init);
  }

  /** One fetch, following same-origin redirects and refusing the others. */
  async #follow(
    fetch: FetchLike,
    url: URL,
    method: string,
    headers: HeaderRecord,
    body: string | undefined,
    signal: AbortSignal | undefined,
    readOnly: boolean,
  ): Promise<Response> {
    let current = url;
    let currentMethod = method;
    let currentBody = body;
    for (let hops = 0;; hops++) {
      // Only what must not run twice needs the once-only stream (oneShotBody); a read goes plain: no
      // stream to pump (6 ms on a start's first request).
      let streamed = currentBody !== undefined && !this.#lengthRequired && !readOnly;
      let res = await this.#fetchOnce(fetch, current, currentMethod, headers, currentBody, streamed, signal);
      this.#keepCookies(res);
      this.#o.auth?.observe?.(current, res.headers);
      if (res.status === 411 && streamed) {
        // The server wants a Content-Length (it refused the request unread): send a plain body from now on.
        await drain(res);
        this.#lengthRequired = true;
        this.#o.log.warn(
          `The server at ${current.host} refuses chunked requests (HTTP 411): sending plain bodies, which the ` +
            "runtime may re-send by itself after a broken connection",
        );
        streamed = false;
        res = await this.#fetchOnce(fetch, current, currentMethod, headers, currentBody, streamed, signal);
        this.#keepCookies(res);
        this.#o.auth?.observe?.(current, res.headers);
      }
      if (!isRedirect(res.status)) return res;
      await drain(res);
      const where = `${current.host}${current.pathname}`;
      const location = res.headers.get("location");
      let target: URL | undefined;
      try {
        target = location === null ? undefined : new URL(location, current);
      } catch {
        target = undefined;
      }
      if (target === undefined) {
        throw new TransportError(
          `The server at ${where} answered HTTP ${res.status} without a usable Location: check the server URL`,
          { status: res.status },
        );
      }
      if (target.origin !== this.#o.url.origin) {
        throw new TransportError(
          `Refusing the redirect from ${where} to ${target.origin}: mcp-bridge follows redirects only on the ` +
            "server's own origin, so that headers and credentials never reach another one; if you trust " +
            "the new address, use it as the server URL",
          { status: res.status },
        );
      }
      if (target.username !== "" || target.password !== "") {
        throw new TransportError(
          `Refusing the redirect from ${where}: the new address carries credentials (user:password@)`,
          { status: res.status },
        );
      }
      if (hops >= MAX_REDIRECTS) {
        throw new TransportError(
          `The server at ${where} redirected more than ${MAX_REDIRECTS} times: check the server URL`,
          { status: res.status },
        );
      }
      this.#o.log.debug(`Following HTTP ${res.status} from ${current.pathname} to ${target.pathname}`);
      if (res.status === 303 && currentMethod !== "GET") {
        currentMethod = "GET";
        currentBody = undefined;
        delete headers["content-type"];
      }
      current = target;
    }
  }
}

/**
 * A request body that can be read once only. The runtime's HTTP client sends a request again by itself
 * when a reused connection closes before the answer, even if the server had received it: a tool call
 * would run twice. It can only with a body it can replay; a stream is read once, so a broken exchange
 * fails instead (the bridge then decides, by its own rules). It goes out chunked on HTTP/1.1. A request
 * that only reads (`SAFE_TO_RESEND`: `initialize`, `tools/list`, …) goes without it.
 */
function oneShotBody(text: string): ReadableStream<Uint8Array> {
  const bytes = encodeUtf8(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Request headers by lower-case name, without a prototype (so that any token is an ordinary key). */
type HeaderRecord = Record<string, string>;

function headerRecord(): HeaderRecord {
  // Fast properties (`Object.create(null)` is a dictionary: 1.5 KB more).
  return Object.setPrototypeOf({}, null) as HeaderRecord;
}

/** The lower-case forms of the header names seen (the transports' own few, bounded: names come from servers too). */
const LOWER_NAMES = new Map<string, string>();
const MAX_LOWER_NAMES = 64;

/** A header name in lower case, without a new string for each request. */
function lowerName(name: string): string {
  const known = LOWER_NAMES.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  if (LOWER_NAMES.size < MAX_LOWER_NAMES) LOWER_NAMES.set(name, lower);
  return lower;
}

/** A value without its leading and trailing HTTP whitespace (tab, LF, CR, space), as `Headers` keeps it. */
function trimHttpWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isHttpWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function abortReason(signal: AbortSignal, fallback: unknown): unknown {
  return signal.reason ?? fallback;
}

/**
 * Runs `fetch`, turning a network failure or a missing `--allow-net` into a readable
 * {@linkcode TransportError}; an abort rethrows the signal's reason.
 */
async function fetchOrExplain(fetch: FetchLike, url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw abortReason(init.signal, error);
    if (error instanceof TypeError && INVALID_HEADER.test(error.message)) {
      // A header the runtime refuses (a control or non-Latin-1 character): nothing was sent, and sending it
      // again cannot help. The runtime's message quotes the value, which may be a credential: not repeated.
      const what = /^invalid header name/i.test(error.message)
        ? "name"
        : /^invalid header value/i.test(error.message)
        ? "value"
        : "name or value";
      throw new TransportError(
        `Cannot send the request to ${url.host}: a header ${what} is not valid HTTP (a line break, a control ` +
          "or a non-Latin-1 character): check --header values and what the credential helper prints",
        // No cause: its message quotes the value.
        { permanent: true },
      );
    }
    if (error instanceof Deno.errors.NotCapable) {
      const port = url.port || (url.protocol === "https:" ? "443" : "80");
      throw new TransportError(
        `Cannot connect to ${url.host}: mcp-bridge lacks network permission: add --allow-net=${url.hostname}:${port}`,
        { cause: error },
      );
    }
    const reason = networkReason(error);
    const stage = networkStage(error);
    const network = describeNetworkSetupFailure(url.host, reason);
    if (
      network === undefined && init.method === "POST" && stage !== "Connect" && SENT_THEN_BROKEN.test(reason)
    ) {
      throw new TransportError(
        `The connection to ${url.host} broke after the request was sent and before any answer (${reason}): ` +
          "the server may have run it, so mcp-bridge does not send it again; check before you retry",
        { cause: error, outcomeUnknown: true },
      );
    }
    throw new TransportError(
      network ?? describeHttpFailure({ host: url.host, path: url.pathname, networkError: reason }),
      {
        cause: error,
        // The runtime labels a failure to open the connection "Connect": nothing was sent then.
        ...(network
          ? { permanent: true }
          : stage === "Connect" || NOT_CONNECTED.test(reason)
          ? { unreachable: true }
          : {}),
      },
    );
  }
}

/** The runtime's refusal of a header (`Headers` and the `Request` constructor word it differently). */
const INVALID_HEADER = /^invalid header (name|value)|'headers' of 'RequestInit'.*not a valid ByteString/i;

/** Which stage of the runtime's client failed (`Connect`, `SendRequest`, …), from its error text. */
function networkStage(error: unknown): string | undefined {
  for (
    let e = error as { message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 6;
    depth++
  ) {
    const stage = /client error \((\w+)\)/.exec(e.message ?? "")?.[1];
    if (stage) return stage;
    e = e.cause as { message?: string; cause?: unknown } | undefined;
  }
  return undefined;
}

/** A connection that could not be opened: nothing was sent. */
const NOT_CONNECTED =
  /tcp connect error|dns error|failed to lookup|connection refused|network is unreachable|no route/i;

/** A connection that broke once the request was on its way (not one that could not be opened). */
const SENT_THEN_BROKEN = /closed before message completed|connection reset|broken pipe|unexpected eof/i;
