import { csrfTokenFor } from "../src/console/session";
import { expectStatus, type TestApi } from "./harness";

/** A console page as it came: its status and HTML. */
export interface ConsolePage {
  status: number;
  html: string;
}

/**
 * The console as a browser signed in with `token` uses it, in-process: `get` a page, `post` a form
 * with the session's CSRF token; a post's 303 is followed, with the message it left, as a browser
 * does.
 */
export function consoleAs(t: TestApi, token: string) {
  const session = `grove_console=${token}`;
  const get = async (path: string, cookies = ""): Promise<ConsolePage> => {
    const res = await t.api.app.request(path, { headers: { cookie: `${session}${cookies}` } });
    return { status: res.status, html: await res.text() };
  };
  return {
    get: (path: string) => get(path),
    async post(path: string, fields: Record<string, string>): Promise<ConsolePage> {
      const res = await t.api.app.request(path, {
        method: "POST",
        headers: { cookie: session, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: csrfTokenFor(token), ...fields }).toString(),
      });
      if (res.status !== 303) return { status: res.status, html: await res.text() };
      const flash = /grove_console_flash=([^;]*)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
      return get(res.headers.get("location") ?? "/console", flash ? `; grove_console_flash=${flash}` : "");
    },
  };
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/** What a reader sees of some HTML: its text, tags dropped, whitespace collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<(style|title)[^>]*>[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name] ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The text of a page's status message (a change's outcome), or "" when it has none. */
export const statusOf = (page: ConsolePage) =>
  textOf(/<p class="done" role="status">([\s\S]*?)<\/p>/.exec(page.html)?.[1] ?? "");

/** The text of a page's alerts (the API's refusals), or "" when it has none. */
export const alertsOf = (page: ConsolePage) =>
  [...page.html.matchAll(/role="alert"[^>]*>([\s\S]*?)<\/div>/g)].map((m) => textOf(m[1] ?? "")).join(" | ");

/** The HTML of the form with id `id` (empty when the page has none). */
export const formOf = (page: ConsolePage, id: string) =>
  new RegExp(`<form[^>]*id="${id}"[\\s\\S]*?</form>`).exec(page.html)?.[0] ?? "";

/** A developer token named `name` of acme, with `role` in space default. */
export async function developerOf(t: TestApi, admin: string, name: string, role: "developer" | "viewer") {
  const made = (await expectStatus(
    await t.call("/v1/tokens", {
      method: "POST",
      token: admin,
      json: { role: "developer", tenant: "acme", name },
    }),
    201,
  )) as { id: string; token: string };
  await expectStatus(
    await t.call(`/v1/spaces/default/roles/${made.id}`, { method: "PUT", token: admin, json: { role } }),
    200,
  );
  return made.token;
}
