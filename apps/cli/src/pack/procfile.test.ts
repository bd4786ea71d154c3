import { describe, expect, it } from "vitest";
import { webCommandOf } from "./procfile";

describe("webCommandOf", () => {
  it("takes the web line's command, skipping comments and other process types", () => {
    expect(webCommandOf("# procs\nworker: ./work\nweb:  node server.js --port $PORT\n")).toBe(
      "node server.js --port $PORT",
    );
  });

  it("finds nothing without a web line or with an empty one", () => {
    expect(webCommandOf("worker: ./work\n")).toBeUndefined();
    expect(webCommandOf("web:\n")).toBeUndefined();
  });
});
