import { describeWith, it, type TestNats, type TestPostgres } from "@grove/testkit";
import { expect } from "vitest";
import { alertsOf, consoleAs, developerOf, formOf, statusOf, textOf } from "./console-forms";
import { expectStatus, startTestApi, type TestApi, webApp } from "./harness";

interface Listed {
  items: { id: string }[];
}

const policies = async (t: TestApi, token: string) =>
  ((await expectStatus(await t.call("/v1/policies", { token }), 200)) as Listed).items;
const egressRules = async (t: TestApi, token: string) =>
  ((await expectStatus(await t.call("/v1/egress-rules", { token }), 200)) as Listed).items;

/** acme, its tenant admin's token, and apps web and api in space default. */
async function acme(pg: TestPostgres, nats: TestNats): Promise<{ t: TestApi; admin: string }> {
  const t = await startTestApi(pg, nats);
  const admin = await t.tenantWithToken("acme", "tenant_admin");
  for (const name of ["web", "api"])
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: admin, json: webApp(name) }), 201);
  return { t, admin };
}

describeWith(["postgres", "nats"], "console: network policies and egress rules", () => {
  it("a tenant admin adds and removes policies and egress rules; bad input changes nothing and says why", async ({
    pg,
    nats,
  }) => {
    const { t, admin } = await acme(pg, nats);
    const console = consoleAs(t, admin);

    const empty = await console.get("/console/network");
    expect(empty.status).toBe(200);
    expect(empty.html).toContain('aria-current="page">Network</a>');
    expect(textOf(empty.html)).toContain("No policies: no app can open connections to another.");
    expect(textOf(empty.html)).toContain("No egress rules: containers reach DNS alone.");
    expect(formOf(empty, "new-policy")).toContain('<option value="default/api">api (default)</option>');

    const added = await console.post("/console/policies", {
      source: "default/web",
      destination: "default/api",
      protocol: "tcp",
      port: "8080",
      end_port: "",
    });
    expect(added.status).toBe(200);
    expect(statusOf(added)).toBe("Policy added: web may open connections to api on tcp port 8080.");
    expect(textOf(added.html)).toMatch(/web \(space default\) api \(space default\) tcp port 8080/);
    const [policy] = await policies(t, admin);
    expect(await policies(t, admin)).toHaveLength(1);

    // a port out of range and a range backwards: the API's 400 at the form, what was typed kept
    const outOfRange = await console.post("/console/policies", {
      source: "default/web",
      destination: "default/api",
      protocol: "udp",
      port: "70000",
    });
    expect(outOfRange.status).toBe(400);
    expect(alertsOf(outOfRange)).toMatch(/^Invalid request: port: /);
    const form = formOf(outOfRange, "new-policy");
    expect(form).toMatch(/name="port"[^>]*value="70000"[^>]*aria-invalid="true"/);
    expect(form).toContain('<option value="udp" selected="">UDP</option>');
    const backwards = await console.post("/console/policies", {
      source: "default/web",
      destination: "default/api",
      port: "9000",
      end_port: "8000",
    });
    expect(backwards.status).toBe(400);
    expect(alertsOf(backwards)).toContain("end_port: must be >= port");
    const noApp = await console.post("/console/policies", {
      source: "default/nope",
      destination: "default/api",
      port: "1",
    });
    expect(noApp.status).toBe(404);
    expect(alertsOf(noApp)).toContain("no app nope");
    expect(await policies(t, admin)).toHaveLength(1);

    const removed = await console.post(`/console/policies/${policy?.id}/remove`, {});
    expect(statusOf(removed)).toBe("Policy removed: the connections it allowed are cut.");
    expect(await policies(t, admin)).toEqual([]);
    const again = await console.post(`/console/policies/${policy?.id}/remove`, {});
    expect(again.status).toBe(404);
    expect(alertsOf(again)).toContain("Not found");

    // egress rules
    const rule = await console.post("/console/egress-rules", {
      destination: "203.0.113.0/24",
      protocol: "tcp",
      port: "443",
      end_port: "",
      rule_space: "",
    });
    expect(statusOf(rule)).toBe("Egress rule added: the tenant may reach 203.0.113.0/24 on tcp port 443.");
    expect(textOf(rule.html)).toMatch(/the whole tenant 203\.0\.113\.0\/24 tcp port 443/);
    const icmp = await console.post("/console/egress-rules", {
      destination: "198.51.100.7",
      protocol: "icmp",
      rule_space: "default",
    });
    expect(statusOf(icmp)).toBe("Egress rule added: space default may reach 198.51.100.7 on icmp.");
    for (const [fields, message] of [
      [{ destination: "example.com", protocol: "tcp" }, "destination: must be an IPv4 network a.b.c.d/n"],
      [{ destination: "10.0.0.0/8", protocol: "icmp", port: "80" }, "port: tcp or udp only"],
      [{ destination: "10.0.0.0/8", protocol: "tcp", rule_space: "nowhere" }, "no space nowhere"],
    ] as const) {
      const refused = await console.post("/console/egress-rules", fields);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(alertsOf(refused)).toContain(message);
      expect(formOf(refused, "new-egress-rule")).toContain(`value="${fields.destination}"`);
    }
    const rules = await egressRules(t, admin);
    expect(rules).toHaveLength(2);
    const gone = await console.post(`/console/egress-rules/${rules[0]?.id}/remove`, {});
    expect(statusOf(gone)).toBe("Egress rule removed: the connections it allowed are cut.");
    expect(await egressRules(t, admin)).toHaveLength(1);
  });

  it("a developer adds policies but sees egress rules read-only; a viewer sees everything without forms, and crafted posts get the API's 403", async ({
    pg,
    nats,
  }) => {
    const { t, admin } = await acme(pg, nats);
    await expectStatus(
      await t.call("/v1/egress-rules", {
        method: "POST",
        token: admin,
        json: { destination: "203.0.113.0/24" },
      }),
      201,
    );
    // the platform default an operator set shows to the tenant, never with a remove button
    await expectStatus(
      await t.call("/v1/egress-rules", {
        method: "POST",
        json: { destination: "192.0.2.53", protocol: "udp", port: 53, platform: true },
      }),
      201,
    );

    const dev = consoleAs(t, await developerOf(t, admin, "dev", "developer"));
    const added = await dev.post("/console/policies", {
      source: "default/web",
      destination: "default/api",
      port: "8080",
    });
    expect(statusOf(added)).toContain("Policy added");
    expect(added.html).toContain('aria-label="Remove the policy from web to api on tcp port 8080"');
    expect(formOf(added, "new-egress-rule")).toBe("");
    expect(textOf(added.html)).toContain("Tenant admins manage egress rules.");
    expect(textOf(added.html)).toMatch(/every tenant \(platform default\) 192\.0\.2\.53 udp port 53/);
    expect(added.html).not.toContain("Remove the egress rule");
    const crafted = await dev.post("/console/egress-rules", { destination: "0.0.0.0/0", protocol: "all" });
    expect(crafted.status).toBe(403);
    expect(alertsOf(crafted)).toContain("this needs a tenant admin or operator token");

    const viewerToken = await developerOf(t, admin, "auditor", "viewer");
    const viewer = consoleAs(t, viewerToken);
    const page = await viewer.get("/console/network");
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toMatch(/web \(space default\) api \(space default\) tcp port 8080/);
    expect(textOf(page.html)).toContain("Your role changes no space here: policies are shown read-only.");
    expect(formOf(page, "new-policy")).toBe("");
    expect(page.html).not.toContain(">Remove<");
    const [policy] = await policies(t, admin);
    const refused = await viewer.post(`/console/policies/${policy?.id}/remove`, {});
    expect(refused.status).toBe(403);
    expect(alertsOf(refused)).toContain("cannot change it (this needs the developer role)");
    const viewerPost = await viewer.post("/console/policies", {
      source: "default/api",
      destination: "default/web",
      port: "80",
    });
    expect(viewerPost.status).toBe(403);
    expect(await policies(t, admin)).toHaveLength(1);
    expect(await egressRules(t, admin)).toHaveLength(2);
  });
});
