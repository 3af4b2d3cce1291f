/**
 * A headless "user" for the device authorization grant (RFC 8628) at the test authorization server
 * (oidc-provider): opens `verification_uri_complete` and submits what a user would, with a cookie
 * jar and redirects followed by hand:
 *
 * 1. the auto-submitting form that carries the user code (`form_post`, JavaScript in a browser);
 * 2. the "Confirm Device" form (`confirm=yes`);
 * 3. the auto-approving login and consent interactions (redirects);
 * 4. until a page without a form: oidc-provider's "Sign-in Success" page.
 *
 * @module
 */

/** Where the device verification ended. */
export interface DeviceApproval {
  /** The final page's status. */
  status: number;
  /** The final page's body. */
  body: string;
  /** The forms submitted, by action path, in order. */
  forms: string[];
}

function unescapeHtml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#39|#x27);/g,
    (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" })[name]!,
  );
}

/** The first `<form method="post">` of a page: its action and hidden inputs. */
function postForm(html: string): { action: string; fields: URLSearchParams } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form || !/method="post"/i.test(form[1]!)) return undefined;
  const action = /action="([^"]*)"/i.exec(form[1]!);
  if (!action) return undefined;
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = input[1]!;
    if (!/type="hidden"/i.test(attributes)) continue;
    const name = /name="([^"]*)"/i.exec(attributes);
    const value = /value="([^"]*)"/i.exec(attributes);
    if (name) fields.set(unescapeHtml(name[1]!), unescapeHtml(value?.[1] ?? ""));
  }
  return { action: unescapeHtml(action[1]!), fields };
}

/**
 * Approves a device authorization as the user would.
 *
 * @param verificationUriComplete The `verification_uri_complete` (with the user code).
 * @param maxSteps The most requests to make.
 * @returns The final page.
 */
export async function approveDevice(verificationUriComplete: string, maxSteps = 30): Promise<DeviceApproval> {
  const jar = new Map<string, string>();
  const forms: string[] = [];
  let url = new URL(verificationUriComplete);
  let init: { method: string; body?: URLSearchParams } = { method: "GET" };
  for (let step = 0; step < maxSteps; step++) {
    const headers = new Headers({ accept: "text/html" });
    if (jar.size > 0) headers.set("cookie", [...jar].map(([n, v]) => `${n}=${v}`).join("; "));
    if (init.body) headers.set("content-type", "application/x-www-form-urlencoded");
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    const body = await response.text();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a)) ||
        attributes.some((a) => /^\s*expires\s*=/i.test(a) && Date.parse(a.split("=")[1]!) < Date.now());
      if (expired || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      init = { method: "GET" };
      continue;
    }
    const form = response.status === 200 ? postForm(body) : undefined;
    if (!form) return { status: response.status, body, forms };
    url = new URL(form.action, url);
    forms.push(url.pathname);
    init = { method: "POST", body: form.fields };
  }
  throw new Error(`The device verification did not finish within ${maxSteps} requests`);
}
