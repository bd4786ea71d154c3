import { describe, expect, it } from "vitest";
import { InvalidConfig, loadConfig } from "./config";

const base = {
  DATABASE_URL: "postgres://u@127.0.0.1/g",
  NATS_URL: "nats://127.0.0.1:4222",
  GROVE_NATS_AUTHORITY: "/etc/grove/nats-authority.json",
};

describe("loadConfig", () => {
  it("applies defaults for the optional variables", () => {
    const config = loadConfig(base);
    expect(config.GROVE_API_PORT).toBe(7070);
    expect(config.GROVE_DOMAIN).toBe("grove.localhost");
    expect(config.GROVE_PRESENCE_TTL_MS).toBe(15_000);
    expect(config.GROVE_BOOTSTRAP_TOKEN).toBeUndefined();
  });

  it("names the missing variable", () => {
    expect(() => loadConfig({ NATS_URL: base.NATS_URL })).toThrowError(/DATABASE_URL/);
  });

  it("names a variable with a bad value and treats empty strings as unset", () => {
    try {
      loadConfig({ ...base, GROVE_API_PORT: "seventy", GROVE_LOG_LEVEL: "" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfig);
      expect((error as InvalidConfig).fields.map((f) => f.field)).toEqual(["GROVE_API_PORT"]);
    }
  });

  it("reads the start queue's bound under its former name too", () => {
    expect(loadConfig(base).GROVE_STARTS_QUEUED).toBe(5_000);
    expect(loadConfig({ ...base, GROVE_STARTS_PER_ROUND: "200" }).GROVE_STARTS_QUEUED).toBe(200);
    expect(
      loadConfig({ ...base, GROVE_STARTS_PER_ROUND: "200", GROVE_STARTS_QUEUED: "300" }).GROVE_STARTS_QUEUED,
    ).toBe(300);
  });

  it("reads the replica's roles: both by default, either alone, in any order", () => {
    expect([...loadConfig(base).GROVE_API_ROLES].sort()).toEqual(["http", "leader"]);
    expect([...loadConfig({ ...base, GROVE_API_ROLES: "http" }).GROVE_API_ROLES]).toEqual(["http"]);
    expect([...loadConfig({ ...base, GROVE_API_ROLES: "leader" }).GROVE_API_ROLES]).toEqual(["leader"]);
    expect([...loadConfig({ ...base, GROVE_API_ROLES: " leader, http" }).GROVE_API_ROLES].sort()).toEqual([
      "http",
      "leader",
    ]);
  });

  it("refuses unknown, repeated and empty roles, naming the variable", () => {
    for (const roles of ["web", "http,http", "http,", ",", "HTTP"]) {
      try {
        loadConfig({ ...base, GROVE_API_ROLES: roles });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfig);
        expect((error as InvalidConfig).fields.map((f) => f.field)).toEqual(["GROVE_API_ROLES"]);
        expect((error as InvalidConfig).message).toContain("must be http, leader or http,leader");
      }
    }
  });
});
