/**
 * Attack: a server that names an authorization server the workload token is not addressed to, to have
 * the token sent there and replay it where it is valid. The bridge sends a workload token only to the
 * issuer its `aud` names (or to a token endpoint the user named).
 */

import assert from "node:assert/strict";
import { connectHost } from "../_fixtures/bridge_host.ts";
import { everythingSent, serveIssuerSwitch, startRecordingAs } from "../_fixtures/hostile_issuer_switch.ts";
import { withTempDir } from "../_fixtures/temp_dir.ts";

function base64Url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function workloadToken(aud: string): string {
  const header = base64Url(JSON.stringify({ alg: "ES256", typ: "JWT" }));
  const claims = base64Url(JSON.stringify({ iss: "https://ci.example.com", sub: "repo:app", aud }));
  return `${header}.${claims}.${base64Url(`sig-${crypto.randomUUID()}`)}`;
}

async function attempt(aud: (asIssuer: string) => string, viaCommand = false) {
  const b = await startRecordingAs();
  const server = await serveIssuerSwitch(b.issuer, b);
  try {
    return await withTempDirResult(async (dir) => {
      const token = workloadToken(aud(b.issuer));
      const file = `${dir}/token.jwt`;
      await Deno.writeTextFile(file, token);
      // The token from a program instead: a script that prints it (the tests may run `deno`).
      const script = `${dir}/print_token.ts`;
      await Deno.writeTextFile(script, `console.log(${JSON.stringify(token)});`);
      const source = viaCommand
        ? ["--workload-token-command", `deno run --quiet --no-prompt ${script}`]
        : ["--workload-token-file", file];
      let outcome = "listed";
      try {
        const host = await connectHost(server.url, {
          args: [
            "--config-dir",
            dir,
            "--allow-http",
            ...source,
            "--static-oauth-client-info",
            JSON.stringify({ client_id: "ci-workload" }),
          ],
          permissions: {
            net: ["127.0.0.1"],
            read: [dir],
            write: [dir],
            ...(viaCommand ? { run: ["deno"] } : {}),
          },
        });
        try {
          await host.client.listTools();
        } catch (error) {
          outcome = `${(error as Error).message}\n${host.stderr()}`;
        } finally {
          await host.close();
        }
      } catch (error) {
        outcome = String(error);
      }
      const sent = b.requests.some((r) => everythingSent(r).includes(token));
      return { outcome, sent, token };
    });
  } finally {
    await server.close();
    await b.close();
  }
}

async function withTempDirResult<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  let result: T;
  await withTempDir(async (dir) => {
    result = await fn(await Deno.realPath(dir));
  }, "workload-aud-");
  return result!;
}

Deno.test("a workload token is not sent to an authorization server its audience does not name", async () => {
  const { outcome, sent, token } = await attempt(() => "https://sts.example.com");
  assert.equal(sent, false, "the workload token reached an authorization server it is not addressed to");
  assert.match(outcome, /The workload token is not addressed to http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(!outcome.includes(token), "the token reached an error message");
});

Deno.test("a workload token addressed to the authorization server the server names is sent there", async () => {
  const { sent } = await attempt((issuer) => issuer);
  assert.equal(sent, true, "the token was not presented to the issuer it is addressed to");
});

Deno.test("--workload-token-command: the token a program prints is presented where it is addressed", async () => {
  const { sent, outcome } = await attempt((issuer) => issuer, true);
  assert.equal(sent, true, `the token from the command was not presented: ${outcome}`);
});

Deno.test("--workload-token-command: a token from the program is held to its audience too", async () => {
  const { sent, outcome } = await attempt(() => "https://sts.example.com", true);
  assert.equal(sent, false);
  assert.match(outcome, /The workload token is not addressed to/);
});
