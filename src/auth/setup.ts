/**
 * Builds the OAuth client from the command line: the store (file in the config dir, or memory when
 * there is none), the store key, the static client settings and the browser opener. Loaded with a
 * dynamic `import()`, off the start-up path.
 *
 * @module
 */

import type { AuthOptions } from "../cli/args.ts";
import { resolveConfigDir } from "../cli/config_dir.ts";
import { expandTemplate, optionalEnv, requireEnv } from "../cli/env.ts";
import type { HeaderTemplate } from "../cli/headers.ts";
import type { Logger } from "../log/logger.ts";
import type { FetchLike } from "../transport/transport.ts";
import { openBrowser } from "./browser.ts";
import { AuthError } from "./errors.ts";
import { readSmallFile } from "./jwt_file.ts";
import { OAuthClient, type StaticClient } from "./oauth_client.ts";
import type { EnterpriseIdp } from "./oauth_options.ts";
import type { CredentialStore } from "./store/credential_store.ts";
import { FileStore } from "./store/file_store.ts";
import { MemoryStore } from "./store/memory_store.ts";
import { serverStoreKey } from "./stored_credentials.ts";

/** Everything {@linkcode createOAuthClient} needs. */
export interface OAuthSetup {
  /** The MCP server. */
  serverUrl: URL;
  /** The OAuth flags. */
  auth: AuthOptions;
  /** `--allow-http`. */
  allowHttp: boolean;
  /** `--config-dir`. */
  configDir: string | undefined;
  /** The header templates (their names and templates are part of the store key; values never). */
  headers: HeaderTemplate[];
  /** The fetch seam. */
  fetch: FetchLike;
  /** The logger (secrets it must hide are registered on it). */
  log: Logger;
  /** Aborts a sign-in in progress. */
  signal?: AbortSignal;
  /** Lets the user paste the redirected URL (the `login` command). */
  pastedRedirect?: (signal: AbortSignal) => Promise<string | undefined>;
}

/** `--static-oauth-client-info` as read: the client, and its private key still to be imported. */
export interface ParsedStaticClient extends StaticClient {
  /** `private_key`: PEM text (from `@file` too) or a JWK. */
  private_key?: string | Record<string, unknown>;
  /** `token_endpoint_auth_signing_alg`: the key's JWS algorithm. */
  signing_alg?: string;
}

