/**
 * The network settings of corporate networks: an explicit proxy (`--proxy`), extra trust anchors
 * (`--ca-file`) and a client certificate for mutual TLS (`--client-cert`, `--client-key`). They make one
 * `Deno.HttpClient`, and one `fetch` seam that every request of the bridge goes through: to the MCP server
 * and to its authorization server alike.
 *
 * Without them the runtime's own client is used; it already honours `HTTPS_PROXY`, `HTTP_PROXY` and
 * `NO_PROXY` (read by the runtime itself, so they need no `--allow-env`).
 *
 * @module
 */

import { directReach, type Reach } from "./reach.ts";

/** What the command line says about the network. */
export interface NetworkSettings {
  /** `--proxy`: every connection goes through this proxy (`http://`, `https://`, `socks5://`, `socks5h://`). */
  proxy?: string;
  /** `--ca-file`: PEM certificates trusted in addition to the system's. */
  caFile?: string;
  /** `--client-cert`: the PEM certificate (chain) presented to servers that ask for one. */
  clientCert?: string;
  /** `--client-key`: the PEM private key of `--client-cert`. */
  clientKey?: string;
  /** `--ipv4`: connect over IPv4 only (a host whose IPv6 route is broken). */
  ipv4?: boolean;
}

/** A `Deno.createHttpClient` proxy, with the credentials taken out of the URL. */
export interface ProxySetting {
  /** `http`, `https` or `socks5`. */
  transport: "http" | "https" | "socks5";
  /** The proxy URL without user and password. */
  url: string;
  /** The user and password that were in the URL. */
  basicAuth?: { username: string; password: string };
}

/** The `fetch` seam of the whole bridge, and how to let go of its client. */
export interface NetworkFetch {
  /** Sends a request with the settings, on a pooled connection. */
  fetch: typeof fetch;
  /** Sends a request with the settings on a connection of its own (a liveness ping). */
  fresh: typeof fetch;
  /**
   * Sends the next requests of {@linkcode NetworkFetch.fetch} on new connections: the pooled ones are
   * suspect (the computer slept, a ping went unanswered). Requests in flight go on.
   */
  renew(): void;
  /**
   * Whether the server's host accepts a TCP connection (see `reach.ts`); `undefined` when that cannot be
   * known (a proxy, or proxy variables that cannot be read).
   */
  reach(url: URL, ms: number): Promise<boolean | undefined>;
  /** Closes the clients (nothing to do for the runtime's own). */
  close(): void;
}

/** Reads a file that a flag names. */
export type ReadFlagFile = (path: string, flag: string) => string;

/**
 * Reads a `--proxy` URL.
 *
 * @example Usage
 * ```ts
 * import { parseProxy } from "./http_client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseProxy("http://user:p%40ss@proxy.corp:3128"), {
 *   transport: "http",
 *   url: "http://proxy.corp:3128/",
 *   basicAuth: { username: "user", password: "p@ss" },
 * });
 * assert.throws(() => parseProxy("ftp://proxy"), /scheme/);
 * ```
 *
 * @param text The URL as given.
 * @returns The proxy setting.
 * @throws {TypeError} When it is not an http, https or socks5 URL.
 */
export function parseProxy(text: string): ProxySetting {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text may carry a password: never quote that part.
    const shown = text.replace(/\/\/[^/@]*@/, "//***@");
    throw new TypeError(`Cannot use --proxy "${shown}": it is not an absolute URL (http://host:port)`);
  }
  const scheme = url.protocol.slice(0, -1);
  const transport = scheme === "http" || scheme === "https"
    ? scheme
    : scheme === "socks5" || scheme === "socks5h"
    ? "socks5"
    : undefined;
  if (transport === undefined) {
    throw new TypeError(
      `Cannot use --proxy: the scheme must be http, https, socks5 or socks5h, not "${scheme}"`,
    );
  }
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  return {
    transport,
    url: url.href,
    ...(username !== "" || password !== "" ? { basicAuth: { username, password } } : {}),
  };
}

function pemBlocks(text: string, kind: "certificate" | "key"): boolean {
  return kind === "certificate"
    ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)
    : /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.test(text);
}

