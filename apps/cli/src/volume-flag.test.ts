import { describe, expect, it } from "vitest";
import { formatVolumeMount, parseVolumeFlag } from "./volume-flag";

describe("parseVolumeFlag", () => {
  it("reads NAME:/PATH, read-write unless :ro", () => {
    expect(parseVolumeFlag("uploads:/data")).toEqual({ name: "uploads", path: "/data", read_only: false });
    expect(parseVolumeFlag("uploads:/srv/data:ro")).toEqual({
      name: "uploads",
      path: "/srv/data",
      read_only: true,
    });
    expect(parseVolumeFlag("cache:/c:rw").read_only).toBe(false);
    expect(formatVolumeMount(parseVolumeFlag("uploads:/data:ro"))).toBe("uploads:/data:ro");
  });

  it("refuses anything else with the accepted form in the message", () => {
    for (const bad of ["uploads", "uploads:data", "Uploads:/data", "uploads:/data:rx", ":/data"]) {
      expect(() => parseVolumeFlag(bad), bad).toThrow(/use NAME:\/PATH or NAME:\/PATH:ro/);
    }
  });
});
