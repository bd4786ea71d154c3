/**
 * The DNS wire format (RFC 1035 §4) as far as the cell's resolver needs it: a query's header and
 * questions in, an answer of A records (or an error code) out. Compression pointers are followed when
 * reading and never written; EDNS and other records in a query are left unread.
 */

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;

const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255;
const MAX_LABEL_BYTES = 63;
const MAX_POINTERS = 32;

/** A message the codec could not read: answer FORMERR (when the header was read) or drop it. */
export class MalformedDnsMessage extends Error {}

export interface DnsQuestion {
  /** lower-cased, without the trailing dot ("" for the root) */
  name: string;
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  /** the header's flags word as sent (opcode, RD and the rest) */
  flags: number;
  opcode: number;
  /** QR set: this is a response, not a query */
  isResponse: boolean;
  recursionDesired: boolean;
  questions: DnsQuestion[];
}

/** Reads a message's header and its questions. */
export function decodeQuery(message: Uint8Array): DnsQuery {
  if (message.length < HEADER_BYTES) throw new MalformedDnsMessage("shorter than a DNS header");
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const flags = view.getUint16(2);
  const count = view.getUint16(4);
  const questions: DnsQuestion[] = [];
  let offset = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const { name, next } = readName(message, offset);
    if (next + 4 > message.length) throw new MalformedDnsMessage("question cut short");
    questions.push({ name, type: view.getUint16(next), class: view.getUint16(next + 2) });
    offset = next + 4;
  }
  return {
    id: view.getUint16(0),
    flags,
    opcode: (flags >> 11) & 0xf,
    isResponse: (flags & 0x8000) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    questions,
  };
}

/** A name at `offset`, following compression pointers; `next` is the offset after it in place. */
export function readName(message: Uint8Array, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = offset;
  let next: number | undefined;
  let bytes = 1;
  for (let pointers = 0; ; ) {
    if (at >= message.length) throw new MalformedDnsMessage("name runs past the message");
    const length = message[at] as number;
    if (length === 0) {
      next ??= at + 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      if (at + 1 >= message.length) throw new MalformedDnsMessage("pointer cut short");
      if (++pointers > MAX_POINTERS) throw new MalformedDnsMessage("compression pointers loop");
      next ??= at + 2;
      at = ((length & 0x3f) << 8) | (message[at + 1] as number);
      continue;
    }
    if (length > MAX_LABEL_BYTES) throw new MalformedDnsMessage(`label of ${length} bytes`);
    if (at + 1 + length > message.length) throw new MalformedDnsMessage("label runs past the message");
    bytes += length + 1;
    if (bytes > MAX_NAME_BYTES) throw new MalformedDnsMessage("name longer than 255 bytes");
    labels.push(String.fromCharCode(...message.subarray(at + 1, at + 1 + length)).toLowerCase());
    at += 1 + length;
  }
  return { name: labels.join("."), next };
}

/** `name` in wire form (labels, no compression). */
export function encodeName(name: string): Uint8Array {
  const labels = name === "" ? [] : name.split(".");
  const out: number[] = [];
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_BYTES)
      throw new MalformedDnsMessage(`label ${JSON.stringify(label)}: want 1-63 bytes`);
    out.push(label.length);
    for (let i = 0; i < label.length; i++) {
      const code = label.charCodeAt(i);
      if (code > 0x7f) throw new MalformedDnsMessage(`label ${JSON.stringify(label)} is not ASCII`);
      out.push(code);
    }
  }
  out.push(0);
  if (out.length > MAX_NAME_BYTES) throw new MalformedDnsMessage("name longer than 255 bytes");
  return Uint8Array.from(out);
}

export interface DnsAnswer {
  /** the query this answers: its id, opcode and RD are echoed */
  query: Pick<DnsQuery, "id" | "flags">;
  /** echoed in the question section (absent when the query had none to echo) */
  question?: DnsQuestion;
  rcode: number;
  /** authoritative answer (names the resolver owns) */
  authoritative: boolean;
  /** A records of `question.name` */
  addresses?: readonly string[];
  ttlSeconds?: number;
  /** TC: the answer holds only some of the records (a UDP answer's room); resolvers ask again over TCP */
  truncated?: boolean;
}

