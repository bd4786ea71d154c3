import { describe, expect, it } from "vitest";
import { InternalNames } from "./name-table";
import { answerQuery, type ResolverDeps } from "./resolver";
import { decodeAnswers, encodeQuestion, RCODE, TYPE_AAAA, withId } from "./wire";

const ALPHA = "tenant-alpha";
const BETA = "tenant-beta";

function deps(forwarded: Uint8Array[] = []): ResolverDeps {
  const names = new InternalNames();
  names.replace({
    tenants: [
      {
        tenantId: ALPHA,
        names: [
          { name: "web.dev.alpha.internal", addresses: ["10.250.0.2", "10.250.1.2"] },
          { name: "web.alpha.internal", addresses: ["10.250.0.9"] },
        ],
      },
      { tenantId: BETA, names: [{ name: "db.prod.beta.internal", addresses: ["10.250.1.7"] }] },
    ],
  });
  const callers: Record<string, string> = { "10.250.0.5": ALPHA, "10.250.0.6": BETA };
  return {
    names,
    tenantOf: (address) => callers[address],
    async forward(message) {
      forwarded.push(message);
      return withId(message, (message[0] as number) * 256 + (message[1] as number));
    },
  };
}

async function ask(name: string, caller: string, options: { type?: number; d?: ResolverDeps } = {}) {
  const answer = await answerQuery(
    encodeQuestion(42, name, options.type),
    caller,
    "udp",
    options.d ?? deps(),
  );
  if (!answer) throw new Error("no answer");
  return decodeAnswers(answer);
}

describe("the cell resolver's answers", () => {
  it("answers a tenant's app name with its addresses, any case, trailing dot or not", async () => {
    const answer = await ask("WEB.dev.Alpha.internal.", "10.250.0.5");
    expect(answer.rcode).toBe(RCODE.noError);
    expect(answer.id).toBe(42);
    expect(answer.truncated).toBe(false);
    expect([...answer.addresses].sort()).toEqual(["10.250.0.2", "10.250.1.2"]);
    expect((await ask("web.alpha.internal", "10.250.0.5")).addresses).toEqual(["10.250.0.9"]);
  });

  it("answers nothing for another tenant's names, unknown names, or a source that is no container here", async () => {
    expect(await ask("db.prod.beta.internal", "10.250.0.5")).toEqual({
      id: 42,
      rcode: RCODE.nxDomain,
      truncated: false,
      addresses: [],
    });
    expect(await ask("web.dev.alpha.internal", "10.250.0.6")).toEqual({
      id: 42,
      rcode: RCODE.nxDomain,
      truncated: false,
      addresses: [],
    });
    expect(await ask("nothing.dev.alpha.internal", "10.250.0.5")).toMatchObject({ rcode: RCODE.nxDomain });
    expect(await ask("web.dev.alpha.internal", "10.9.9.9")).toEqual({
      id: 42,
      rcode: RCODE.refused,
      truncated: false,
      addresses: [],
    });
  });

  it("gives no records (NODATA) for other types of an internal name", async () => {
    expect(await ask("web.dev.alpha.internal", "10.250.0.5", { type: TYPE_AAAA })).toEqual({
      id: 42,
      rcode: RCODE.noError,
      truncated: false,
      addresses: [],
    });
  });

  it("forwards names outside the internal zone as they came, SERVFAIL when no upstream answers", async () => {
    const forwarded: Uint8Array[] = [];
    await ask("example.com", "10.250.0.5", { d: deps(forwarded) });
    expect(forwarded.map((m) => [...m])).toEqual([[...encodeQuestion(42, "example.com")]]);
    const silent = { ...deps(), forward: async () => undefined };
    expect(await ask("example.com", "10.250.0.5", { d: silent })).toMatchObject({ rcode: RCODE.servFail });
  });

  it("fits a large app into a plain UDP answer marked truncated and gives TCP every address", async () => {
    const names = new InternalNames();
    const many = Array.from({ length: 100 }, (_, i) => `10.250.${Math.floor(i / 200)}.${(i % 200) + 2}`);
    names.replace({
      tenants: [{ tenantId: ALPHA, names: [{ name: "big.alpha.internal", addresses: many }] }],
    });
    const d = { ...deps(), names };
    const udp = await answerQuery(encodeQuestion(1, "big.alpha.internal"), "10.250.0.5", "udp", d);
    const tcp = await answerQuery(encodeQuestion(1, "big.alpha.internal"), "10.250.0.5", "tcp", d);
    expect(udp?.length).toBeLessThanOrEqual(512);
    expect(decodeAnswers(udp as Uint8Array).addresses.length).toBeGreaterThan(20);
    expect(decodeAnswers(udp as Uint8Array).truncated).toBe(true);
    expect(decodeAnswers(tcp as Uint8Array)).toMatchObject({ truncated: false });
    expect(decodeAnswers(tcp as Uint8Array).addresses).toHaveLength(100);
  });

  it("answers garbage with FORMERR when it has a header, and drops responses and shorter scraps", async () => {
    const garbage = Uint8Array.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 99]);
    const answer = await answerQuery(garbage, "10.250.0.5", "udp", deps());
    expect(decodeAnswers(answer as Uint8Array)).toEqual({
      id: 7,
      rcode: RCODE.formErr,
      truncated: false,
      addresses: [],
    });
    expect(await answerQuery(Uint8Array.from([1, 2, 3]), "10.250.0.5", "udp", deps())).toBeUndefined();
    const response = encodeQuestion(5, "web.alpha.internal");
    response[2] = 0x81;
    expect(await answerQuery(response, "10.250.0.5", "udp", deps())).toBeUndefined();
  });
});