function readJsonOption(text: string, flag: string): unknown {
  let source = text;
  if (text.startsWith("@")) {
    const path = text.slice(1);
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
      throw new AuthError(`Cannot read ${flag} file ${path}: run again with --allow-read=${path}`);
    }
    try {
      source = Deno.readTextFileSync(path);
    } catch (error) {
      throw new AuthError(`Cannot read ${flag} file ${path}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(source);
  } catch (error) {
    // The runtime's message quotes the text around the error, which may be a secret: the position only.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new AuthError(`Cannot parse ${flag}: it is not valid JSON${at ? ` (at character ${at})` : ""}`);
  }
}

/**
 * Reads `--static-oauth-client-info` (JSON or `@file`), expanding `${VAR}` in its string values.
 *
 * @example Usage
 * ```ts ignore
 * import { parseStaticClientInfo } from "./setup.ts";
 * const client = parseStaticClientInfo('{"client_id":"abc","client_secret":"${SECRET}"}');
 * ```
 *
 * @param text The flag's value.
 * @returns The client.
 * @throws {AuthError} When it cannot be read, or has no `client_id`.
 */
export function parseStaticClientInfo(text: string): ParsedStaticClient {
  const value = readJsonOption(text, "--static-oauth-client-info") as Record<string, unknown>;
  if (typeof value !== "object" || value === null || typeof value.client_id !== "string") {
    throw new AuthError('Cannot use --static-oauth-client-info: it needs at least {"client_id": "…"}');
  }
  const expand = (v: unknown, name: string) =>
    typeof v === "string"
      ? expandTemplate(v, requireEnv, `--static-oauth-client-info ${name}`, (m) => new AuthError(m))
      : undefined;
  const client: StaticClient = { client_id: expand(value.client_id, "client_id")! };
  const secret = expand(value.client_secret, "client_secret");
  if (secret !== undefined) client.client_secret = secret;
  const method = expand(value.token_endpoint_auth_method, "token_endpoint_auth_method");
  if (method !== undefined) client.token_endpoint_auth_method = method;
  const alg = expand(value.token_endpoint_auth_signing_alg, "token_endpoint_auth_signing_alg");
  const key = value.private_key;
  if (typeof key === "string") {
    const expanded = expand(key, "private_key")!;
    return {
      ...client,
      private_key: expanded.startsWith("@") ? readSmallFile(expanded.slice(1), "private key") : expanded,
      ...(alg !== undefined ? { signing_alg: alg } : {}),
    };
  }
  if (typeof key === "object" && key !== null && !Array.isArray(key)) {
    const jwk: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(key)) {
      jwk[name] = typeof v === "string" ? expand(v, `private_key.${name}`) : v;
    }
    return { ...client, private_key: jwk, ...(alg !== undefined ? { signing_alg: alg } : {}) };
  }
  if (key !== undefined) {
    throw new AuthError(
      "Cannot use --static-oauth-client-info: private_key is a PEM text, a JWK object or @file",
    );
  }
  return client;
}

/**
 * Reads `--static-oauth-client-info` and makes it usable: its secret and every private part of its key
 * registered with the logger's redactor the moment they are read, the key imported (not extractable) and
 * its text dropped.
 *
 * @example Usage
 * ```ts ignore
 * import { loadStaticClient } from "./setup.ts";
 * const client = await loadStaticClient('{"client_id":"app","private_key":"@/keys/app.pem"}', log);
 * ```
 *
 * @param text The flag's value.
 * @param log The logger.
 * @returns The static client.
 */
export async function loadStaticClient(text: string, log: Logger): Promise<StaticClient> {
  const { private_key: key, signing_alg: alg, ...client } = parseStaticClientInfo(text);
  if (client.client_secret) log.addSecret(client.client_secret);
  if (key === undefined) return client;
  // A JWK given as text is parsed here, so that its private members are registered before anything else.
  const material = typeof key === "string" && key.trim().startsWith("{") ? parseJwkText(key) : key;
  for (const secret of privateKeySecrets(material)) log.addSecret(secret);
  const { importSigningKey } = await import("./client_assertion.ts");
  return { ...client, signing_key: await importSigningKey(material, alg, "--static-oauth-client-info") };
}

function parseJwkText(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // Reported below, without the text.
  }
  throw new AuthError(
    "Cannot use the private key of --static-oauth-client-info: it is neither PEM nor a JWK object",
  );
}

/** The private parts of a key, for the redactor: the PEM and each line of its body, or a JWK's private members. */
function privateKeySecrets(key: string | Record<string, unknown>): string[] {
  if (typeof key === "string") {
    return [
      key.trim(),
      ...key.split("\n").map((line) => line.trim()).filter((line) =>
        line.length >= 16 && !line.startsWith("-----")
      ),
    ];
  }
  return ["d", "p", "q", "dp", "dq", "qi"].map((part) => key[part]).filter((v): v is string =>
    typeof v === "string"
  );
}

/**
 * Reads `--enterprise-idp` (JSON or `@file`): `client_id`, and either `issuer` (the user signs in at the
 * identity provider in the browser; `token_endpoint` from its metadata) or `token_endpoint` and
 * `id_token` (`@file`, or the token itself, typically `${VAR}`); optional `client_secret`; `${VAR}`
 * expanded.
 *
 * @example Usage
 * ```ts ignore
 * import { parseEnterpriseIdp } from "./setup.ts";
 * const idp = parseEnterpriseIdp('{"token_endpoint":"https://idp.example/token","client_id":"b","id_token":"@/run/id_token"}');
 * const signIn = parseEnterpriseIdp('{"issuer":"https://idp.example","client_id":"b"}');
 * ```
 *
 * @param text The flag's value.
 * @returns The identity provider.
 * @throws {AuthError} When it cannot be read or lacks a member.
 */
export function parseEnterpriseIdp(text: string): EnterpriseIdp {
  const value = readJsonOption(text, "--enterprise-idp") as Record<string, unknown>;
  const member = (name: string, required: boolean): string | undefined => {
    const v = typeof value === "object" && value !== null ? value[name] : undefined;
    if (typeof v === "string" && v !== "") {
      return expandTemplate(v, requireEnv, `--enterprise-idp ${name}`, (m) => new AuthError(m));
    }
    if (required) {
      throw new AuthError(
        `Cannot use --enterprise-idp: it needs "${name}" (client_id, and issuer or token_endpoint with id_token)`,
      );
    }
    return undefined;
  };
  const clientId = member("client_id", true)!;
  const issuer = member("issuer", false);
  const idToken = member("id_token", false);
  // A browser sign-in finds everything from the issuer; an ID token of the user's needs the endpoint.
  const tokenEndpoint = member("token_endpoint", issuer === undefined);
  if (tokenEndpoint !== undefined && !URL.canParse(tokenEndpoint)) {
    throw new AuthError(`Cannot use --enterprise-idp: token_endpoint "${tokenEndpoint}" is not a URL`);
  }
  if (issuer !== undefined && !URL.canParse(issuer)) {
    throw new AuthError(`Cannot use --enterprise-idp: issuer "${issuer}" is not a URL`);
  }
  if (idToken === undefined && issuer === undefined) member("id_token", true);
  const clientSecret = member("client_secret", false);
  return {
    clientId,
    ...(tokenEndpoint !== undefined ? { tokenEndpoint } : {}),
    ...(idToken !== undefined
      ? { idToken: idToken.startsWith("@") ? { file: idToken.slice(1) } : { value: idToken } }
      : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
  };
}

/**
 * Opens the credential store `--store` names: the file store in the config dir (the default), the
 * operating system's keychain (records already in the file store move over at their first use; with a
 * warning and the file store when the keychain cannot be used, e.g. on a headless machine), or memory.
 * Without a config dir, the file store becomes a memory store, with a warning.
 *
 * @param configDir `--config-dir`.
 * @param log The logger.
 * @param kind `--store` (default `file`).
 * @returns The store.
 */
export async function openStore(
  configDir: string | undefined,
  log: Logger,
  kind: "file" | "keychain" | "memory" = "file",
): Promise<CredentialStore> {
  const dir = resolveConfigDir(configDir, Deno.build.os, optionalEnv);
  if (kind === "memory") {
    return new MemoryStore(
      "Credentials are kept in memory only (--store memory): you will sign in again next time",
    );
  }
  const file = "missing" in dir ? undefined : new FileStore({ dir: dir.path, log });
  if (kind === "keychain") {
    const { keychainToolFor } = await import("./store/keychain_tool.ts");
    const tool = keychainToolFor(Deno.build.os);
    let problem = tool ? undefined : `mcp-bridge has no keychain tool for ${Deno.build.os} yet`;
    if (tool) {
      problem = await tool.get("mcp-bridge-availability-check").then(
        () => undefined,
        (e) => (e as Error).message,
      );
    }
    if (tool && problem === undefined) {
      const { KeychainStore } = await import("./store/keychain_store.ts");
      const keychain = new KeychainStore({ tool, locks: file ?? new MemoryStore(), log });
      if (!file) return keychain;
      const { MigratingStore } = await import("./store/migrating_store.ts");
      return new MigratingStore(keychain, file, log, { to: "keychain", from: "file store" });
    }
    log.warn(`The keychain cannot be used (${problem}): credentials go to the file store instead`);
    return file ?? memoryWithWarning(dir);
  }
  if (file) {
    // Back from the keychain: when the keychain tool may run (the user granted it), records still there
    // move into the file store at their first use.
    const { keychainToolFor } = await import("./store/keychain_tool.ts");
    const tool = keychainToolFor(Deno.build.os);
    if (tool && Deno.permissions.querySync({ name: "run", command: tool.program }).state === "granted") {
      const { KeychainStore } = await import("./store/keychain_store.ts");
      const { MigratingStore } = await import("./store/migrating_store.ts");
      const keychain = new KeychainStore({ tool, locks: file, log });
      return new MigratingStore(file, keychain, log, { to: "file store", from: "keychain" });
    }
  }
  return file ?? memoryWithWarning(dir);

  function memoryWithWarning(dir: { path: string } | { missing: string }): CredentialStore {
    const missing = "missing" in dir ? dir.missing : "";
    log.debug(`No config dir (--config-dir, or --allow-env=${missing}): credentials are kept in memory`);
    return new MemoryStore(
      `Credentials will not be kept between runs: pass --config-dir, or --allow-env=${missing} to use the default`,
    );
  }
}

/**
 * Builds the OAuth client for a server.
 *
 * @example Usage
 * ```ts ignore
 * import { createOAuthClient } from "./setup.ts";
 * const oauth = await createOAuthClient({ serverUrl, auth, allowHttp, configDir, headers, fetch, log });
 * ```
 *
 * @param setup The command line and seams.
 * @returns The client.
 */
export async function createOAuthClient(setup: OAuthSetup): Promise<OAuthClient> {
  const { auth, log } = setup;
  const staticClient = auth.staticClientInfo !== undefined
    ? await loadStaticClient(auth.staticClientInfo, log)
    : undefined;
  const staticClientMetadata = auth.staticClientMetadata !== undefined
    ? readJsonOption(auth.staticClientMetadata, "--static-oauth-client-metadata") as Record<string, unknown>
    : undefined;
  const enterpriseIdp = auth.enterpriseIdp !== undefined ? parseEnterpriseIdp(auth.enterpriseIdp) : undefined;
  if (enterpriseIdp?.clientSecret) log.addSecret(enterpriseIdp.clientSecret);
  if (enterpriseIdp?.idToken?.value) log.addSecret(enterpriseIdp.idToken.value);
  const key = await serverStoreKey(setup);
  return new OAuthClient({
    serverUrl: setup.serverUrl,
    fetch: setup.fetch,
    log,
    store: await openStore(setup.configDir, log, auth.store),
    storeKey: key,
    allowHttp: setup.allowHttp,
    ...(auth.resource !== undefined ? { resource: auth.resource } : {}),
    ...(staticClient ? { staticClient } : {}),
    ...(staticClientMetadata ? { staticClientMetadata } : {}),
    ...(auth.clientMetadataUrl ? { clientMetadataUrl: auth.clientMetadataUrl } : {}),
    callback: {
      host: auth.host,
      path: auth.callbackPath,
      ...(auth.callbackPort !== undefined ? { port: auth.callbackPort } : {}),
      ...(auth.authSuccessUrl ? { successUrl: auth.authSuccessUrl } : {}),
    },
    authTimeoutMs: auth.authTimeoutMs,
    authorizeParams: auth.authorizeParams,
    useIdToken: auth.useIdToken,
    grant: auth.grant,
    ...(auth.tokenEndpoint ? { tokenEndpoint: auth.tokenEndpoint } : {}),
    ...(auth.workloadTokenFile ? { workloadTokenFile: auth.workloadTokenFile } : {}),
    ...(auth.workloadTokenCommand ? { workloadTokenCommand: auth.workloadTokenCommand } : {}),
    ...(enterpriseIdp ? { enterpriseIdp } : {}),
    idpProfile: auth.idpProfile,
    openUrl: async (url) => {
      if (auth.noBrowser) {
        log.notice(`Open this URL in a browser to sign in: ${url}`);
        return "printed";
      }
      return await openBrowser(url, { log, allowHttp: setup.allowHttp });
    },
    ...(setup.pastedRedirect ? { pastedRedirect: setup.pastedRedirect } : {}),
    ...(setup.signal ? { signal: setup.signal } : {}),
  });
}
