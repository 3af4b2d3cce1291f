/**
 * Secret redaction for everything the bridge writes to stderr, its debug log, or composes as a
 * JSON-RPC error for the host. Two layers:
 *
 * - known values: every registered secret (header values, tokens, client secrets) in each of the
 *   encodings it travels in (raw, percent-encoded, form-encoded, JSON-escaped once and twice, with
 *   escaped slashes; the credential of `Bearer x`/`Basic x` values and the decoded `user:pass`);
 * - secret-shaped text: values of secret-named headers, JSON members and query or form parameters
 *   (`X-Api-Key: …`, `"accessToken":"…"`, `\"client-secret\":\"…\"`, `?access_token=…`,
 *   `code=…`), `Bearer`/`DPoP` credentials, JSON Web Tokens, and `user:pass@` in URLs.
 *
 * Prose stays readable: "for authorization: add --allow-net" and JSON-RPC's numeric
 * `"code": -32000` are kept. Pure.
 *
 * @module
 */

/** Secrets shorter than this are not redacted by value (they would erase ordinary text). */
export const MIN_SECRET_LENGTH = 4;

const REDACTED = "[redacted]";

// Credential schemes that may precede a header value's secret part.
const SCHEME = String.raw`(?:(?:Bearer|Basic|Token|DPoP|Digest|ApiKey|Key|MAC|Negotiate|SSWS)\s+)?`;

/** The last word of a secret-named key (`access_token`, `x-api-key`, `clientSecret`, …). */
const SECRET_LAST_WORDS = new Set([
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "signature",
  "sig",
  "credential",
  "credentials",
  "assertion",
  "verifier",
  "cookie",
  "authorization",
  "apikey",
  "auth",
]);

/** Whole names (separators removed, lower case) that are secret. */
const SECRET_JOINED = new Set(["dpop", "apikey", "setcookie", "proxyauthorization", "privatetoken"]);

/** `…_code` names that carry a secret (not `error_code`). */
const SECRET_CODE_PREFIXES = new Set(["device", "auth", "authorization", "oauth"]);

/** Single words that are secret only as query or form parameters (`?code=…`, `&key=…`). */
const QUERY_ONLY = new Set(["code", "key"]);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
}

/** First words of OAuth error codes (`invalid_token`, `expired_token`): a problem, not a secret. */
const NOT_SECRET_FIRST_WORDS = new Set(["invalid", "expired", "missing", "unsupported", "insufficient"]);

/**
 * Whether a header, JSON member or parameter name holds a secret: `Authorization`, `Cookie`,
 * `DPoP`, names ending in a secret word (`access_token`, `x-api-key`, `clientSecret`,
 * `X-Amz-Signature`, `code_verifier`), and `device_code`-style names. Single words that are too
 * common in JSON (`code`, `key`) are not secret names; as query parameters they are.
 *
 * @example Usage
 * ```ts
 * import { isSecretName } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isSecretName("accessToken"), true);
 * assert.equal(isSecretName("Ocp-Apim-Subscription-Key"), true);
 * assert.equal(isSecretName("token_type"), false);
 * assert.equal(isSecretName("code"), false);
 * ```
 *
 * @param name The name, in any case and separator style.
 * @returns True when its value must be redacted.
 */
export function isSecretName(name: string): boolean {
  const w = words(name);
  if (w.length === 0) return false;
  if (SECRET_JOINED.has(w.join(""))) return true;
  // OAuth error codes name a problem with a token, not a token: `invalid_token`, `expired_token`.
  if (NOT_SECRET_FIRST_WORDS.has(w[0]!)) return false;
  const last = w[w.length - 1]!;
  if (SECRET_LAST_WORDS.has(last)) return true;
  if (w.length < 2) return false;
  if (last === "key") return true;
  return last === "code" && SECRET_CODE_PREFIXES.has(w[w.length - 2]!);
}

/** A secret name distinctive enough to redact in `name: value` prose (`x-api-key: …`, not `token: …`). */
function isDistinctiveName(name: string): boolean {
  return isSecretName(name) && (words(name).length >= 2 || SECRET_JOINED.has(words(name).join("")) ||
    name.toLowerCase() === "cookie");
}

/** A regex rule: every match is replaced. */
type Rule = [RegExp, (match: string, ...groups: string[]) => string];

