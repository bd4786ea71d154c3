import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// The production deployment's files, checked without an engine (npm run test:compose brings the
// stack up for real with podman): docker-compose.yml, the Dockerfiles, the systemd unit.
const root = fileURLToPath(new URL("../../..", import.meta.url));

interface Service {
  image: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string | number>;
  secrets?: string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  depends_on?: string[];
  command?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

async function compose(): Promise<Compose> {
  return parse(await readFile(join(root, "docker-compose.yml"), "utf8"), { merge: true }) as Compose;
}

describe("docker-compose.yml", () => {
  it("runs Postgres, three NATS servers, two api replicas and the router, each with a health check and a restart policy", async () => {
    const { services } = await compose();
    expect(Object.keys(services).sort()).toEqual([
      "api1",
      "api2",
      "nats1",
      "nats2",
      "nats3",
      "postgres",
      "router",
    ]);
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test?.[0], name).toMatch(/^CMD(-SHELL)?$/);
      expect(service.restart, name).toBe("unless-stopped");
      expect(service.image, name).toMatch(/^localhost\/grove-[a-z]+:\$\{GROVE_IMAGE_TAG:-latest\}$/);
    }
  });

  it("builds every image from a Dockerfile of the repository, none from a registry", async () => {
    const { services } = await compose();
    for (const [name, service] of Object.entries(services)) {
      expect(service.build?.context, name).toBe(".");
      const dockerfile = await readFile(join(root, service.build?.dockerfile ?? "-"), "utf8");
      const bases = [...dockerfile.matchAll(/^ARG BASE=(\S+)$/gm)].map((m) => m[1]);
      expect(bases, name).toHaveLength(1);
      expect(bases[0], name).toMatch(/^localhost\/grove-base(-[a-z]+)?:latest$/);
      for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1], name).toBe("$" + "{BASE}");
      // non-root
      expect(dockerfile, name).toMatch(/^USER 10001:10001$/m);
    }
  });

  it("gives both api replicas the same configuration and JetStream three replicas of every stream", async () => {
    const { services } = await compose();
    expect(services.api1?.environment).toEqual(services.api2?.environment);
    expect(services.api1?.environment?.GROVE_JETSTREAM_REPLICAS).toBe(3);
    expect(services.api1?.environment?.NATS_URL).toBe("tls://nats1:4222,tls://nats2:4222,tls://nats3:4222");
    expect(services.router?.environment?.NATS_URL).toBe(services.api1?.environment?.NATS_URL);
    for (const nats of ["nats1", "nats2", "nats3"])
      expect(services[nats]?.environment?.NATS_NAME, nats).toBe(nats);
  });

  it("takes secrets from files, each service only its own, and keeps data in named volumes", async () => {
    const { services, secrets, volumes } = await compose();
    const used = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const secret of service.secrets ?? []) {
        expect(secrets[secret], `${name}: ${secret}`).toBeDefined();
        used.add(secret);
      }
      // a *_FILE variable or a path variable names a mounted secret
      for (const [key, value] of Object.entries(service.environment ?? {}))
        if (/_FILE$|^GROVE_NATS_(CA|CREDS|AUTHORITY)$/.test(key)) {
          const secret = String(value).replace(/^\/run\/secrets\//, "");
          expect(service.secrets, `${name}: ${key}`).toContain(secret);
        }
      for (const volume of service.volumes ?? [])
        expect(volumes[volume.split(":")[0] ?? ""], name).toBeDefined();
    }
    expect([...used].sort()).toEqual(Object.keys(secrets).sort());
    // the operator and account keys reach the api only
    const holders = Object.entries(services).filter(([, s]) => s.secrets?.includes("nats_authority"));
    expect(holders.map(([name]) => name)).toEqual(["api1", "api2"]);
    expect(services.router?.secrets?.sort()).toEqual(["nats_ca", "router_creds"]);
    for (const secret of Object.values(secrets))
      expect(secret.file).toMatch(/^\$\{GROVE_(NATS_SECURITY|SECRETS):-/);
  });

  it("publishes the api and the router's status port on loopback unless told otherwise", async () => {
    const { services } = await compose();
    for (const name of ["api1", "api2"])
      expect(services[name]?.ports?.[0], name).toMatch(/^\$\{GROVE_API_BIND:-127\.0\.0\.1\}:/);
    expect(services.router?.ports?.[1]).toMatch(/^\$\{GROVE_STATUS_BIND:-127\.0\.0\.1\}:.*:8082$/);
    expect(services.postgres?.ports).toBeUndefined();
  });
});

describe("infra/systemd/grove-agent.service", () => {
  it("runs the built agent as root, the join token from a systemd credential, and leaves containers on stop", async () => {
    const unit = await readFile(join(root, "infra/systemd/grove-agent.service"), "utf8");
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/grove\/apps\/agent\/dist\/main\.js$/m);
    expect(unit).toMatch(/^LoadCredential=join-token:\/etc\/grove\/join-token$/m);
    expect(unit).toMatch(/^Environment=GROVE_JOIN_TOKEN_FILE=%d\/join-token$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).not.toMatch(/^User=/m);
  });
});
