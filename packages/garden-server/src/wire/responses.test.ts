import { ContainerNotFound, ExecutableNotFound, ProcessNotFound, Unrecoverable } from "@grove/garden";
import { describe, expect, it } from "vitest";
import { MalformedRequest } from "../errors";
import { errorToWire } from "./error-body";
import { bandwidthLimitsToWire, diskLimitsToWire, memoryLimitsToWire } from "./limits";
import { capacityToWire, containerInfoToWire, metricsToWire } from "./responses";

describe("errorToWire", () => {
  it("answers 404 with the handle for a missing container", () => {
    expect(errorToWire(new ContainerNotFound("nope"))).toEqual({
      status: 404,
      body: {
        Type: "ContainerNotFoundError",
        Message: "unknown handle: nope",
        Handle: "nope",
        ProcessID: "",
        Binary: "",
      },
    });
  });

  it("answers 404 with the process id for a missing process", () => {
    const { status, body } = errorToWire(new ProcessNotFound("p9"));
    expect(status).toBe(404);
    expect(body).toMatchObject({ Type: "ProcessNotFoundError", ProcessID: "p9" });
  });

  it("answers 500 with the type for other runtime errors and an empty type for the rest", () => {
    expect(errorToWire(new ExecutableNotFound("/bin/nope"))).toMatchObject({
      status: 500,
      body: { Type: "ExecutableNotFoundError", Binary: "/bin/nope" },
    });
    expect(errorToWire(new Unrecoverable("disk gone")).body.Type).toBe("UnrecoverableError");
    expect(errorToWire(new MalformedRequest("bad"))).toEqual({
      status: 500,
      body: { Type: "", Message: "bad", Handle: "", ProcessID: "", Binary: "" },
    });
  });
});

describe("responses", () => {
  it("writes ContainerInfo with Go field names", () => {
    const wire = containerInfoToWire({
      state: "active",
      events: [],
      hostIP: "10.0.0.1",
      containerIP: "10.0.0.2",
      externalIP: "192.0.2.1",
      containerPath: "/depot/h",
      processIDs: ["a"],
      properties: { k: "v" },
      mappedPorts: [{ hostPort: 61001, containerPort: 8080 }],
    });
    expect(wire).toMatchObject({
      State: "active",
      HostIP: "10.0.0.1",
      ContainerIP: "10.0.0.2",
      ExternalIP: "192.0.2.1",
      ContainerPath: "/depot/h",
      ProcessIDs: ["a"],
      Properties: { k: "v" },
      MappedPorts: [{ HostPort: 61001, ContainerPort: 8080 }],
    });
  });

  it("writes Metrics with every memory.stat key and Go field names", () => {
    const wire = metricsToWire({
      memoryStat: { rss: 10, total_rss: 10, total_cache: 5, total_inactive_file: 2 },
      cpuStat: { usage: 3, user: 2, system: 1 },
      diskStat: { totalBytesUsed: 1, totalInodesUsed: 2, exclusiveBytesUsed: 3, exclusiveInodesUsed: 4 },
      networkStat: { rxBytes: 7, txBytes: 8 },
      pidStat: { current: 1, max: 0 },
      ageNs: 99,
      cpuEntitlement: 0,
    });
    expect(wire.MemoryStat).toMatchObject({ rss: 10, total_cache: 5, swap: 0, TotalUsageTowardLimit: 13 });
    expect(wire).toMatchObject({
      CPUStat: { Usage: 3, User: 2, System: 1 },
      DiskStat: { TotalBytesUsed: 1, ExclusiveInodesUsed: 4 },
      NetworkStat: { RxBytes: 7, TxBytes: 8 },
      PidStat: { Current: 1, Max: 0 },
      Age: 99,
    });
  });

  it("leaves zero fields out of omitempty structs (capacity, limits)", () => {
    expect(
      capacityToWire({ memoryInBytes: 5, diskInBytes: 0, schedulableDiskInBytes: 0, maxContainers: 3 }),
    ).toEqual({
      memory_in_bytes: 5,
      max_containers: 3,
    });
    expect(memoryLimitsToWire(undefined)).toEqual({});
    expect(bandwidthLimitsToWire({ rateInBytesPerSecond: 1 })).toEqual({ rate: 1 });
    expect(diskLimitsToWire({ byteHard: 9, scope: "exclusive" })).toEqual({ byte_hard: 9, scope: 1 });
  });
});
