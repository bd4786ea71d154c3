import { EventEmitter } from "node:events";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { stopOnSignals } from "./shutdown";

describe("stopOnSignals", () => {
  it("stops once on the first signal and keeps listening, so later signals cannot kill the process", () => {
    const source = new EventEmitter();
    const stops: string[] = [];
    stopOnSignals((signal) => stops.push(signal), pino({ level: "silent" }), source);
    source.emit("SIGTERM", "SIGTERM");
    source.emit("SIGTERM", "SIGTERM");
    source.emit("SIGINT", "SIGINT");
    expect(stops).toEqual(["SIGTERM"]);
    expect(source.listenerCount("SIGTERM")).toBe(1);
    expect(source.listenerCount("SIGINT")).toBe(1);
  });
});
