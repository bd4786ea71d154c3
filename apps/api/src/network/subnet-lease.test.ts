import { describe, expect, test } from "vitest";
import { chooseSubnet, claimSubnet, type Lease, parseSubnetRange, type SubnetRange } from "./subnet-lease";

const range = parseSubnetRange("10.250.0.0/22", 24) as SubnetRange;
const now = new Date("2026-12-06T10:00:00Z");
const later = new Date("2026-12-06T11:00:00Z");
const earlier = new Date("2026-12-06T09:00:00Z");
const lease = (subnet: string, cellId: string, expiresAt = later): Lease => ({ subnet, cellId, expiresAt });

describe("subnet leases", () => {
  test("the range from config: a reason when it cannot be one", () => {
    expect(range).toEqual({ network: 0x0afa0000, prefix: 22, cellPrefix: 24 });
    expect(parseSubnetRange("10.250.0.1/16", 24)).toMatch(/host bits/);
    expect(parseSubnetRange("10.250.0.0/24", 24)).toMatch(/do not fit/);
    expect(parseSubnetRange("16.0.0.0/4", 24)).toMatch(/larger than a \/8/);
    expect(parseSubnetRange("10.250.0.0/16", 30)).toMatch(/too small/);
    expect(parseSubnetRange("banana", 24)).toMatch(/not an IPv4 subnet/);
  });

  test("a new cell gets the lowest free subnet; a cell keeps the one it holds", () => {
    expect(chooseSubnet(range, [], "a", now)).toEqual({ ok: true, subnet: "10.250.0.0/24" });
    const leases = [lease("10.250.0.0/24", "a"), lease("10.250.2.0/24", "c")];
    expect(chooseSubnet(range, leases, "b", now)).toEqual({ ok: true, subnet: "10.250.1.0/24" });
    expect(chooseSubnet(range, leases, "c", now)).toEqual({ ok: true, subnet: "10.250.2.0/24" });
  });

  test("no two live cells share a subnet; a full range says so; expired leases are reclaimed oldest first", () => {
    const full = ["0", "1", "2", "3"].map((n, i) => lease(`10.250.${n}.0/24`, `cell${i}`));
    const refused = chooseSubnet(range, full, "new", now);
    expect(refused).toEqual({ ok: false, reason: "every /24 of 10.250.0.0/22 is leased to a live cell" });
    const expired = [
      ...full.slice(0, 2),
      lease("10.250.2.0/24", "cell2", earlier),
      lease("10.250.3.0/24", "cell3", new Date("2026-12-06T08:00:00Z")),
    ];
    expect(chooseSubnet(range, expired, "new", now)).toEqual({
      ok: true,
      subnet: "10.250.3.0/24",
      reclaim: expired[3],
    });
  });

  test("a restarted cell keeps the subnet its network runs on, unless a live cell holds it", () => {
    const leases = [lease("10.250.1.0/24", "a"), lease("10.250.2.0/24", "b", earlier)];
    expect(claimSubnet(range, leases, "a", "10.250.1.0/24", now)).toEqual({
      ok: true,
      subnet: "10.250.1.0/24",
    });
    expect(claimSubnet(range, leases, "c", "10.250.3.0/24", now)).toEqual({
      ok: true,
      subnet: "10.250.3.0/24",
    });
    expect(claimSubnet(range, leases, "c", "10.250.2.0/24", now)).toMatchObject({
      ok: true,
      reclaim: leases[1],
    });
    expect(claimSubnet(range, leases, "c", "10.250.1.0/24", now)).toMatchObject({ ok: false });
    expect(claimSubnet(range, leases, "c", "10.9.0.0/24", now)).toMatchObject({ ok: false });
    expect(claimSubnet(range, leases, "c", "10.250.1.0/25", now)).toMatchObject({ ok: false });
  });
});
