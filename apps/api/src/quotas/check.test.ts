import { describe, expect, it } from "vitest";
import { askedBy, askedByVolume, checkQuota, type QuotaLimits, type Usage } from "./check";

const unlimited: QuotaLimits = {
  memoryMb: null,
  instanceMemoryMb: null,
  instances: null,
  apps: null,
  diskMb: null,
  routes: null,
  volumes: null,
  volumeMb: null,
};
const usage = (u: Partial<Usage> = {}): Usage => ({
  memoryMb: 0,
  instances: 0,
  apps: 0,
  diskMb: 0,
  routes: 0,
  volumes: 0,
  volumeMb: 0,
  instanceMemoryMb: 0,
  ...u,
});
const app = (instances: number, memoryMb = 256, state: "started" | "stopped" = "started", diskMb = 1024) => ({
  state,
  instances,
  memoryMb,
  diskMb,
});

describe("askedBy", () => {
  it("counts a started app's instances, memory and disk, and every app as one", () => {
    expect(askedBy(null, app(2, 256, "started", 100))).toEqual({
      memoryMb: 512,
      instances: 2,
      apps: 1,
      diskMb: 200,
      routes: 1,
      volumes: 0,
      volumeMb: 0,
      instanceMemoryMb: 256,
    });
  });

  it("counts a stopped app only as an app", () => {
    expect(askedBy(null, app(3, 256, "stopped"))).toEqual({
      memoryMb: 0,
      instances: 0,
      apps: 1,
      diskMb: 0,
      routes: 1,
      volumes: 0,
      volumeMb: 0,
      instanceMemoryMb: null,
    });
  });

  it("frees what a stop, a scale down or a delete gives back", () => {
    expect(askedBy(app(2), app(2, 256, "stopped"))).toMatchObject({ memoryMb: -512, instances: -2 });
    expect(askedBy(app(4), app(1))).toMatchObject({ memoryMb: -768, instances: -3, instanceMemoryMb: null });
    expect(askedBy(app(1), null)).toMatchObject({ apps: -1, memoryMb: -256 });
  });

  it("asks for memory per instance when instances are added or enlarged, not when shrunk", () => {
    expect(askedBy(app(1, 256), app(2, 256)).instanceMemoryMb).toBe(256);
    expect(askedBy(app(4, 256), app(1, 512)).instanceMemoryMb).toBe(512);
    expect(askedBy(app(2, 512), app(2, 256)).instanceMemoryMb).toBeNull();
    expect(askedBy(app(2, 256, "stopped"), app(2, 256)).instanceMemoryMb).toBe(256);
    expect(askedBy(app(2), app(0)).instanceMemoryMb).toBeNull();
  });
});