/**
 * Builds the `fetch` seam for the settings: the runtime's own `fetch` when none is given, else one that
 * sends every request with a `Deno.HttpClient` made from them.
 *
 * @example Usage
 * ```ts
 * import { createNetworkFetch } from "./http_client.ts";
 * import assert from "node:assert/strict";
 *
 * const network = createNetworkFetch({}, () => "", () => {});
 * assert.equal(typeof network.fetch, "function");
 * network.close();
 * ```
 *
 * @param settings What the command line says.
 * @param read Reads the file a flag names (and says which flag and permission, when it cannot).
 * @param secret Registers a secret with the logger's redactor (the proxy password, the client key).
 * @returns The seam.
 * @throws {TypeError} When a setting is unusable: the message names the flag and what is wrong.
 */
export function createNetworkFetch(
  settings: NetworkSettings,
  read: ReadFlagFile,
  secret: (value: string) => void,
): NetworkFetch {
  const options = clientOptions(settings, read, secret);
  // The runtime's own client until the pool must be dropped (the settings are empty then).
  let client: Deno.HttpClient | undefined = options ? newClient(options) : undefined;
  let fresh: Deno.HttpClient | undefined;
  let direct: Reach | null | undefined;
  return {
    fetch: (input, init) => client ? fetch(input, { ...init, client }) : fetch(input, init),
    fresh: (input, init) => {
      // No idle connection is kept: each request opens its own.
      fresh ??= newClient({ ...options, poolMaxIdlePerHost: 0 });
      return fetch(input, { ...init, client: fresh });
    },
    // Decided on the first check (never at start-up): the permission queries cost nothing until then.
    reach: async (url, ms) => {
      direct ??= directReach(settings.proxy !== undefined) ?? null;
      return direct ? await direct(url, ms) : undefined;
    },
    renew: () => {
      const old = client;
      client = newClient(options ?? {});
      old?.close();
    },
    close: () => {
      client?.close();
      fresh?.close();
    },
  };
}

/** The client options of the settings, `undefined` when the runtime's own client will do. */
function clientOptions(
  settings: NetworkSettings,
  read: ReadFlagFile,
  secret: (value: string) => void,
): (Deno.CreateHttpClientOptions & { cert?: string; key?: string }) | undefined {
  if (!settings.proxy && !settings.caFile && !settings.clientCert && !settings.clientKey && !settings.ipv4) {
    return undefined;
  }
  if ((settings.clientCert === undefined) !== (settings.clientKey === undefined)) {
    throw new TypeError("Cannot use a client certificate: --client-cert and --client-key go together");
  }
  const options: Deno.CreateHttpClientOptions & { cert?: string; key?: string } = {};
  if (settings.caFile !== undefined) {
    const pem = read(settings.caFile, "--ca-file");
    if (!pemBlocks(pem, "certificate")) {
      throw new TypeError(`Cannot use --ca-file ${settings.caFile}: it holds no PEM certificate`);
    }
    options.caCerts = [pem];
  }
  if (settings.clientCert !== undefined && settings.clientKey !== undefined) {
    const cert = read(settings.clientCert, "--client-cert");
    if (!pemBlocks(cert, "certificate")) {
      throw new TypeError(`Cannot use --client-cert ${settings.clientCert}: it holds no PEM certificate`);
    }
    const key = read(settings.clientKey, "--client-key");
    if (!pemBlocks(key, "key")) {
      throw new TypeError(`Cannot use --client-key ${settings.clientKey}: it holds no PEM private key`);
    }
    secret(key);
    options.cert = cert;
    options.key = key;
  }
  // Bound to an IPv4 address, the client can open IPv4 connections only.
  if (settings.ipv4) options.localAddress = "0.0.0.0";
  if (settings.proxy !== undefined) {
    const proxy = parseProxy(settings.proxy);
    if (proxy.basicAuth?.password) secret(proxy.basicAuth.password);
    options.proxy = proxy;
  }
  return options;
}

function newClient(options: Deno.CreateHttpClientOptions & { cert?: string; key?: string }): Deno.HttpClient {
  try {
    return Deno.createHttpClient(options);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable && options.proxy && "url" in options.proxy) {
      const proxy = new URL(options.proxy.url);
      const port = proxy.port ||
        (proxy.protocol === "https:" ? "443" : proxy.protocol === "http:" ? "80" : "1080");
      throw new TypeError(
        `Cannot use --proxy ${proxy.host}: mcp-bridge lacks network permission for the proxy: add ` +
          `--allow-net=${proxy.hostname}:${port} (besides the servers' hosts)`,
      );
    }
    const which = options.cert ? "--client-cert/--client-key" : options.caCerts ? "--ca-file" : "--proxy";
    throw new TypeError(`Cannot use ${which}: ${(error as Error).message}`);
  }
}
