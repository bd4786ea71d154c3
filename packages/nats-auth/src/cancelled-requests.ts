import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

let patched = false;

/**
 * nats.js ends every request it resolved by rejecting its (already settled) promise with a new
 * `RequestError("cancelled")` nobody sees (`RequestOne.cancel`): an Error whose stack V8 captures
 * each time. At thousands of requests a second (start commands, JetStream publishes, a thousand
 * cells' replies) those captures were 2 % of the leader's CPU in a ramp. This makes that one error
 * — message "cancelled", nothing else — carry no stack; every other request error (timeouts, no
 * responders, a closed connection) keeps its own. Patches the module nats.js' requests use, once.
 */
export function quietCancelledRequests(): void {
  if (patched) return;
  patched = true;
  // nats-core as the transport resolves it: the module instance its requests use
  const transport = createRequire(require.resolve("@nats-io/transport-node"));
  const errors = transport(join(dirname(transport.resolve("@nats-io/nats-core")), "errors.js")) as {
    RequestError: ErrorClass;
  };
  const Original = errors.RequestError;
  class RequestError extends Original {
    constructor(message?: string, options?: ErrorOptions) {
      const limit = Error.stackTraceLimit;
      if (message === "cancelled") Error.stackTraceLimit = 0;
      try {
        super(message, options);
      } finally {
        Error.stackTraceLimit = limit;
      }
    }
  }
  errors.RequestError = RequestError;
}
