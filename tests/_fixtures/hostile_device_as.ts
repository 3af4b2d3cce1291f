/**
 * An authorization server for the device authorization grant (RFC 8628) that pushes the bridge to
 * poll as fast as it can (no real server does this on purpose): its device authorization response
 * says `interval: 0`, its first poll answer is `slow_down`, and its user code carries a terminal
 * escape sequence. It records every request with the time it arrived, and approves on the second
 * poll. Its shape is that of {@linkcode RecordingAs}, so `serveIssuerSwitch` can protect an MCP
 * server with it.
 *
 * @module
 */

import type { RecordedRequest, RecordingAs } from "./hostile_issuer_switch.ts";
import { serveLoopback } from "./loopback_server.ts";

/** A request with its arrival time (`performance.now()`). */
export type TimedRequest = RecordedRequest & { at: number };

/** A running hostile device authorization server. */
export type HostileDeviceAs = RecordingAs & {
  /** Every request, with its arrival time. */
  timed: TimedRequest[];
  /** The user code it hands out (with an escape sequence in it). */
  userCode: string;
};

/**
 * Starts the server on 127.0.0.1.
 *
 * @returns The running server.
 */
export function startHostileDeviceAs(): Promise<HostileDeviceAs> {
  const timed: TimedRequest[] = [];
  const issued = new Set<string>();
  const userCode = "WDJB-MJHT\u001b]0;pwned\u0007";
  let issuer = "";
  let polls = 0;
  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = await request.text();
    timed.push({
      at: performance.now(),
      method: request.method,
      target: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      body,
    });
    switch (url.pathname) {
      case "/.well-known/oauth-authorization-server":
        return Response.json({
          issuer,
          token_endpoint: `${issuer}/token`,
          registration_endpoint: `${issuer}/register`,
          device_authorization_endpoint: `${issuer}/device/auth`,
          grant_types_supported: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
          token_endpoint_auth_methods_supported: ["none"],
        });
      case "/register":
        return Response.json({ client_id: "device-client", token_endpoint_auth_method: "none" }, {
          status: 201,
        });
      case "/device/auth":
        return Response.json({
          device_code: `dc-${crypto.randomUUID()}`,
          user_code: userCode,
          verification_uri: `${issuer}/device`,
          expires_in: 600,
          interval: 0,
        });
      case "/token": {
        polls++;
        if (polls === 1) return Response.json({ error: "slow_down" }, { status: 400 });
        const token = `device-at-${crypto.randomUUID()}`;
        issued.add(token);
        return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3600 });
      }
      default:
        return new Response("Not found", { status: 404 });
    }
  };
  return serveLoopback(handle).then((server) => {
    issuer = server.origin;
    return { issuer, requests: timed, timed, issued, userCode, close: server.close };
  });
}
