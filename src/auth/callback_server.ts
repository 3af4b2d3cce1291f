/**
 * The loopback listener that receives the OAuth authorization response (RFC 8252 §7.3). It is up
 * before its promise resolves, so the caller prints or opens the authorization URL only once
 * something listens for the redirect.
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import type { Logger } from "../log/logger.ts";

/** Options for {@linkcode startCallbackServer}. */
export interface CallbackServerOptions {
  /**
   * The host of the redirect URI (`--host`): `localhost`, an IPv4 loopback literal or `[::1]`.
   * For `localhost` the listener binds `127.0.0.1` and `::1`; when it cannot bind both (no IPv6, no
   * `--allow-net=[::1]`, or another program holds the port on one of them) the redirect URI names
   * the address it does listen on (`127.0.0.1` or `[::1]`) instead of `localhost`. An IPv4 literal
   * binds `127.0.0.1`, `[::1]` binds `::1`.
   */
  host: string;
  /** The port (`0` picks a free one). */
  port: number;
  /** The callback path (`--callback-path`), starting with `/`. */
  path: string;
  /** The `state` sent in the authorization request; a callback with any other is ignored. */
  state: string;
  /** Stops waiting: `result` rejects with an {@linkcode AuthError} and the listener closes. */
  signal?: AbortSignal;
  /** `--auth-success-url`: a successful callback is answered `303` to it. */
  successUrl?: string;
  /** The logger. */
  log: Logger;
}

/** A running callback listener. */
export interface CallbackServer {
  /**
   * `http://<host>:<port><path>`, to register and send as `redirect_uri`; for `localhost`, the IP
   * literal actually listened on when only one of `127.0.0.1` and `::1` could be bound.
   */
  redirectUri: string;
  /**
   * The query parameters of the first callback with the right `state` (`code`, `state`, `iss`, or
   * `error`, `error_description`, …). Rejects with an {@linkcode AuthError} on abort or close.
   */
  result: Promise<URLSearchParams>;
  /** Stops the listeners (idempotent). */
  close(): Promise<void>;
}

/** Parameters that RFC 6749 §3.1 allows at most once. */
const SINGLE_PARAMS = ["code", "state", "iss", "error", "error_description", "error_uri"];

const SECURITY_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example Usage
 * ```ts
 * import { escapeHtml } from "./callback_server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeHtml(`<b a="1">'&'</b>`), "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
 * ```
 *
 * @param text Untrusted text.
 * @returns The text with `&`, `<`, `>`, `"` and `'` replaced by character references.
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/**
 * Starts the callback listener and resolves once it accepts connections.
 *
 * @example Usage
 * ```ts ignore
 * import { startCallbackServer } from "./callback_server.ts";
 * import { Logger } from "../log/logger.ts";
 *
 * const server = await startCallbackServer({
 *   host: "localhost",
 *   port: 3334,
 *   path: "/oauth/callback",
 *   state: crypto.randomUUID(),
 *   signal: AbortSignal.timeout(300_000),
 *   log: new Logger({ level: "info" }),
 * });
 * try {
 *   // Only now print or open the authorization URL (with server.redirectUri in it).
 *   const params = await server.result;
 *   console.log(params.get("code") !== null);
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @param options Where to listen and which `state` to accept.
 * @returns The running listener.
 * @throws {AuthError} When the port is in use (`EADDRINUSE`; the message names the port, and the
 * cause is `Deno.errors.AddrInUse`), when listening is not permitted, or when an option is invalid.
 */
