import { describe, expect, it } from "vitest";
import { AddressesExhausted, InvalidNetwork } from "./errors";
import { allocateAddress } from "./ipam";
import { parseIPv4 } from "./ipv4";
import { emptyState, type NetworkState } from "./state";

const cell = { network: parseIPv4("10.1.0.0") as number, prefix: 29 }; // .1 gateway, .2-.6 usable
const gateway = cell.network + 1;

function holding(...addresses: string[]): NetworkState {
  const state = emptyState(61001);
  for (const [i, containerIP] of addresses.entries()) {
    state.containers[`c${i}`] = {
      handle: `c${i}`,
      id: `${i}`,
      netnsName: `n${i}`,
      netnsPath: `/run/netns/n${i}`,
      status: i === 0 ? "creating" : "up",
      containerIP,
      mappedPorts: [],
      netOut: [],
    };
  }
  return state;
}

describe("allocateAddress", () => {
  it("hands out the next free address after the last one, never the gateway, wrapping around", () => {
    const state = holding();
    expect(allocateAddress(state, cell, gateway, undefined)).toBe("10.1.0.2");
    expect(allocateAddress(state, cell, gateway, undefined)).toBe("10.1.0.3");
    state.lastAddress = "10.1.0.6";
    expect(allocateAddress(state, cell, gateway, undefined)).toBe("10.1.0.2");
  });

  it("counts half-created networks' addresses as taken", () => {
    expect(allocateAddress(holding("10.1.0.2", "10.1.0.3"), cell, gateway, undefined)).toBe("10.1.0.4");
  });

  it("gives a requested address when free and refuses it when taken", () => {
    const state = holding("10.1.0.4");
    expect(allocateAddress(state, cell, gateway, { ip: "10.1.0.5" })).toBe("10.1.0.5");
    expect(() => allocateAddress(state, cell, gateway, { ip: "10.1.0.4" })).toThrow(InvalidNetwork);
  });

  it("takes a requested range's first free address", () => {
    const state = holding("10.1.0.4");
    expect(allocateAddress(state, cell, gateway, { rangeStart: "10.1.0.4", rangeEnd: "10.1.0.5" })).toBe(
      "10.1.0.5",
    );
  });

  it("says which range is full", () => {
    const full = holding("10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6");
    expect(() => allocateAddress(full, cell, gateway, undefined)).toThrow(AddressesExhausted);
    expect(() =>
      allocateAddress(full, cell, gateway, { rangeStart: "10.1.0.2", rangeEnd: "10.1.0.3" }),
    ).toThrow(/no free container address in 10\.1\.0\.2-10\.1\.0\.3/);
  });
});
