import type { Context } from "hono";
import type { SSEStreamingApi } from "hono/streaming";
import type { TokenWatch } from "../auth/token-watch";
import { Unauthorized } from "../errors";
import type { ApiEnv } from "./env";
import { problemOf } from "./problems";

/**
 * Serves a long-lived event stream only while the caller's token holds: `body` runs until it ends
 * by itself or the token is revoked or expires; then `stop()` ends the body's work and a last
 * `error` event carries the 401 problem (the client shows why its stream ended).
 */
export async function whileTokenHolds(
  c: Context<ApiEnv>,
  stream: SSEStreamingApi,
  watch: TokenWatch,
  body: () => Promise<void>,
  stop: () => void | Promise<void>,
): Promise<void> {
  const hold = watch.hold(c.get("principal").tokenId);
  try {
    const running = body();
    const lapse = await Promise.race([running.then(() => undefined), hold.lapsed]);
    if (lapse === undefined) return;
    await stop();
    // the body writes nothing after the last event
    await running.catch(() => {});
    const problem = problemOf(c, new Unauthorized(`${lapse} token: the stream ended`));
    await stream.writeSSE({ event: "error", data: JSON.stringify(problem) });
    c.get("log").info({ lapse }, "stream ended: its token no longer holds");
  } finally {
    hold.release();
  }
}
