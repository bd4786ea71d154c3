import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildFailed } from "@grove/child";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cniAdd } from "../src/network/cni";
import { NetworkSetupFailed } from "../src/network/errors";
import { HostExec } from "../src/network/host-exec";
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

// A failing network tool says what the tool said, and what to do: never a bare exit code.
describe.runIf(runtimeAvailable)("a failing network tool explains itself", () => {
  const host = new HostExec(undefined);
  let dir: string;
  // the CNI plugin makes its bridge before it fails: in a namespace of this test's own
  const hostNetns = `grove-failtest-${process.pid}`;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-net-failures-"));
    await execa("ip", ["netns", "add", hostNetns]);
  });
  afterAll(async () => {
    await execa("ip", ["netns", "delete", hostNetns], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it("nft with a bad rule quotes nft's own error and says how to check the rule", async () => {
    const before = (await execa("nft", ["list", "tables"])).stdout;
    const error = await failureOf(host.nft("apply cell rules", "add tabel ip grove-never\n"));
    expect(error.message).toMatch(/^apply cell rules: nft exited with code 1:\n {2}.*Error: syntax error/);
    expect(error.message).toMatch(/\nCheck the rule above against `nft --check`/);
    expect((await execa("nft", ["list", "tables"])).stdout).toBe(before);
  });

  it("ip on a namespace that is not there quotes ip", async () => {
    const error = await failureOf(host.run("delete netns", "ip", ["netns", "delete", "grove-no-such-netns"]));
    expect(error.message).toMatch(/^delete netns: ip exited with code 1:\n {2}Cannot remove namespace file/);
    expect(error.message).toMatch(/\nCheck with `ip link` and `ip netns list`/);
  });

  it("a CNI plugin that fails is quoted from its JSON error, with what to check", async () => {
    const error = await failureOf(
      cniAdd(
        new HostExec(`/run/netns/${hostNetns}`),
        {
          name: "grove-failtest",
          bridge: "grovefail0",
          subnet: "10.251.252.0/24",
          gateway: "10.251.252.1",
          ipamDataDir: join(dir, "ipam"),
          pluginDir: "/usr/lib/cni",
        },
        { containerId: "failtest", netnsPath: join(dir, "no-such-netns") },
        "failtest",
      ),
    );
    expect(error.message).toMatch(/^cni ADD: bridge exited with code \d+:\n {2}.*no-such-netns/);
    expect(error.message).toMatch(/\nCheck that the CNI plugins are installed/);
  });
});
