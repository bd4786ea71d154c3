import type { Instance } from "@grove/client";
import { describe, expect, it } from "vitest";
import { INSTANCE_HEADERS, instanceRow, pullNote } from "./views";

const MiB = 1024 * 1024;
const now = Date.parse("2026-12-06T10:00:00Z");

function instance(usage: Instance["usage"]): Instance {
  return {
    id: "i-1",
    index: 0,
    revision: 1,
    state: "RUNNING",
    cell: { id: "c-1", name: "cell-a" },
    address: "10.0.0.5",
    container_ip: "10.88.0.2",
    ports: [{ container_port: 8080, host_port: 61001 }],
    crash_count: 0,
    reason: null,
    since: "2026-12-06T09:55:00Z",
    usage,
    pull: null,
  };
}

describe("instance rows", () => {
  it("show state, since, cpu, memory and disk against their limits, and cell, like `cf app`", () => {
    const row = instanceRow(
      instance({
        cpu_percent: 12.34,
        memory_bytes: 45.2 * MiB,
        memory_limit_bytes: 256 * MiB,
        disk_bytes: 3 * MiB,
        disk_limit_bytes: 1024 * MiB,
        log_lines_dropped: null,
        reported_at: "2026-12-06T09:59:58Z",
      }),
      now,
    );
    const cells = Object.fromEntries(INSTANCE_HEADERS.map((header, i) => [header, row[i]]));
    expect(cells).toMatchObject({
      STATE: "RUNNING",
      SINCE: "5m ago",
      CPU: "12.3%",
      MEMORY: "45.2M of 256M",
      DISK: "3.0M of 1G",
      CELL: "cell-a",
      ADDRESS: "10.0.0.5:61001",
    });
  });

  it("show a dash where the cell has not reported usage yet", () => {
    const row = instanceRow(instance(null), now);
    expect(row.slice(3, 6)).toEqual(["-", "-", "-"]);
  });
});

describe("pull notes", () => {
  it("tell bytes of the total while a cell pulls the image, and nothing otherwise", () => {
    expect(pullNote({ pull: { bytes: 12_345_678, total: 200_000_000 } })).toBe(
      ", pulling image 12.3 MB of 200.0 MB (6%)",
    );
    expect(pullNote({ pull: { bytes: 0, total: 0 } })).toBe(", pulling image");
    expect(pullNote({ pull: null })).toBe("");
  });
});
