/**
 * The device authorization grant (RFC 8628): the user enters a code on another device; the bridge
 * polls the token endpoint. For machines without a browser (SSH, containers).
 *
 * @module
 */

import { startCountdown } from "../../log/countdown.ts";
import { AuthError } from "../errors.ts";
import { checkServerSuppliedUrl } from "../fetchable_url.ts";
import { pollDeviceToken, requestDeviceCode } from "../token_client.ts";
import type { Grant } from "./grant.ts";

const DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";

/** `--device-code`. */
export const DEVICE_CODE_GRANT: Grant = {
  renewal: "refresh",
  tokenEndpointSuffices: false,
  callback: false,
  registration: { grant_types: [DEVICE_CODE, "refresh_token"], response_types: [] },
  async obtain(context) {
    const { options, discovery, record, scope, resource } = context;
    const metadata = discovery.metadata;
    if (!metadata.device_authorization_endpoint) {
      throw new AuthError(
        `The authorization server ${discovery.issuer} does not support the device flow (RFC 8628)`,
      );
    }
    if (metadata.grant_types_supported && !metadata.grant_types_supported.includes(DEVICE_CODE)) {
      throw new AuthError(
        `The authorization server ${discovery.issuer} does not allow the device code grant`,
      );
    }
    const client = await context.client(record, []);
    context.brakes.use("token request");
    const device = await requestDeviceCode(options.fetch, {
      ...context.request(),
      issuer: discovery.issuer,
      endpoint: checkServerSuppliedUrl(
        metadata.device_authorization_endpoint,
        options.serverUrl,
        options.allowHttp,
        `device_authorization_endpoint of ${discovery.issuer}`,
      ).href,
      client,
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
    });
    // Shown even with --silent (like a sign-in URL to open by hand); the logger neutralises server text.
    options.log.notice(
      `To sign in to ${options.serverUrl.host}, visit ${device.verification_uri} and enter the code ${device.user_code}`,
    );
    const stopCountdown = startCountdown(options.log, {
      text: `Waiting for the code to be entered at ${device.verification_uri}`,
      deadline: Date.now() + options.authTimeoutMs,
    });
    try {
      const tokens = await pollDeviceToken(options.fetch, {
        ...context.tokenEndpoint(),
        client,
        device,
        ...(resource ? { resource } : {}),
        ...(scope ? { scope } : {}),
        deadline: context.now() + options.authTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { tokens, client };
    } finally {
      stopCountdown();
    }
  },
};
