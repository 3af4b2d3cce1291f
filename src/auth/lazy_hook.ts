/**
 * An {@linkcode AuthHook} that loads the OAuth client only when it is first used, keeping the OAuth
 * code off the start-up path.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import type { AuthHook } from "../transport/transport.ts";

/** What the loaded client offers beyond the hook. */
export interface PreparableAuthHook extends AuthHook {
  /** Starts discovery early when the store says the server needs authorization. */
  prepare(): Promise<void>;
}

const NO_HEADER: Promise<undefined> = Promise.resolve(undefined);

/**
 * Wraps a loader: the first call to the hook (or {@linkcode LazyAuthHook.warmUp}) runs it.
 *
 * @example Usage
 * ```ts ignore
 * import { LazyAuthHook } from "./lazy_hook.ts";
 * const auth = new LazyAuthHook(() => import("./setup.ts").then((m) => m.createOAuthClient(setup)), log);
 * ```
 */
export class LazyAuthHook implements AuthHook {
  #load: () => Promise<PreparableAuthHook>;
  #log: Logger;
  #client: Promise<PreparableAuthHook> | undefined;
  #loaded: PreparableAuthHook | undefined;
  #reported = false;
  #mayHaveRecord: (() => Promise<boolean>) | undefined;
  #peeked: Promise<boolean> | undefined;
  #noRecord = false;

  /**
   * @param load Builds the OAuth client.
   * @param log The logger.
   * @param mayHaveRecord A cheap check of whether the store may hold a record for the server: when it
   *   holds none, the client has nothing to send or prepare, so it is loaded only on a challenge.
   */
  constructor(load: () => Promise<PreparableAuthHook>, log: Logger, mayHaveRecord?: () => Promise<boolean>) {
    this.#load = load;
    this.#log = log;
    this.#mayHaveRecord = mayHaveRecord;
  }

  /** Whether the client is needed before any challenge: it is loaded, or the store may hold a record. */
  async #needed(): Promise<boolean> {
    if (this.#client !== undefined || this.#mayHaveRecord === undefined) return true;
    this.#peeked ??= this.#mayHaveRecord().then((may) => {
      this.#noRecord = !may;
      return may;
    }, () => true);
    return await this.#peeked;
  }

  #get(): Promise<PreparableAuthHook> {
    this.#client ??= this.#load().then((client) => (this.#loaded = client));
    return this.#client;
  }

  /** See {@linkcode AuthHook.proof}: only a loaded client can have handed out a DPoP-bound token. */
  async proof(method: string, url: URL, authorization: string): Promise<string | undefined> {
    return await (await this.#get()).proof?.(method, url, authorization);
  }

  /** See {@linkcode AuthHook.observe}. */
  observe(url: URL, headers: Headers): void {
    this.#loaded?.observe?.(url, headers);
  }

  /** Loads the client in the background and lets it start discovery early. */
  warmUp(): void {
    this.#needed()
      .then((needed) => needed ? this.#get().then((client) => client.prepare()) : undefined)
      .catch((error) => this.#report(error));
  }

  /** The current credentials; a problem reading them is reported once and means none. */
  header(): Promise<string | undefined> {
    // No record, nothing loaded: no async frame for every request.
    return this.hasNoCredentials() ? NO_HEADER : this.#header();
  }

  /** See {@linkcode AuthHook.hasNoCredentials}: no record stored, and the OAuth client not loaded. */
  hasNoCredentials(): boolean {
    return this.#noRecord && !this.#client;
  }

  async #header(): Promise<string | undefined> {
    try {
      // Nothing stored: no header, and no OAuth code loaded (nor waited for) before the first request.
      if (!(await this.#needed())) return undefined;
      return await (await this.#get()).header();
    } catch (error) {
      this.#report(error);
      return undefined;
    }
  }

  /** See {@linkcode AuthHook.challenge}. */
  async challenge(
    status: number,
    wwwAuthenticate: string | null,
    sentHeader: string | undefined,
    operation: string,
  ): Promise<boolean> {
    return await (await this.#get()).challenge(status, wwwAuthenticate, sentHeader, operation);
  }

  #report(error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#log.warn(`Stored credentials are not available: ${(error as Error).message}`);
  }
}
