import { describe, expect, it } from "vitest";
import { chooseEvictions, entryOfLowerDir, type StoreEntry } from "./store-gc";

const entry = (key: string, bytes: number, lastUsed: number): StoreEntry => ({ key, bytes, lastUsed });

describe("chooseEvictions", () => {
  const entries = [
    entry("blobs/sha256/a", 40, 1),
    entry("images/img-a", 100, 2),
    entry("images/img-b", 100, 5),
    entry("shifted/img-a-100000-65536", 100, 3),
    entry("blobs/partial/c", 10, 4),
  ];

  it("removes least recently used first until the store fits", () => {
    expect(chooseEvictions(entries, new Set(), 250).map((v) => v.key)).toEqual([
      "blobs/sha256/a",
      "images/img-a",
    ]);
    expect(chooseEvictions(entries, new Set(), 150).map((v) => v.key)).toEqual([
      "blobs/sha256/a",
      "images/img-a",
      "shifted/img-a-100000-65536",
    ]);
  });

  it("never removes what a container uses, even past the limit", () => {
    const inUse = new Set(["images/img-a", "shifted/img-a-100000-65536"]);
    expect(chooseEvictions(entries, inUse, 0).map((v) => v.key)).toEqual([
      "blobs/sha256/a",
      "blobs/partial/c",
      "images/img-b",
    ]);
  });

  it("removes nothing when the store fits", () => {
    expect(chooseEvictions(entries, new Set(), 350)).toEqual([]);
  });
});

describe("entryOfLowerDir", () => {
  it("names the store entry a lower dir lies in, and nothing for dirs elsewhere", () => {
    expect(entryOfLowerDir("/s", "/s/images/img-1/rootfs")).toBe("images/img-1");
    expect(entryOfLowerDir("/s", "/s/shifted/x-1-2/rootfs")).toBe("shifted/x-1-2");
    expect(entryOfLowerDir("/s", "/s/stacks/busybox-1/rootfs")).toBeUndefined();
    expect(entryOfLowerDir("/s", "/var/lib/grove/bits/sha256-1")).toBeUndefined();
  });
});
