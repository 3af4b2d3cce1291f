/**
 * Identity-provider profiles: what a few widely used authorization servers need beyond the standard
 * that the MCP authorization specification assumes. Recognised by the issuer (`--idp-profile` names one,
 * or `none` turns them off). Pure: a table and a lookup.
 *
 * - **Microsoft Entra ID**: refuses RFC 8707 `resource` next to v2 scopes, and takes the audience from the
 *   scopes instead (`<app id URI>/<scope>`, `<app id URI>/.default`): `resource` is not sent, and scopes
 *   without an audience get the resource as theirs.
 * - **Auth0**: issues a token for an API only when the authorization request names it as `audience`.
 * - **Google**: knows no `resource` and no `offline_access`; a refresh token comes only with
 *   `access_type=offline` (and `prompt=consent` for a user who consented before).
 *
 * Okta and Keycloak need nothing of this: the standard requests work (with `offline_access`, which the
 * scope selection adds where the server lists it).
 *
 * @module
 */

/** The profiles, by name. */
export type IdpProfileName = "entra" | "auth0" | "google";

/** What a profile changes in the requests. */
export interface IdpProfile {
  /** Its name, for `--idp-profile` and the log. */
  readonly name: IdpProfileName;
  /** Whether an issuer is this provider's. */
  matches(issuer: URL): boolean;
  /** Whether RFC 8707 `resource` is sent (authorization and token requests). */
  readonly sendResource: boolean;
  /** Extra authorization request parameters, given the resource the tokens are for. */
  authorizeParams(resource: string | undefined): [string, string][];
  /** The scope to ask for, from the standard selection and the resource. */
  scope(selected: string | undefined, resource: string | undefined): string | undefined;
}

/** Scopes that belong to the identity layer, never to an API's audience. */
const IDENTITY_SCOPES = new Set(["openid", "profile", "email", "offline_access", "address", "phone"]);

function hostIs(issuer: URL, ...suffixes: string[]): boolean {
  const host = issuer.hostname.toLowerCase();
  return suffixes.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

/** Every profile. */
export const IDP_PROFILES: readonly IdpProfile[] = [
  {
    name: "entra",
    // The v2.0 issuers (login.microsoftonline.com/<tenant>/v2.0); `sts.windows.net` is v1's, which needs
    // `resource`: left to the standard behaviour.
    matches: (issuer) =>
      hostIs(
        issuer,
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
      ),
    sendResource: false,
    authorizeParams: () => [],
    scope(selected, resource) {
      const audience = resource?.replace(/\/+$/, "");
      const scopes = (selected ?? "").split(/\s+/).filter((s) => s !== "");
      if (audience === undefined) return selected;
      const identity = scopes.filter((s) => IDENTITY_SCOPES.has(s));
      // Only the resource's own scopes: a scope naming another audience (asked for by the server, say
      // `https://graph.microsoft.com/Mail.Read`) would get a token for that API instead. A bare scope is
      // the resource's.
      const own = scopes.filter((s) => !IDENTITY_SCOPES.has(s)).flatMap((s) =>
        !s.includes("/") ? [`${audience}/${s}`] : s.startsWith(`${audience}/`) ? [s] : []
      );
      return [...(own.length > 0 ? own : [`${audience}/.default`]), ...identity].join(" ");
    },
  },
  {
    name: "auth0",
    matches: (issuer) => hostIs(issuer, "auth0.com"),
    sendResource: true,
    authorizeParams: (resource) => (resource ? [["audience", resource]] : []),
    scope: (selected) => selected,
  },
  {
    name: "google",
    matches: (issuer) => hostIs(issuer, "accounts.google.com"),
    sendResource: false,
    authorizeParams: () => [["access_type", "offline"], ["prompt", "consent"]],
    scope(selected) {
      const scopes = (selected ?? "").split(/\s+/).filter((s) => s !== "" && s !== "offline_access");
      return scopes.length > 0 ? scopes.join(" ") : undefined;
    },
  },
];

/**
 * The profile for an issuer: the one `--idp-profile` names, none with `none`, else the one that
 * recognises the issuer.
 *
 * @example Usage
 * ```ts
 * import { profileFor } from "./idp_profiles.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(profileFor("https://login.microsoftonline.com/tenant/v2.0")?.name, "entra");
 * assert.equal(profileFor("https://example.us.auth0.com/")?.name, "auth0");
 * assert.equal(profileFor("https://as.example.com"), undefined);
 * assert.equal(profileFor("https://as.example.com", "google")?.name, "google");
 * assert.equal(profileFor("https://accounts.google.com", "none"), undefined);
 * ```
 *
 * @param issuer The authorization server's issuer.
 * @param chosen `--idp-profile`: a name, `none`, or absent (`auto`).
 * @returns The profile, or `undefined` for the standard behaviour.
 */
export function profileFor(
  issuer: string,
  chosen?: IdpProfileName | "none" | "auto",
): IdpProfile | undefined {
  if (chosen === "none") return undefined;
  if (chosen !== undefined && chosen !== "auto") return IDP_PROFILES.find((p) => p.name === chosen);
  if (!URL.canParse(issuer)) return undefined;
  const url = new URL(issuer);
  return IDP_PROFILES.find((p) => p.matches(url));
}