/** A response: the question echoed, then one A record per address. */
export function encodeAnswer(answer: DnsAnswer): Uint8Array {
  const { question } = answer;
  const addresses = question ? (answer.addresses ?? []) : [];
  const name = question ? encodeName(question.name) : new Uint8Array(0);
  const length = HEADER_BYTES + (question ? name.length + 4 : 0) + addresses.length * 16;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint16(0, answer.query.id);
  // QR, the query's opcode and RD; AA and TC as asked; RA (we forward what is not ours); RCODE
  const flags =
    0x8000 |
    (answer.query.flags & 0x7900) |
    (answer.authoritative ? 0x0400 : 0) |
    (answer.truncated ? 0x0200 : 0) |
    0x0080 |
    (answer.rcode & 0xf);
  view.setUint16(2, flags);
  view.setUint16(4, question ? 1 : 0);
  view.setUint16(6, addresses.length);
  let at = HEADER_BYTES;
  if (question) {
    out.set(name, at);
    at += name.length;
    view.setUint16(at, question.type);
    view.setUint16(at + 2, question.class);
    at += 4;
  }
  for (const address of addresses) {
    // a pointer to the question's name, right after the header
    view.setUint16(at, 0xc000 | HEADER_BYTES);
    view.setUint16(at + 2, TYPE_A);
    view.setUint16(at + 4, CLASS_IN);
    view.setUint32(at + 6, answer.ttlSeconds ?? 0);
    view.setUint16(at + 10, 4);
    out.set(ipv4Bytes(address), at + 12);
    at += 16;
  }
  return out;
}

/** The A records of a response, for tests and probes: name → addresses in order. */
export function decodeAnswers(message: Uint8Array): {
  id: number;
  rcode: number;
  truncated: boolean;
  addresses: string[];
} {
  const query = decodeQuery(message);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  let at = HEADER_BYTES;
  for (let i = 0; i < query.questions.length; i++) at = readName(message, at).next + 4;
  const addresses: string[] = [];
  const count = view.getUint16(6);
  for (let i = 0; i < count; i++) {
    at = readName(message, at).next;
    if (at + 10 > message.length) throw new MalformedDnsMessage("record cut short");
    const type = view.getUint16(at);
    const length = view.getUint16(at + 8);
    if (at + 10 + length > message.length) throw new MalformedDnsMessage("record data cut short");
    if (type === TYPE_A && length === 4) addresses.push([...message.subarray(at + 10, at + 14)].join("."));
    at += 10 + length;
  }
  return { id: query.id, rcode: query.flags & 0xf, truncated: (query.flags & 0x0200) !== 0, addresses };
}

/** A query for `name` (RD set), as a stub resolver sends it. */
export function encodeQuestion(id: number, name: string, type = TYPE_A): Uint8Array {
  const encoded = encodeName(name.replace(/\.$/, ""));
  const out = new Uint8Array(HEADER_BYTES + encoded.length + 4);
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  view.setUint16(2, 0x0100);
  view.setUint16(4, 1);
  out.set(encoded, HEADER_BYTES);
  view.setUint16(HEADER_BYTES + encoded.length, type);
  view.setUint16(HEADER_BYTES + encoded.length + 2, CLASS_IN);
  return out;
}

/** A copy of `message` with its id replaced (a forwarded query and its answer). */
export function withId(message: Uint8Array, id: number): Uint8Array {
  const copy = Uint8Array.from(message);
  if (copy.length >= 2) new DataView(copy.buffer).setUint16(0, id);
  return copy;
}

function ipv4Bytes(address: string): number[] {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new MalformedDnsMessage(`${address} is not an IPv4 address`);
  return parts;
}
