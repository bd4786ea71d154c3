import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

interface Cancellable {
  cancel(this: unknown, err?: Error): void;
}

let patched = false;

/** The module of nats-core that the transport's requests come from (`rel`: a file beside its main). */
export function natsCoreModule<T>(rel: string): T {
  const transport = createRequire(require.resolve("@nats-io/transport-node"));
  return transport(join(dirname(transport.resolve("@nats-io/nats-core")), rel)) as T;
}

/**
 * nats.js ends every request it resolved by rejecting its (already settled) promise with a new
 * `RequestError("cancelled")` nobody sees (`RequestOne.cancel()`): an Error whose stack V8 captures
 * each time. At thousands of requests a second (start commands, JetStream publishes, a thousand
 * cells' replies) those captures were 2 % of the leader's CPU in a ramp. This makes the error that
 * `cancel()` makes itself carry no stack (the limit is set to 0 for that call only); an error given
 * to it, and every other request error (timeouts, no responders, a closed connection), keeps its
 * own, and the error classes stay nats.js' own (`instanceof` holds). Patches the module the
 * transport's requests use, once.
 */
export function quietCancelledRequests(): void {
  if (patched) return;
  patched = true;
  const { RequestOne } = natsCoreModule<{ RequestOne: { prototype: Cancellable } }>("request.js");
  const cancel = RequestOne.prototype.cancel;
  RequestOne.prototype.cancel = function (this: unknown, err?: Error) {
    if (err !== undefined) return cancel.call(this, err);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return cancel.call(this);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
}
