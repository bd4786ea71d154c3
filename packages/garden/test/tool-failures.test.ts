import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildFailed } from "@grove/child";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkSetupFailed } from "../src/network/errors";
import { HostExec } from "../src/network/host-exec";
import { NetHelper } from "../src/network/net-helper";
import { runtimeAvailable } from "./support";

async function failureOf(work: Promise<unknown>): Promise<NetworkSetupFailed> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkSetupFailed);
  expect((error as NetworkSetupFailed).cause).toBeInstanceOf(ChildFailed);
  return error as NetworkSetupFailed;
}

/** A failure grove-net reported: what the kernel or nft said, no child process behind it. */
async function helperFailure(work: Promise<unknown>): Promise<NetworkSetupFailed> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkSetupFailed);
  return error as NetworkSetupFailed;
}

// A failing network tool says what the tool said, and what to do: never a bare exit code.
describe.runIf(runtimeAvailable)("a failing network tool explains itself", () => {
  const host = new HostExec(undefined);
  let helper: NetHelper;
  let dir: string;
  // nft and grove-net work in a namespace of this test's own
  const hostNetns = `grove-failtest-${process.pid}`;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-net-failures-"));
    await execa("ip", ["netns", "add", hostNetns]);
    helper = new NetHelper(join(dir, "bin"), `/run/netns/${hostNetns}`);
  });
  afterAll(async () => {
    helper?.close();
    await execa("ip", ["netns", "delete", hostNetns], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it("nft with a bad rule quotes nft's own error and says how to check the rule", async () => {
    const before = (await execa("nft", ["list", "tables"])).stdout;
    const error = await helperFailure(helper.nft("apply cell rules", "add tabel ip grove-never\n"));
    expect(error.message).toMatch(/^apply cell rules: Error: syntax error/);
    expect(error.message).toMatch(/\nCheck the rule above against `nft --check`/);
    expect((await execa("nft", ["list", "tables"])).stdout).toBe(before);
  });

  it("ip on a namespace that is not there quotes ip", async () => {
    const error = await failureOf(host.run("delete netns", "ip", ["netns", "delete", "grove-no-such-netns"]));
    expect(error.message).toMatch(/^delete netns: ip exited with code 1:\n {2}Cannot remove namespace file/);
    expect(error.message).toMatch(/\nCheck with `ip link` and `ip netns list`/);
  });

  it("a network the kernel refuses to wire says which step failed and what the kernel said", async () => {
    const inHost = new NetHelper(join(dir, "bin"), `/run/netns/${hostNetns}`);
    try {
      const error = await helperFailure(
        inHost.up(
          {
            netnsPath: `/run/netns/${hostNetns}-c`,
            adopt: join(dir, "no-such-netns"),
            bridge: "grovefail0",
            veth: "vethfailtest",
            address: "10.251.252.2",
            prefix: 24,
            gateway: "10.251.252.1",
          },
          "failtest",
        ),
      );
      expect(error.message).toMatch(/^wire the container network: name the container's netns: No such file/);
      expect(error.message).toMatch(/\nCheck with `ip link` and `ip netns list`/);
      expect(error.details).toMatchObject({ handle: "failtest" });
    } finally {
      inHost.close();
    }
  });
});
