/**
 * Client authentication at the authorization server's endpoints (RFC 6749 §2.3, RFC 8414
 * `token_endpoint_auth_method`): one table of methods, so that a new one (`private_key_jwt`) is one
 * entry. Which method a client uses is decided here too: at registration (public where the server
 * allows it) and for a client with a secret (Basic where allowed).
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import type { ClientInfo } from "./types.ts";

/** One request to authenticate: its form body and headers (changed in place). */
export interface ClientAuthRequest {
  /** The form parameters. */
  body: URLSearchParams;
  /** The request headers. */
  headers: Headers;
  /** What is called, for messages ("token endpoint"). */
  what: string;
  /** The endpoint. */
  url: URL;
  /** The authorization server's issuer identifier (the audience of a client assertion). */
  issuer: string;
  /** The time, milliseconds since the epoch. */
  now: number;
}

/** A client authentication method. */
export type ClientAuthMethod = (client: ClientInfo, request: ClientAuthRequest) => void | Promise<void>;

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function secretOf(client: ClientInfo, method: string, request: ClientAuthRequest): string {
  if (!client.client_secret) {
    throw new AuthError(
      `Cannot authenticate to the ${request.what} of ${request.url.host}: ${method} needs a client secret`,
    );
  }
  return client.client_secret;
}

/** The methods mcp-bridge speaks, by their RFC 8414 name. */
export const CLIENT_AUTH_METHODS: Readonly<Record<string, ClientAuthMethod>> = {
  // RFC 6749 §2.3.1: both parts form-encoded, then Basic.
  client_secret_basic: (client, request) => {
    const secret = secretOf(client, "client_secret_basic", request);
    request.headers.set(
      "authorization",
      `Basic ${base64Utf8(`${formEncode(client.client_id)}:${formEncode(secret)}`)}`,
    );
  },
  client_secret_post: (client, request) => {
    const secret = secretOf(client, "client_secret_post", request);
    request.body.set("client_id", client.client_id);
    request.body.set("client_secret", secret);
  },
  none: (client, request) => {
    request.body.set("client_id", client.client_id);
  },
  // RFC 7523 §2.2: a JWT signed with the client's private key; the key itself is never sent.
  private_key_jwt: async (client, request) => {
    if (!client.signing_key) {
      throw new AuthError(
        `Cannot authenticate to the ${request.what} of ${request.url.host}: private_key_jwt needs a private key ` +
          '("private_key" in --static-oauth-client-info)',
      );
    }
    const { signClientAssertion } = await import("./client_assertion.ts");
    const assertion = await signClientAssertion(
      client.client_id,
      request.issuer,
      client.signing_key,
      request.now,
    );
    request.body.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    request.body.set("client_assertion", assertion);
  },
};

/**
 * Authenticates the client on a request to an endpoint of the authorization server, with its
 * `token_endpoint_auth_method` (default: Basic with a secret, else none).
 *
 * @example Usage
 * ```ts
 * import { applyClientAuthentication } from "./client_auth.ts";
 * import assert from "node:assert/strict";
 *
 * const request = { body: new URLSearchParams(), headers: new Headers(), what: "token endpoint", url: new URL("https://as.example/token"), issuer: "https://as.example", now: Date.now() };
 * await applyClientAuthentication({ client_id: "app", token_endpoint_auth_method: "none", source: "dcr" }, request);
 * assert.equal(request.body.get("client_id"), "app");
 * ```
 *
 * @param client The client.
 * @param request The request, changed in place.
 * @throws {AuthError} When the method is unknown or lacks its secret.
 */
export async function applyClientAuthentication(
  client: ClientInfo,
  request: ClientAuthRequest,
): Promise<void> {
  const name = client.token_endpoint_auth_method ?? (client.client_secret ? "client_secret_basic" : "none");
  const method = Object.hasOwn(CLIENT_AUTH_METHODS, name) ? CLIENT_AUTH_METHODS[name] : undefined;
  if (!method) {
    throw new AuthError(
      `Cannot authenticate to the ${request.what} of ${request.url.host}: unsupported token_endpoint_auth_method ${
        JSON.stringify(name)
      }`,
    );
  }
  await method(client, request);
}

/**
 * The client authentication a registration asks for: public (`none`) where the authorization server
 * allows it, else as {@linkcode chooseSecretMethod}.
 *
 * @example Usage
 * ```ts
 * import { chooseRegistrationMethod } from "./client_auth.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chooseRegistrationMethod(undefined), "none");
 * assert.equal(chooseRegistrationMethod(["client_secret_post"]), "client_secret_post");
 * ```
 *
 * @param supported The metadata's `token_endpoint_auth_methods_supported`.
 * @returns The method.
 */
export function chooseRegistrationMethod(supported: string[] | undefined): string {
  if (supported === undefined || supported.includes("none")) return "none";
  return chooseSecretMethod(supported);
}

/**
 * For a client with a secret: Basic where allowed (RFC 8414's default), else in the body.
 *
 * @example Usage
 * ```ts
 * import { chooseSecretMethod } from "./client_auth.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chooseSecretMethod(undefined), "client_secret_basic");
 * assert.equal(chooseSecretMethod(["client_secret_post", "none"]), "client_secret_post");
 * ```
 *
 * @param supported The metadata's `token_endpoint_auth_methods_supported`.
 * @returns The method.
 */
export function chooseSecretMethod(supported: string[] | undefined): string {
  if (supported === undefined || supported.includes("client_secret_basic")) return "client_secret_basic";
  if (supported.includes("client_secret_post")) return "client_secret_post";
  return supported[0] ?? "client_secret_basic";
}
