import { stat } from "node:fs/promises";
import { join } from "node:path";
import { CHROMIUM_PATH, describeWith, it } from "@grove/testkit";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { expect, onTestFinished } from "vitest";
import { csrfTokenFor } from "../src/console/session";
import { eventually, expectStatus, OPERATOR, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";

/** Browser tests wait on a real chromium: on a loaded machine they take a while. */
const BROWSER = { timeout: 120_000 };

/** Debian's chromium, headless, closed when the test finishes. */
async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  onTestFinished(() => browser.close());
  return browser;
}

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/console(\?|$)/);
}

/** A located element's text (playwright's textContent, so no DOM type is needed). */
const textOf = async (locator: Locator) => (await locator.textContent()) ?? "";

/** How wide the page's content is: wider than the viewport means sideways scrolling. */
const pageWidth = (page: Page) => page.evaluate<number>("document.documentElement.scrollWidth");

async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  expect((await stat(path)).size).toBeGreaterThan(1000);
  await import("node:fs/promises").then((fs) => fs);
}

/** acme (tenant quota 4096 MB, 10 instances) with space dev (1024 MB) running web: 2 × 256 MB. */
async function acme(t: TestApi): Promise<string> {
  const admin = await t.tenantWithToken("acme", "tenant_admin");
  await expectStatus(
    await t.call("/v1/tenants/acme/quota", { method: "PATCH", json: { memory_mb: 4096, instances: 10 } }),
    200,
  );
  await expectStatus(
    await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } }),
    201,
  );
  await expectStatus(
    await t.call("/v1/spaces/dev/quota", { method: "PATCH", token: admin, json: { memory_mb: 1024 } }),
    200,
  );
  await expectStatus(
    await t.call("/v1/apps", {
      method: "POST",
      token: admin,
      json: webApp("web", { space: "dev", instances: 2, memory_mb: 256 }),
    }),
    201,
  );
  return admin;
}

const spaceQuota = async (t: TestApi, token: string) =>
  (await expectStatus(await t.call("/v1/spaces/dev/quota", { token }), 200)) as {
    memory_mb: { limit: number | null; usage: number };
  };