export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const { host, path, state, signal, log } = options;
  if (!path.startsWith("/") || /[?#\s]/.test(path)) {
    throw new AuthError(
      `Invalid callback path: ${JSON.stringify(path)} must start with "/" and have no query`,
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new AuthError(`Invalid callback port: ${options.port}`);
  }
  if (state.length === 0) throw new AuthError("Invalid callback state: it must not be empty");
  const successUrl = options.successUrl === undefined ? undefined : checkSuccessUrl(options.successUrl);
  const plan = listenPlan(host);
  if (signal?.aborted) throw abortError(signal, `${host}:${options.port}`);

  let settled = false;
  let resolveResult!: (params: URLSearchParams) => void;
  let rejectResult!: (error: unknown) => void;
  const result = new Promise<URLSearchParams>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  // A rejection nobody awaits (close() before the caller looks) must not crash the process.
  result.catch(() => {});

  const handler = (request: Request): Response => {
    const url = new URL(request.url);
    if (url.pathname !== path) return page(404, "Not found", "There is nothing here.");
    if (request.method !== "GET") {
      return page(405, "Method not allowed", "Only GET is supported here.", { allow: "GET" });
    }
    const params = url.searchParams;
    if (SINGLE_PARAMS.some((name) => params.getAll(name).length > 1)) {
      log.debug("Ignored a sign-in callback with repeated parameters");
      return page(400, "Invalid sign-in response", "The response repeats a parameter. Try signing in again.");
    }
    const got = params.get("state");
    if (got === null || !sameState(got, state)) {
      log.debug("Ignored a sign-in callback with another state (an earlier browser tab?)");
      return page(
        400,
        "Unknown sign-in attempt",
        "This response belongs to another sign-in attempt. Use the most recent browser tab, or start again.",
      );
    }
    if (settled) {
      return page(
        400,
        "Sign-in already completed",
        "This sign-in was already received. You can close this tab.",
      );
    }
    settled = true;
    resolveResult(new URLSearchParams(params));
    const error = params.get("error");
    if (error !== null) {
      // The text is not shown: until the issuer (`iss`) is checked, it may come from an attacker's
      // authorization server (RFC 9207 mix-up). The bridge reports the checked error itself.
      log.debug("Received a sign-in callback with an error");
      return page(
        200,
        "Sign-in failed",
        "The sign-in did not complete. Return to your application for details.",
      );
    }
    log.debug("Received the sign-in callback");
    if (successUrl !== undefined) {
      return new Response(null, { status: 303, headers: { ...SECURITY_HEADERS, location: successUrl } });
    }
    return page(
      200,
      "Signed in",
      "Authorization is complete. You can close this tab and return to your application.",
    );
  };

  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  let port = options.port;
  const listen = (hostname: string): Deno.HttpServer<Deno.NetAddr> => {
    const server = Deno.serve({ hostname, port, handler, onListen: () => {}, onError: onServeError(log) });
    servers.push(server);
    port = server.addr.port;
    return server;
  };
  const stopAll = async (): Promise<void> => {
    const stopping = servers.splice(0);
    await Promise.allSettled(stopping.map((server) => server.shutdown()));
  };

  const bound: string[] = [];
  const failures: { hostname: string; error: unknown }[] = [];
  for (const address of plan) {
    try {
      listen(address.hostname);
      bound.push(address.hostname);
    } catch (error) {
      const busy = error instanceof Deno.errors.AddrInUse;
      // A missing --allow-net for the first address, or anything but a busy port, is final.
      if (address.required && !(busy && plan.length > 1)) {
        await stopAll();
        throw listenError(error, options.port === 0 ? port : options.port, address.hostname);
      }
      failures.push({ hostname: address.hostname, error });
    }
  }
  if (bound.length === 0) {
    // Every address is taken on this port: the caller may try the next candidate.
    const first = failures[0]!;
    throw listenError(first.error, options.port, first.hostname);
  }
  // RFC 8252 §7.3, §8.3: `localhost` in the redirect URI only when every loopback address it may
  // resolve to is ours; otherwise the address we do listen on, so that the browser cannot deliver
  // the code to another local program listening on the other one.
  const uriHost = bound.length === plan.length ? formatHost(host) : formatHost(bound[0]!);
  for (const { hostname, error } of failures) {
    const where = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
    if (error instanceof Deno.errors.AddrInUse) {
      log.warn(
        `Another program listens on ${where}: the sign-in redirect URI names ${uriHost} instead of ${host}`,
      );
    } else {
      // No IPv6 here, or no --allow-net for it.
      log.debug(`Not listening on ${where} (${errorText(error)}): the redirect URI names ${uriHost}`);
    }
  }

  const redirectUri = `http://${uriHost}:${port}${path}`;
  log.debug(`Waiting for the sign-in callback on ${redirectUri}`);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      signal?.removeEventListener("abort", onAbort);
      if (!settled) {
        settled = true;
        rejectResult(new AuthError(`Stopped waiting for the sign-in callback on ${redirectUri}: closed`));
      }
      await stopAll();
    })();
    return closed;
  };
  const onAbort = (): void => {
    if (!settled) {
      settled = true;
      rejectResult(abortError(signal!, redirectUri));
    }
    void close();
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  return { redirectUri, result, close };
}

interface ListenAddress {
  hostname: string;
  /** The redirect URI cannot do without it (for `localhost`: one of the two must be bound). */
  required: boolean;
}

function listenPlan(host: string): ListenAddress[] {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === "localhost") {
    return [{ hostname: "127.0.0.1", required: true }, { hostname: "::1", required: false }];
  }
  if (bare === "::1") return [{ hostname: "::1", required: true }];
  if (/^127(?:\.\d{1,3}){3}$/.test(bare)) return [{ hostname: "127.0.0.1", required: true }];
  // A name the user mapped to 127.0.0.1 themselves (`--host`): the listener still binds loopback only.
  if (/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(bare)) {
    return [{ hostname: "127.0.0.1", required: true }];
  }
  throw new AuthError(
    `Invalid callback host: ${JSON.stringify(host)} is not a host name or loopback address`,
  );
}

function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function checkSuccessUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthError("Invalid success URL: it is not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AuthError(`Invalid success URL: the scheme must be https: or http:, not ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new AuthError("Invalid success URL: it must not contain credentials");
  }
  return url.href;
}

/** Compares without an early exit, so timing does not reveal how much of the state matched. */
function sameState(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function page(
  status: number,
  title: string,
  message: string,
  extra: Record<string, string> = {},
): Response {
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${
    escapeHtml(title)
  } – mcp-bridge</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body>
</html>
`;
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", ...extra },
  });
}

function onServeError(log: Logger): (error: unknown) => Response {
  return (error) => {
    log.debug(`Callback listener error: ${errorText(error)}`);
    return page(500, "Internal error", "The sign-in callback could not be handled.");
  };
}

function listenError(error: unknown, port: number, hostname: string): AuthError {
  const where = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new AuthError(`Callback port ${port} is in use (EADDRINUSE): cannot listen on ${where}`, {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new AuthError(
      `Cannot listen for the sign-in callback on ${where}: run again with --allow-net=${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${port}`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    // Windows reserves port ranges (EACCES): the caller can try the next candidate, as for EADDRINUSE.
    return new AuthError(`Callback port ${port} is not available (EACCES): cannot listen on ${where}`, {
      cause: error,
    });
  }
  return new AuthError(`Cannot listen for the sign-in callback on ${where}: ${errorText(error)}`, {
    cause: error,
  });
}

function abortError(signal: AbortSignal, where: string): AuthError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof DOMException && reason.name === "TimeoutError";
  return new AuthError(
    `Stopped waiting for the sign-in callback on ${where}: ${timedOut ? "timed out" : "cancelled"}`,
    { cause: reason },
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
