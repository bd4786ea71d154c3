import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { RequestError } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { quietCancelledRequests } from "./cancelled-requests";

const require = createRequire(import.meta.url);
const transport = createRequire(require.resolve("@nats-io/transport-node"));
/** the module nats.js' requests make their errors from */
const errors = transport(join(dirname(transport.resolve("@nats-io/nats-core")), "errors.js")) as {
  RequestError: new (message?: string) => Error;
};
const frames = (error: Error) =>
  (error.stack ?? "").split("\n").filter((line) => line.trim().startsWith("at "));

describe("quietCancelledRequests", () => {
  it("leaves the stack out of the error that ends an answered request, and in every other request error", () => {
    expect(frames(new errors.RequestError("cancelled")).length).toBeGreaterThan(0);
    quietCancelledRequests();
    quietCancelledRequests(); // once is enough; again changes nothing
    const cancelled = new errors.RequestError("cancelled");
    expect(frames(cancelled)).toEqual([]);
    expect(cancelled).toBeInstanceOf(RequestError);
    expect(cancelled.message).toBe("cancelled");
    expect(cancelled.name).toBe("RequestError");
    const other = new errors.RequestError("connection closed");
    expect(frames(other).length).toBeGreaterThan(0);
    expect(other).toBeInstanceOf(RequestError);
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
  });
});
