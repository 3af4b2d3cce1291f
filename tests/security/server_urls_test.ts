/**
 * Rule 4 (the authorization side): server-supplied URLs are not a way into the user's machine. A
 * `resource_metadata` URL, an authorization server, or any endpoint of its metadata that points at
 * a link-local or cloud metadata address, a private address (the MCP server is on loopback, not on
 * a private network), a non-http(s) scheme or carries credentials is refused before any request is
 * made, with an error that names the URL and the reason; `--allow-http` relaxes only the scheme.
 *
 * The attack, against the real CLI: a hostile MCP server on 127.0.0.1 plants each URL. The bridge has
 * `--allow-net=127.0.0.1` only, so an attempt to reach a planted address would fail with an error
 * naming `--allow-net` (Deno's NotCapable): the exact "Refusing …" text proves the check came first,
 * and the short time proves no connection was tried.
 */

import assert from "node:assert/strict";
import {
  finishRaw,
  initializeLine,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
} from "../_fixtures/bridge_host.ts";
import { type PlantedUrl, serveHostileMetadata } from "../_fixtures/hostile_server_urls.ts";

interface Case {
  name: string;
  planted: PlantedUrl;
  allowHttp: boolean;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: "resource_metadata at the cloud metadata address",
    planted: {
      in: "resource_metadata",
      url: "http://169.254.169.254/latest/meta-data/iam/security-credentials",
    },
    allowHttp: true,
    message:
      /Refusing the resource metadata URL "http:\/\/169\.254\.169\.254\/latest\/meta-data\/iam\/security-credentials": it points at a link-local or cloud metadata address \(169\.254\.169\.254\)/,
  },
  {
    name: "authorization server at an IPv6 link-local address",
    planted: { in: "authorization_servers", url: "http://[fe80::1]/" },
    allowHttp: true,
    message:
      /Refusing the authorization server "http:\/\/\[fe80::1\]\/": it points at a link-local or cloud metadata address/,
  },
  {
    name: "authorization server at metadata.google.internal",
    planted: { in: "authorization_servers", url: "https://metadata.google.internal/computeMetadata/v1" },
    allowHttp: false,
    message:
      /Refusing the authorization server "https:\/\/metadata\.google\.internal\/computeMetadata\/v1": it points at a link-local/,
  },
  {
    name: "token endpoint at a private address",
    planted: { in: "endpoint", name: "token_endpoint", url: "http://10.0.0.1/token" },
    allowHttp: true,
    message:
      /Refusing the token_endpoint of http:\/\/127\.0\.0\.1:\d+ "http:\/\/10\.0\.0\.1\/token": it points at a private address \(10\.0\.0\.1\) and the MCP server is not on one/,
  },
  {
    name: "revocation endpoint at the cloud metadata address",
    planted: { in: "endpoint", name: "revocation_endpoint", url: "http://169.254.169.254/revoke" },
    allowHttp: true,
    message:
      /Refusing the revocation_endpoint of http:\/\/127\.0\.0\.1:\d+ "http:\/\/169\.254\.169\.254\/revoke": it points at a link-local/,
  },
  {
    name: "device authorization endpoint at an IPv6 link-local address",
    planted: { in: "endpoint", name: "device_authorization_endpoint", url: "http://[fe80::1]:8080/device" },
    allowHttp: true,
    message:
      /Refusing the device_authorization_endpoint of http:\/\/127\.0\.0\.1:\d+ "http:\/\/\[fe80::1\]:8080\/device"/,
  },
  {
    name: "registration endpoint as a file: URL",
    planted: { in: "endpoint", name: "registration_endpoint", url: "file:///etc/passwd" },
    allowHttp: false,
    message:
      /Refusing the registration_endpoint of http:\/\/127\.0\.0\.1:\d+ "file:\/\/\/etc\/passwd": the scheme "file:" is not https/,
  },
  {
    name: "authorization endpoint with credentials in it",
    planted: {
      in: "endpoint",
      name: "authorization_endpoint",
      url: "http://victim:hunter22@127.0.0.1:9/authorize",
    },
    allowHttp: false,
    message:
      /Refusing the authorization_endpoint of http:\/\/127\.0\.0\.1:\d+ "http:\/\/127\.0\.0\.1:9\/authorize": it carries credentials/,
  },
];

async function responseTo(raw: RawBridge, id: number, timeoutMs: number): Promise<StdoutMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = JSON.parse(await raw.readLine(Math.max(1, deadline - Date.now()))) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

for (const c of CASES) {
  Deno.test(`server-supplied URLs: ${c.name} is refused before any request`, async () => {
    const server = await serveHostileMetadata(c.planted);
    await Deno.mkdir(".tmp", { recursive: true });
    const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-urls-" }));
    try {
      const raw = spawnRaw(
        [server.url.href, "--config-dir", dir, "--debug", ...(c.allowHttp ? ["--allow-http"] : [])],
        { net: ["127.0.0.1"], read: [dir], write: [dir] },
      );
      try {
        const started = performance.now();
        await raw.write(initializeLine(1));
        const refused = await responseTo(raw, 1, 20_000);
        const elapsed = performance.now() - started;
        assert.ok(refused.error, JSON.stringify(refused));
        assert.match(refused.error.message, c.message);
        assert.doesNotMatch(
          refused.error.message,
          /allow-net/,
          "no connection to the planted address was tried",
        );
        assert.doesNotMatch(raw.stderr(), /allow-net|hunter22/);
        assert.ok(elapsed < 10_000, `refused after ${Math.round(elapsed)} ms: no connect timeout`);
        // The bridge still answers the next request (with the same refusal).
        await raw.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }) + "\n");
        const next = await responseTo(raw, 2, 20_000);
        assert.ok(next.error, JSON.stringify(next));
      } finally {
        await finishRaw(raw);
      }
      const lines = raw.stdout().split("\n").filter((l) => l !== "").map((l) =>
        JSON.parse(l) as StdoutMessage
      );
      assert.equal(lines.filter((m) => m.id === 1).length, 1, "one response to initialize");
      assert.equal(lines.filter((m) => m.id === 2).length, 1, "one response to tools/list");
      assert.ok(!raw.stdout().includes("hunter22"), "the planted password is not shown");
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
