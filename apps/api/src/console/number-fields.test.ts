import { describe, expect, it } from "vitest";
import { numberFields } from "./number-fields";

describe("numberFields", () => {
  it("makes numbers of whole numbers, null of empty fields, and leaves the rest for the API to refuse", () => {
    const form = {
      memory_mb: " 2048 ",
      apps: "",
      instances: "-5",
      disk_mb: "lots",
      routes: "1.5",
      csrf: "x",
    };
    expect(numberFields(form, ["memory_mb", "apps", "instances", "disk_mb", "routes"])).toEqual({
      memory_mb: 2048,
      apps: null,
      instances: -5,
      disk_mb: "lots",
      routes: "1.5",
    });
  });

  it("leaves out fields the form did not send, so they stay unchanged", () => {
    expect(numberFields({ memory_mb: "1" }, ["memory_mb", "apps"])).toEqual({ memory_mb: 1 });
  });
});
