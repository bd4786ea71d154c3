import { type InternalNames, isInternal } from "./name-table";
import {
  CLASS_IN,
  type DnsQuestion,
  decodeQuery,
  encodeAnswer,
  MalformedDnsMessage,
  RCODE,
  TYPE_A,
} from "./wire";

/** What the resolver knows of the cell and the world beyond it. */
export interface ResolverDeps {
  /** the tenant of the container holding `address` on this cell; undefined for any other source */
  tenantOf(address: string): string | undefined;
  names: InternalNames;
  /** the answer of the cell's upstream resolvers to `message`; undefined when none answered */
  forward(message: Uint8Array, transport: "udp" | "tcp"): Promise<Uint8Array | undefined>;
}

/** Seconds a container may keep an internal answer: short, so a scale change shows within seconds. */
export const INTERNAL_TTL_SECONDS = 1;
/** A plain (non-EDNS) UDP answer fits 512 bytes. */
const UDP_ANSWER_BYTES = 512;

/**
 * Answers one DNS message from `caller` (the source address of the packet): a name of the internal
 * zone from the caller's tenant's names (REFUSED for a source that is no container of this cell,
 * NXDOMAIN for a name its tenant does not have, whoever else has it), anything else as the cell's
 * upstream resolvers answer it. Undefined: send nothing (not a query, or not even a header).
 */
export async function answerQuery(
  message: Uint8Array,
  caller: string,
  transport: "udp" | "tcp",
  deps: ResolverDeps,
): Promise<Uint8Array | undefined> {
  let query: ReturnType<typeof decodeQuery>;
  try {
    query = decodeQuery(message);
  } catch (error) {
    if (!(error instanceof MalformedDnsMessage) || message.length < 12) return undefined;
    const id = (message[0] as number) * 256 + (message[1] as number);
    return encodeAnswer({ query: { id, flags: 0 }, rcode: RCODE.formErr, authoritative: false });
  }
  if (query.isResponse) return undefined;
  const [question] = query.questions;
  const fail = (rcode: number, authoritative = false) =>
    encodeAnswer({ query, ...(question ? { question } : {}), rcode, authoritative });
  if (query.opcode !== 0) return fail(RCODE.notImp);
  if (!question || query.questions.length !== 1) return fail(RCODE.formErr);
  if (!isInternal(question.name)) return (await deps.forward(message, transport)) ?? fail(RCODE.servFail);

  const tenantId = deps.tenantOf(caller);
  if (tenantId === undefined) return fail(RCODE.refused);
  const addresses = question.class === CLASS_IN ? deps.names.lookup(tenantId, question.name) : undefined;
  if (addresses === undefined) return fail(RCODE.nxDomain, true);
  // other types of an existing name: no records (NODATA)
  const records = question.type === TYPE_A ? addresses : [];
  const sent = fitting(shuffled(records), question, transport);
  return encodeAnswer({
    query,
    question,
    rcode: RCODE.noError,
    authoritative: true,
    addresses: sent,
    ttlSeconds: INTERNAL_TTL_SECONDS,
    // a resolver that can asks again over TCP for all of them; one that cannot uses these
    truncated: sent.length < records.length,
  });
}

/** As many addresses as a UDP answer holds (a random subset of a larger app, like a load balancer). */
function fitting(addresses: string[], question: DnsQuestion, transport: "udp" | "tcp"): string[] {
  if (transport === "tcp") return addresses;
  const room = UDP_ANSWER_BYTES - 12 - (question.name.length + 2) - 4;
  return addresses.slice(0, Math.max(0, Math.floor(room / 16)));
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
