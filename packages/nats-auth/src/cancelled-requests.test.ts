import { RequestError } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { natsCoreModule, quietCancelledRequests } from "./cancelled-requests";

const { RequestOne } = natsCoreModule<{
  RequestOne: { prototype: { cancel(this: unknown, err?: Error): void } };
}>("request.js");
const frames = (error: Error) =>
  (error.stack ?? "").split("\n").filter((line) => line.trim().startsWith("at "));

/** what `cancel` rejects a request with, on a stand-in request */
function cancelled(err?: Error): Error {
  let rejected: Error | undefined;
  const request = {
    timer: undefined,
    mux: { cancel: () => {} },
    deferred: { reject: (e: Error) => (rejected = e) },
  };
  RequestOne.prototype.cancel.call(request, err);
  return rejected as Error;
}

describe("quietCancelledRequests", () => {
  it("leaves the stack out of the error that ends an answered request, and nothing else", () => {
    expect(frames(cancelled()).length).toBeGreaterThan(0);
    quietCancelledRequests();
    quietCancelledRequests(); // once is enough; again changes nothing
    const quiet = cancelled();
    expect(frames(quiet)).toEqual([]);
    expect(quiet).toBeInstanceOf(RequestError);
    expect(quiet.message).toBe("cancelled");
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    // an error handed to cancel goes as it is
    const given = new RequestError("connection closed");
    expect(cancelled(given)).toBe(given);
    expect(frames(given).length).toBeGreaterThan(0);
  });
});
