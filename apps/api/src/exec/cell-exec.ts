import { createHash, randomUUID } from "node:crypto";
import {
  decode,
  EXEC_OUTPUT_WINDOW_BYTES,
  ExecControl,
  ExecOutput,
  ExecReply,
  ExecRequest,
  encode,
  type MessageInputOf,
  subjects,
} from "@grove/protocol";
import { type NatsConnection, RequestError } from "@nats-io/transport-node";
import { Conflict, NotFound, Unavailable } from "../errors";

/** How long the api waits for a cell to answer an exec request or control. */
const ANSWER_TIMEOUT_MS = 15_000;

type ControlAction = MessageInputOf<typeof ExecControl>["action"];

/** One event of an exec's output as the api relays it. */
export type ExecEvent =
  | { type: "output"; seq: number; stream: "stdout" | "stderr"; data: string }
  | { type: "exit"; seq: number; exitCode: number };

const execIdPattern =
  /^([A-Za-z0-9][A-Za-z0-9_-]*)_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The cell an exec id names (`<cellId>_<random uuid>`), or undefined for an id the api never made.
 * Controls and output of an exec travel only on that cell's subjects, which only it may use.
 */
export function cellOfExec(execId: string): string | undefined {
  return execIdPattern.exec(execId)?.[1];
}

/** Who acts on an exec: its tenant (which the cell checks) and its token (see `onCell`). */
export type ExecCaller = { tenantId: string; tokenId: string };

/**
 * Where an exec the caller names lives: its cell and the id that cell knows it by, which is the
 * public id hashed with the caller's token. So only the token that started an exec reaches it;
 * any other token (even a developer of the same space) names an exec no cell has: 404. No state
 * is kept here, so any api replica serves the exec.
 */
function onCell(execId: string, tokenId: string): { cellId: string; cellExecId: string } {
  const cellId = cellOfExec(execId);
  if (cellId === undefined) throw new NotFound(`exec ${execId} not found`);
  const hex = createHash("sha256").update(`${execId}\n${tokenId}`).digest("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return { cellId, cellExecId: `${cellId}_${uuid}` };
}

/**
 * Asks the cell holding an instance to run a process in it, bound to `caller`: the cell binds it
 * to the tenant, the id it gets binds it to the token (`onCell`). Returns the exec's public id,
 * which names the cell and is otherwise random.
 */
export async function startExec(
  nc: NatsConnection,
  cellId: string,
  caller: ExecCaller,
  request: Omit<MessageInputOf<typeof ExecRequest>, "v" | "execId" | "tenantId">,
): Promise<string> {
  const execId = `${cellId}_${randomUUID()}`;
  const { cellExecId } = onCell(execId, caller.tokenId);
  const body = encode(ExecRequest, { v: 1, execId: cellExecId, tenantId: caller.tenantId, ...request });
  await ask(nc, subjects.exec(cellId), body, `instance ${request.instanceId}`);
  return execId;
}

/** Sends a control (stdin, signal, resize) to an exec the caller started; any other is NotFound. */
export async function controlExec(
  nc: NatsConnection,
  execId: string,
  caller: ExecCaller,
  action: ControlAction,
): Promise<void> {
  const { cellId, cellExecId } = onCell(execId, caller.tokenId);
  const body = encode(ExecControl, { v: 1, tenantId: caller.tenantId, action });
  await ask(nc, subjects.execControl(cellId, cellExecId), body, `exec ${execId}`);
}

/**
 * Attaches to an exec's output from its first byte. Resolves once the cell accepted the attach;
 * `events` then yields the output in order and ends after the exit event.
 *
 * Flow control: the cell may send `window` bytes of output ahead; each time half of that was
 * taken from `events` (a reader awaits its own write before taking the next, so a slow client
 * takes slowly), the api grants that much again. The api's NATS connection and memory thus never
 * hold more than a window per attach, whatever the process writes.
 */
export async function attachExec(
  nc: NatsConnection,
  execId: string,
  caller: ExecCaller,
  window = EXEC_OUTPUT_WINDOW_BYTES,
): Promise<{ events: AsyncIterable<ExecEvent>; close(): void }> {
  const { cellId, cellExecId } = onCell(execId, caller.tokenId);
  const attachId = randomUUID();
  // subscribed before the attach, so nothing the cell sends right after accepting it is missed;
  // only the exec's own cell may publish on its output subjects
  const sub = nc.subscribe(subjects.execOutput(cellId, cellExecId, attachId));
  try {
    await controlExec(nc, execId, caller, { type: "attach", attachId, window });
  } catch (error) {
    sub.unsubscribe();
    throw error;
  }
  const grant = (bytes: number) =>
    nc.publish(
      subjects.execControl(cellId, cellExecId),
      encode(ExecControl, { v: 1, tenantId: caller.tenantId, action: { type: "credit", attachId, bytes } }),
    );
  async function* events(): AsyncGenerator<ExecEvent> {
    let taken = 0;
    try {
      for await (const msg of sub) {
        const decoded = decode(ExecOutput, msg.data, msg.subject);
        if (!decoded.ok) continue;
        const { seq, event } = decoded.value;
        yield { seq, ...event };
        if (event.type === "exit") return;
        taken += Buffer.byteLength(event.data, "base64");
        if (taken >= window / 2) {
          grant(taken);
          taken = 0;
        }
      }
    } finally {
      sub.unsubscribe();
    }
  }
  return { events: events(), close: () => sub.unsubscribe() };
}

async function ask(nc: NatsConnection, subject: string, body: Uint8Array, what: string): Promise<void> {
  let data: Uint8Array;
  try {
    data = (await nc.request(subject, body, { timeout: ANSWER_TIMEOUT_MS })).data;
  } catch (error) {
    // no subscriber: the exec (or the cell) is gone
    if (error instanceof RequestError && error.isNoResponders()) {
      throw new NotFound(`${what} not found`);
    }
    throw new Unavailable(`the cell did not answer for ${what}: ${(error as Error).message}`);
  }
  const reply = decode(ExecReply, data, subject);
  if (!reply.ok) throw new Unavailable(`the cell answered for ${what} with an invalid reply`);
  if (reply.value.notFound) throw new NotFound(`${what} not found`);
  if (!reply.value.ok) throw new Conflict(reply.value.error ?? `the cell refused ${what}`);
}