describe("checkQuota", () => {
  it("admits anything under an unlimited quota", () => {
    expect(checkQuota(unlimited, usage({ memoryMb: 1e9 }), askedBy(null, app(10_000, 1_048_576)))).toBeNull();
  });

  it("admits growth up to the limit exactly and refuses one more, naming limit, usage and asked", () => {
    const limits = { ...unlimited, memoryMb: 1024 };
    expect(checkQuota(limits, usage({ memoryMb: 768 }), askedBy(app(1), app(2)))).toBeNull();
    expect(checkQuota(limits, usage({ memoryMb: 1024 }), askedBy(app(1), app(2)))).toEqual({
      field: "memoryMb",
      limit: 1024,
      usage: 1024,
      asked: 256,
    });
  });

  it("always admits scaling down, stopping and deleting, even above a lowered quota", () => {
    const limits = {
      memoryMb: 100,
      instanceMemoryMb: 64,
      instances: 1,
      apps: 0,
      diskMb: 10,
      routes: 0,
      volumes: 0,
      volumeMb: 0,
    };
    const over = usage({ memoryMb: 4096, instances: 8, apps: 3, diskMb: 9000, instanceMemoryMb: 512 });
    expect(checkQuota(limits, over, askedBy(app(8, 512), app(2, 512)))).toBeNull();
    expect(checkQuota(limits, over, askedBy(app(8, 512), app(8, 512, "stopped")))).toBeNull();
    expect(checkQuota(limits, over, askedBy(app(8, 512), null))).toBeNull();
    expect(checkQuota(limits, over, askedBy(app(8, 512), app(8, 64)))).toBeNull();
  });

  it("admits a new revision of the same size above a lowered quota (nothing grows)", () => {
    const limits = { ...unlimited, memoryMb: 100, instanceMemoryMb: 64 };
    expect(checkQuota(limits, usage({ memoryMb: 512 }), askedBy(app(2), app(2)))).toBeNull();
  });

  it("refuses growth above a lowered quota", () => {
    const limits = { ...unlimited, instances: 2 };
    expect(checkQuota(limits, usage({ instances: 5 }), askedBy(app(5), app(6)))).toEqual({
      field: "instances",
      limit: 2,
      usage: 5,
      asked: 1,
    });
  });

  it("refuses memory per instance above its limit when instances are added or enlarged", () => {
    const limits = { ...unlimited, instanceMemoryMb: 512 };
    expect(checkQuota(limits, usage(), askedBy(null, app(1, 1024)))).toEqual({
      field: "instanceMemoryMb",
      limit: 512,
      usage: 0,
      asked: 1024,
    });
    expect(checkQuota(limits, usage(), askedBy(null, app(1, 1024, "stopped")))).toBeNull();
    expect(
      checkQuota(limits, usage({ instanceMemoryMb: 1024 }), askedBy(app(2, 1024), app(3, 1024))),
    ).toMatchObject({ field: "instanceMemoryMb" });
  });

  it("counts apps, stopped ones included", () => {
    const limits = { ...unlimited, apps: 1 };
    expect(checkQuota(limits, usage({ apps: 1 }), askedBy(null, app(0, 256, "stopped")))).toMatchObject({
      field: "apps",
      asked: 1,
    });
  });

  it("checks disk as instances × disk of started apps", () => {
    const limits = { ...unlimited, diskMb: 2048 };
    expect(
      checkQuota(
        limits,
        usage({ diskMb: 1024 }),
        askedBy(app(1, 256, "started", 1024), app(2, 256, "started", 1024)),
      ),
    ).toBeNull();
    expect(
      checkQuota(
        limits,
        usage({ diskMb: 1024 }),
        askedBy(app(1, 256, "started", 1024), app(1, 256, "started", 4096)),
      ),
    ).toMatchObject({
      field: "diskMb",
      asked: 3072,
    });
  });

  it("counts volumes and their total size; apps ask for neither", () => {
    const limits = { ...unlimited, volumes: 2, volumeMb: 1024 };
    expect(checkQuota(limits, usage({ volumes: 1, volumeMb: 512 }), askedByVolume(512))).toBeNull();
    expect(checkQuota(limits, usage({ volumes: 2, volumeMb: 512 }), askedByVolume(1))).toEqual({
      field: "volumes",
      limit: 2,
      usage: 2,
      asked: 1,
    });
    expect(checkQuota(limits, usage({ volumes: 1, volumeMb: 1000 }), askedByVolume(25))).toMatchObject({
      field: "volumeMb",
      usage: 1000,
      asked: 25,
    });
    expect(checkQuota(limits, usage({ volumes: 9, volumeMb: 9999 }), askedBy(null, app(1)))).toBeNull();
  });

  it("counts each app's default route: a new app asks for one, a scale or stop for none", () => {
    const limits = { ...unlimited, routes: 2 };
    expect(checkQuota(limits, usage({ apps: 2, routes: 2 }), askedBy(null, app(1)))).toEqual({
      field: "routes",
      limit: 2,
      usage: 2,
      asked: 1,
    });
    expect(checkQuota(limits, usage({ apps: 2, routes: 2 }), askedBy(app(1), app(3)))).toBeNull();
    expect(askedBy(app(1), null).routes).toBe(-1);
  });
});
