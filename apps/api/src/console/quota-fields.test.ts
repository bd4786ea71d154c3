import { describe, expect, it } from "vitest";
import { quotaLines } from "./quota-fields";

describe("quotaLines", () => {
  const quota = {
    tenant: "acme",
    updated_at: null,
    memory_mb: { limit: 4096, usage: 512 },
    instances: { limit: 2, usage: 3 },
    apps: { limit: null, usage: 1 },
    routes: { limit: 10, usage: null },
    log_lines_per_second: { limit: null, usage: null },
    volume_count: { limit: 0, usage: 0 },
  };

  it("gives limited, counted fields a bar and every field its values as text, in the API's order", () => {
    expect(quotaLines(quota)).toEqual([
      {
        field: "memory_mb",
        label: "Memory",
        unit: "MB",
        limit: 4096,
        usage: 512,
        bar: { value: 512, max: 4096 },
        text: "512 MB of 4,096 MB (13%)",
        over: false,
      },
      {
        field: "instances",
        label: "Instances",
        limit: 2,
        usage: 3,
        bar: { value: 2, max: 2 },
        text: "3 of 2 (150%), over the limit",
        over: true,
      },
      { field: "apps", label: "Apps", limit: null, usage: 1, text: "1 used, no limit", over: false },
      {
        field: "routes",
        label: "Routes",
        limit: 10,
        usage: null,
        text: "limit 10 (usage not counted)",
        over: false,
      },
      {
        field: "log_lines_per_second",
        label: "Log lines per second per instance",
        limit: null,
        usage: null,
        text: "no limit",
        over: false,
      },
      {
        field: "volume_count",
        label: "Volume count",
        limit: 0,
        usage: 0,
        bar: { value: 0, max: 0 },
        text: "0 of 0 (0%)",
        over: false,
      },
    ]);
  });
});