describeWith(["root", "postgres", "nats", "chromium"], "web console", () => {
  it(
    "a tenant admin signs in, sees usage bars, changes a space quota, sees refusals, and it fits 375 px",
    BROWSER,
    async ({ pg, nats, tmp }) => {
      const t = await startTestApi(pg, nats);
      const admin = await acme(t);
      const url = await t.serveHttp();
      const browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
      const page = await context.newPage();

      await signIn(page, url, admin);
      expect(page.url()).not.toContain(admin);
      const [session] = (await context.cookies()).filter((cookie) => cookie.name === "grove_console");
      expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });

      const tenant = page.getByRole("region", { name: "Tenant acme" });
      const memory = tenant.getByRole("meter", { name: "Memory", exact: true });
      await expect.poll(() => memory.getAttribute("value")).toBe("512");
      expect(await memory.getAttribute("max")).toBe("4096");
      expect(await textOf(tenant)).toContain("512 MB of 4,096 MB (13%)");
      expect(await textOf(tenant)).toContain("2 of 10 (20%)");
      const dev = page.getByRole("article", { name: "Space dev" });
      expect(await dev.getByRole("meter", { name: "Memory", exact: true }).getAttribute("max")).toBe("1024");
      await screenshot(page, tmp, "overview");

      // a change through the form, by keyboard-reachable controls
      await dev.getByText("Change space dev's quota").click();
      await dev.getByLabel("Memory (MB)", { exact: true }).fill("2048");
      await dev.getByRole("button", { name: "Save space dev's quota" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("Space dev's quota saved.");
      expect((await spaceQuota(t, admin)).memory_mb.limit).toBe(2048);
      expect(await textOf(dev)).toContain("512 MB of 2,048 MB (25%)");

      // a bad value: the API's validation refuses it, the page says why, nothing changes
      await dev.getByText("Change space dev's quota").click();
      await dev.getByLabel("Memory (MB)", { exact: true }).fill("-5");
      const refused = page.waitForResponse((res) => res.request().method() === "POST");
      await dev.getByRole("button", { name: "Save space dev's quota" }).click();
      expect((await refused).status()).toBe(400);
      const alert = dev.getByRole("alert");
      expect(await textOf(alert)).toMatch(/Invalid request:.*memory_mb/);
      expect(await dev.getByLabel("Memory (MB)", { exact: true }).inputValue()).toBe("-5");
      expect((await spaceQuota(t, admin)).memory_mb.limit).toBe(2048);
      await screenshot(page, tmp, "refused");

      // a stale form, by keyboard alone: someone changed the quota meanwhile, so If-Match refuses
      await page.goto(`${url}/console`);
      await expectStatus(
        await t.call("/v1/spaces/dev/quota", { method: "PATCH", token: admin, json: { memory_mb: 3000 } }),
        200,
      );
      await dev.getByText("Change space dev's quota").focus();
      await page.keyboard.press("Enter");
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.id")).toBe("space-quota-dev-memory_mb");
      await page.keyboard.press("ControlOrMeta+a");
      await page.keyboard.type("1500");
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/console\/spaces\/dev\/quota$/);
      expect(await textOf(dev.getByRole("alert"))).toContain("Precondition failed");
      expect(await page.evaluate("document.activeElement.getAttribute('role')")).toBe("alert");
      expect((await spaceQuota(t, admin)).memory_mb.limit).toBe(3000);

      // phone width: nothing wider than the screen, the skip link first in the tab order
      await page.setViewportSize({ width: 375, height: 812 });
      await page.goto(`${url}/console`);
      expect(await pageWidth(page)).toBeLessThanOrEqual(375);
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.textContent")).toBe("Skip to content");
      await expect.poll(() => page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
      await screenshot(page, tmp, "phone-overview");
      await page.getByRole("link", { name: "Apps" }).click();
      await expect.poll(() => page.getByRole("heading", { name: "web" }).isVisible()).toBe(true);
      expect(await textOf(page.getByRole("region", { name: "Recent events", exact: true }))).toContain(
        "created",
      );
      expect(await pageWidth(page)).toBeLessThanOrEqual(375);

      // growth past the tenant's instances quota: the API's 422 and its message in the page
      await page.getByLabel("Instances of web").fill("20");
      const scaled = page.waitForResponse((res) => res.request().method() === "POST");
      await page.getByRole("button", { name: "Scale web" }).click();
      expect((await scaled).status()).toBe(422);
      expect(await textOf(page.getByRole("alert"))).toContain(
        "the tenant's instances quota is 10 instances: 2 in use, this asks for 18 more",
      );
      await screenshot(page, tmp, "phone-apps-refused");
      await page.getByLabel("Instances of web").fill("3");
      await page.getByRole("button", { name: "Scale web" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("web scaled to 3 instances.");
      const web = (await expectStatus(await t.call("/v1/apps/web", { token: admin }), 200)) as {
        instances: number;
      };
      expect(web.instances).toBe(3);
    },
  );

  it(
    "spaces, tokens and roles: a space made, a taken name refused, a token shown once, given a role and revoked",
    BROWSER,
    async ({ pg, nats, tmp }) => {
      const t = await startTestApi(pg, nats);
      const admin = await acme(t);
      const url = await t.serveHttp();
      const page = await (await launchBrowser()).newPage();
      await signIn(page, url, admin);

      await page.locator("#new-space").getByLabel("Name").fill("prod");
      await page.getByRole("button", { name: "Create space" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("Space prod created.");
      expect(await page.getByRole("article", { name: "Space prod" }).count()).toBe(1);
      await page.locator("#new-space").getByLabel("Name").fill("prod");
      await page.getByRole("button", { name: "Create space" }).click();
      expect(await textOf(page.locator("#new-space").getByRole("alert"))).toContain("Conflict");

      await page.getByRole("link", { name: "Tokens" }).click();
      await page.getByLabel("Name").fill("ci");
      await page.getByLabel("Role").selectOption("developer");
      await page.getByRole("button", { name: "Create token" }).click();
      const secret = (await textOf(page.locator("#new-token-secret"))).trim();
      expect(secret).toMatch(/^grove_/);
      await screenshot(page, tmp, "token-created");
      await expectStatus(await t.call("/v1/apps", { token: secret }), 200);

      // the developer token gets a role in space dev, then loses it
      await page.getByRole("link", { name: "Overview" }).click();
      const dev = page.getByRole("article", { name: "Space dev" });
      await dev.getByLabel("Developer token").selectOption({ label: "ci" });
      await dev.getByLabel("Role").selectOption("viewer");
      await dev.getByRole("button", { name: "Give role in dev" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("Role viewer given in space dev.");
      expect(await textOf(page.getByRole("article", { name: "Space dev" }))).toContain("ci: viewer");
      const roles = async () =>
        (
          (await expectStatus(await t.call("/v1/spaces/dev/roles", { token: admin }), 200)) as {
            items: { token_name: string; role: string }[];
          }
        ).items;
      expect(await roles()).toMatchObject([{ token_name: "ci", role: "viewer" }]);
      await screenshot(page, tmp, "space-roles");
      await page.getByRole("button", { name: "Remove ci's role in dev" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("Role in space dev removed.");
      expect(await roles()).toEqual([]);

      await page.goto(`${url}/console/tokens`);
      expect(await textOf(page.locator("body"))).not.toContain(secret);
      await page.getByRole("button", { name: "Revoke token ci" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("Token revoked");
      await expectStatus(await t.call("/v1/apps", { token: secret }), 401);

      // refused by the API: an expiry below its minimum
      await page.getByLabel("Name").fill("short");
      await page.getByLabel("Expires in days").fill("0");
      await page.getByRole("button", { name: "Create token" }).click();
      expect(await textOf(page.getByRole("alert"))).toContain("expires_in_seconds");
    },
  );

  it(
    "operators pick a tenant, change its quota, see instances with their usage and cells; developers get the API's 403",
    BROWSER,
    async ({ pg, nats, tmp }) => {
      const t = await startTestApi(pg, nats);
      await acme(t);
      const headers = { "X-Grove-Tenant": "acme" };
      const join = (await expectStatus(
        await t.call("/v1/cells/tokens", { method: "POST", json: {} }),
        201,
      )) as {
        token: string;
      };
      const cell = await joinHollowCell(t.nc, join.token, "cell-a");
      onTestFinished(() => cell.stop());
      await expectStatus(
        await t.call("/v1/apps/web/bits", {
          method: "PUT",
          body: await tarOf({ "app.sh": "httpd" }),
          headers,
        }),
        200,
      );
      await eventually(async () => (cell.starts.length === 2 ? true : undefined));
      for (const start of cell.starts) await cell.report(start, "RUNNING");
      cell.heartbeat({ cpuPercent: 12.5, memoryBytes: 64 * 1048576, diskBytes: 1048576 });
      const developer = (
        (await expectStatus(
          await t.call("/v1/tokens", { method: "POST", json: { role: "developer", tenant: "acme" } }),
          201,
        )) as { token: string }
      ).token;
      const url = await t.serveHttp();
      const browser = await launchBrowser();
      const page = await browser.newPage();
      await signIn(page, url, OPERATOR);

      await page.getByRole("link", { name: "acme" }).click();
      await page.getByText("Change the tenant quota").click();
      await page.locator("#tenant-quota").getByLabel("Memory (MB)", { exact: true }).fill("8192");
      await page.getByRole("button", { name: "Save tenant quota" }).click();
      await expect.poll(() => textOf(page.getByRole("status"))).toContain("Tenant acme's quota saved.");
      const quota = (await expectStatus(await t.call("/v1/tenants/acme/quota"), 200)) as {
        memory_mb: { limit: number };
      };
      expect(quota.memory_mb.limit).toBe(8192);

      await page.getByRole("link", { name: "Apps" }).click();
      const instances = page.getByRole("region", { name: "Instances of web" });
      // state, cell and the usage the cell's heartbeat reported, once the api has stored it
      await expect
        .poll(async () => {
          await page.reload();
          return textOf(instances);
        })
        .toMatch(/RUNNING.*cell-a.*12\.5%.*64 MB.*RUNNING.*cell-a.*12\.5%.*64 MB/s);
      await screenshot(page, tmp, "apps");

      await page.getByRole("link", { name: "Cells" }).click();
      const cells = page.getByRole("region", { name: "Cells" });
      expect(await textOf(cells)).toContain("cell-a");
      expect(await textOf(cells)).toContain("4,096 MB");
      await screenshot(page, tmp, "cells");

      // a developer reads but the API refuses what their role lacks, and the page says so
      const devPage = await (await browser.newContext()).newPage();
      await signIn(devPage, url, developer);
      expect(await textOf(devPage.getByRole("region", { name: "Tenant acme" }))).toContain("512 MB");
      const answer = await devPage.goto(`${url}/console/cells`);
      expect(answer?.status()).toBe(403);
      expect(await textOf(devPage.getByRole("alert"))).toContain("operator");
    },
  );

  it("refuses posts without the session's CSRF token, and shows a developer's crafted post the API's 403", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const admin = await acme(t);
    const post = (path: string, body: string, cookie: string) =>
      t.api.app.request(path, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body,
      });
    const forged = await post("/console/spaces", "name=evil&csrf=guess", `grove_console=${admin}`);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("did not come from this session");
    await expectStatus(await t.call("/v1/spaces/evil/quota", { token: admin }), 404);
    expect((await post("/console/sign-in", `token=${admin}&csrf=x`, "")).status).toBe(403);

    // the console adds no authorization of its own: a developer's post gets the API's 403 and message
    const developer = (
      (await expectStatus(
        await t.call("/v1/tokens", {
          method: "POST",
          token: admin,
          json: { role: "developer", tenant: "acme" },
        }),
        201,
      )) as { token: string }
    ).token;
    const refused = await post(
      "/console/spaces/dev/quota",
      `csrf=${csrfTokenFor(developer)}&memory_mb=1`,
      `grove_console=${developer}`,
    );
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("this needs a tenant admin or operator token");
    expect((await spaceQuota(t, admin)).memory_mb.limit).toBe(1024);
    const page = await t.api.app.request("/console", { headers: { cookie: `grove_console=${admin}` } });
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("cache-control")).toBe("no-store");
  });
});