const RULES: Rule[] = [
  // Authorization headers with a scheme, wherever they appear (`Authorization: Basic …`). Prose such
  // as "for authorization: add --allow-net" keeps its words.
  [
    /\b(authorization|proxy-authorization)(\s*[:=]\s*["']?)(?:Basic|Bearer|Digest|DPoP|Negotiate|Token|MAC|ApiKey)\s+[^\s"',}\\]+/gi,
    (_m, name, sep) => `${name}${sep}${REDACTED}`,
  ],
  // Cookies, in header or JSON form: the whole value up to the end of the line.
  [
    /\b(cookie|set-cookie)(\s*[:=]\s*|\\*["']\s*:\s*\\*["'])[^"'\r\n,}\\]+/gi,
    (_m, name, sep) => `${name}${sep}${REDACTED}`,
  ],
];

const TAIL_RULES: Rule[] = [
  // Bearer and DPoP credentials anywhere in text.
  [/\b(Bearer|DPoP)\s+[A-Za-z0-9\-._~+/]+=*/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  // JSON Web Tokens anywhere (an id_token or access token echoed bare).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, () => REDACTED],
  // Credentials in URLs: https://user:pass@host, also with JSON-escaped slashes.
  [
    /\b([a-z][a-z0-9+.-]{1,15}:(?:\\?\/){2})[^\s/?#@"'<>\\]+@/gi,
    (_m, scheme) => `${scheme}${REDACTED}@`,
  ],
];

/**
 * A name-and-value rule: `prefix` finds a name up to where its value starts; when `secret` says
 * so, `valueEnd` finds where the value ends and the value is replaced. A value whose name is not
 * secret is scanned further, so a secret nested in it (escaped JSON, an encoded URL) is found.
 */
interface ValueRule {
  prefix: RegExp;
  secret: (groups: RegExpExecArray) => boolean;
  valueEnd: (text: string, start: number, groups: RegExpExecArray) => number;
}

function stickyEnd(pattern: RegExp): (text: string, start: number) => number {
  return (text, start) => {
    pattern.lastIndex = start;
    return pattern.exec(text) ? pattern.lastIndex : start;
  };
}

// The value of a query or form parameter: up to `&` (or `%26`), whitespace, a quote or a bracket.
const queryValueEnd = stickyEnd(
  new RegExp(String.raw`${SCHEME}(?:(?!%26)[^&\s"'#<>,;\\)\]}]|\\\/)+`, "y"),
);
// The value of a `Name: value` header in text.
const headerValueEnd = stickyEnd(new RegExp(String.raw`${SCHEME}[^\s"',;&<>\\)\]}]+`, "y"));

/** Where a quoted JSON string value ends: at its closing quote (with the member's escaping), or the line's end. */
function quotedValueEnd(text: string, start: number, close: string): number {
  let i = start;
  while (i < text.length) {
    if (text.startsWith(close, i)) return i;
    const c = text[i];
    if (c === "\n" || c === "\r") return i;
    i += c === "\\" ? 2 : 1;
  }
  return text.length;
}

const VALUE_RULES: ValueRule[] = [
  // Quoted members at any JSON escaping level: "k":"v", 'k': 'v', \"k\":\"v\", "k": ["v"].
  {
    prefix: /(?<!\\)(\\*)(["'])([A-Za-z0-9_.$-]{1,64})\1\2\s*:\s*\[?\s*\1\2/g,
    secret: (m) => isSecretName(m[3]!),
    valueEnd: (text, start, m) => quotedValueEnd(text, start, m[1]! + m[2]!),
  },
  // Query and form parameters, also percent-encoded inside another URL (`%3Faccess_token%3D…`).
  {
    prefix: /(^|[?&#;\s,({\[]|%26|%3[fF]|%23|\\u0026)([A-Za-z0-9_.-]{1,64})(?:=|%3[dD])\\?["']?/gm,
    secret: (m) => {
      const queryPosition = m[1] === "" || /^(?:[?&#;]|%26|%3f|%23|\\u0026)$/i.test(m[1]!);
      return isSecretName(m[2]!) || (queryPosition && QUERY_ONLY.has(m[2]!.toLowerCase()));
    },
    valueEnd: queryValueEnd,
  },
  // `Name: value` headers and YAML-ish text: distinctive secret names anywhere, and any secret
  // name (`Authorization: x`, `token: x`) at the start of a line.
  {
    prefix: /(^|[\s{,;(\[]|\\[nr])([A-Za-z][A-Za-z0-9_-]{1,63})\s*:[ \t]*/gm,
    secret: (m) => {
      const lineStart = m[1] === "" || /^(?:[\r\n]|\\[nr])$/.test(m[1]!);
      return isDistinctiveName(m[2]!) || (lineStart && isSecretName(m[2]!));
    },
    valueEnd: headerValueEnd,
  },
];

function applyValueRule(text: string, rule: ValueRule): string {
  const { prefix } = rule;
  prefix.lastIndex = 0;
  let out = "";
  let copied = 0;
  for (let m = prefix.exec(text); m !== null; m = prefix.exec(text)) {
    const start = prefix.lastIndex;
    if (!rule.secret(m)) continue;
    if (text.startsWith(REDACTED, start)) {
      prefix.lastIndex = start + REDACTED.length;
      continue;
    }
    const end = rule.valueEnd(text, start, m);
    if (end <= start) continue;
    out += text.slice(copied, start) + REDACTED;
    copied = end;
    prefix.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function lowerHex(text: string): string {
  return text.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
}

/**
 * The forms in which a secret may appear in text: itself, percent-encoded (upper and lower case
 * hex), form-encoded, JSON-escaped once and twice, with JSON-escaped slashes; for a header value
 * with a scheme (`Bearer x`, `Basic x`), also the credential alone, and for `Basic` the decoded
 * `user:pass` and the password.
 *
 * @example Usage
 * ```ts
 * import { secretForms } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * const forms = secretForms('a/b"c');
 * assert.ok(forms.includes("a%2Fb%22c"));
 * assert.ok(forms.includes('a/b\\"c'));
 * assert.ok(secretForms("Bearer t0k3n-value").includes("t0k3n-value"));
 * ```
 *
 * @param secret The secret value.
 * @returns Every distinct form (the secret first).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>();
  const addAll = (value: string) => {
    if (value === "") return;
    forms.add(value);
    const uri = encodeURIComponent(value);
    forms.add(uri);
    forms.add(lowerHex(uri));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
    const json = JSON.stringify(value).slice(1, -1);
    forms.add(json);
    forms.add(JSON.stringify(json).slice(1, -1));
    forms.add(json.replaceAll("/", "\\/"));
  };
  addAll(secret);
  const scheme = /^([A-Za-z][A-Za-z-]*)\s+(\S+)$/.exec(secret.trim());
  if (scheme) {
    addAll(scheme[2]!);
    if (scheme[1]!.toLowerCase() === "basic") {
      try {
        const decoded = new TextDecoder().decode(Uint8Array.from(atob(scheme[2]!), (c) => c.charCodeAt(0)));
        addAll(decoded);
        const colon = decoded.indexOf(":");
        if (colon !== -1) addAll(decoded.slice(colon + 1));
      } catch {
        // Not base64: nothing more to register.
      }
    }
  }
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}

/**
 * The one secret set and its redaction: register secrets as they come into existence, then
 * redact any text. The {@linkcode Logger} owns one and exposes it, so that stderr, the debug log
 * and error messages for the host share the same set.
 *
 * @example Usage
 * ```ts
 * import { Redactor } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * const redactor = new Redactor();
 * redactor.add("s3cr3t/value");
 * assert.equal(redactor.redact("got s3cr3t%2Fvalue back"), "got [redacted] back");
 * assert.equal(redactor.redact("see ?access_token=abc"), "see ?access_token=[redacted]");
 * ```
 */
export class Redactor {
  #secrets = new Set<string>();
  #matcher: RegExp | null | undefined = null;

  /**
   * Registers a secret in all its forms (see {@linkcode secretForms}). Values shorter than
   * {@linkcode MIN_SECRET_LENGTH} are ignored.
   *
   * @param secret The secret value.
   */
  add(secret: string): void {
    let changed = false;
    for (const form of secretForms(secret)) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#secrets.has(form)) {
        this.#secrets.add(form);
        changed = true;
      }
    }
    if (changed) this.#matcher = undefined;
  }

  /**
   * Removes every registered secret and every secret-shaped value from a text.
   *
   * @param text The text.
   * @returns The text without secrets.
   */
  redact(text: string): string {
    if (this.#matcher === undefined) {
      // Longest first, so that a secret containing a shorter one is removed whole.
      const sorted = [...this.#secrets].sort((a, b) => b.length - a.length);
      this.#matcher = sorted.length === 0 ? null : new RegExp(sorted.map(escapeRegExp).join("|"), "g");
    }
    let out = this.#matcher === null ? text : text.replace(this.#matcher, REDACTED);
    for (const [pattern, replace] of RULES) out = out.replace(pattern, replace);
    for (const rule of VALUE_RULES) out = applyValueRule(out, rule);
    for (const [pattern, replace] of TAIL_RULES) out = out.replace(pattern, replace);
    return out;
  }
}

/**
 * Replaces known secret values (in all their forms) and secret-shaped text with `[redacted]`.
 *
 * @example Usage
 * ```ts
 * import { redact } from "./redact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redact("token abc123", ["abc123"]), "token [redacted]");
 * assert.equal(redact("Authorization: Bearer xyz", []), "Authorization: [redacted]");
 * assert.equal(redact('{"apiKey":"k-123"}', []), '{"apiKey":"[redacted]"}');
 * ```
 *
 * @param text The text to clean.
 * @param secrets Exact values to remove wherever they appear (header values, tokens).
 * @returns The text without secrets.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  return redactor.redact(text);
}
