import { describe, expect, it } from "vitest";
import { parseGardenFlags, parseGoDuration, UsageError } from "./cli-flags";

describe("grove-garden flags", () => {
  it("reads the reference server's flag names for a TCP listener", () => {
    const config = parseGardenFlags([
      "--bind-ip",
      "127.0.0.1",
      "--bind-port",
      "7777",
      "--depot",
      "/srv/g/depot",
    ]);
    expect(config).toMatchObject({
      listen: { host: "127.0.0.1", port: 7777 },
      depotDir: "/srv/g/depot",
      imageStoreDir: "/srv/g/garden-state/images",
      runtimeRoot: "/srv/g/garden-state/runc",
      runtimePath: "runc",
      allowPrivileged: true,
      bindMountSourceRoots: [],
      portPool: { start: 61001, end: 65534 },
    });
  });

  it("serves on /tmp/garden.sock by default and takes --flag=value spellings", () => {
    const config = parseGardenFlags([
      "--depot=/d",
      "--default-grace-time=5m",
      "--deny-privileged",
      "--port-pool-start=40000",
      "--port-pool-size=10",
      "--network-pool=10.9.0.0/24",
      "--bind-mount-source-roots=/srv/volumes,/srv/shared",
    ]);
    expect(config).toMatchObject({
      listen: { socketPath: "/tmp/garden.sock" },
      defaultGraceTimeNs: 300e9,
      allowPrivileged: false,
      portPool: { start: 40000, end: 40009 },
      network: { subnet: "10.9.0.0/24" },
      bindMountSourceRoots: ["/srv/volumes", "/srv/shared"],
    });
  });

  it("fails with one line naming the bad flag", () => {
    expect(() => parseGardenFlags(["--depot", "/d", "--bind-port", "99999"])).toThrow(/^--bind-port: /);
    expect(() => parseGardenFlags(["--depot", "/d", "--nope"])).toThrow("unknown flag --nope");
    expect(() => parseGardenFlags(["--depot", "/d", "--bind-mount-source-roots", "relative"])).toThrow(
      /^--bind-mount-source-roots: /,
    );
    expect(() => parseGardenFlags([])).toThrow("--depot DIR is required");
    expect(() => parseGardenFlags(["--depot"])).toThrow("flag --depot needs a value");
    expect(() => parseGardenFlags(["--depot", "/d", "--bind-socket", "/s", "--bind-port", "1"])).toThrow(
      UsageError,
    );
    expect(() => parseGardenFlags(["--depot", "/d", "--default-grace-time", "soon"])).toThrow(
      /^--default-grace-time: /,
    );
  });

  it("defaults to a pool of its own, apart from the single node's and the cells' networks", () => {
    const config = parseGardenFlags(["--depot", "/d"]);
    if (config === "help") throw new Error("no help asked for");
    const { network } = config;
    expect(network).toMatchObject({ subnet: "10.252.0.0/22", bridge: "grove-garden0" });
    // the agent's fallback subnet and the api's cell network (GROVE_SUBNET, GROVE_CELL_NETWORK)
    for (const other of ["10.254.0.0/22", "10.250.0.0/16"]) {
      expect(network.subnet.split(".").slice(0, 2)).not.toEqual(other.split(".").slice(0, 2));
    }
  });

  it("parses Go durations", () => {
    expect(parseGoDuration("1h30m")).toBe(5400e9);
    expect(parseGoDuration("250ms")).toBe(250e6);
    expect(parseGoDuration("0")).toBe(0);
    expect(() => parseGoDuration("5 m")).toThrow(UsageError);
  });
});
