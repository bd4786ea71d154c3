import { type CgroupLayout, detectCgroupVersion } from "./cgroup";
import { cgroupV1Layout } from "./cgroups-v1";
import { cgroupV2Layout } from "./cgroups-v2";

/** The layout for what this host mounts at /sys/fs/cgroup: the unified v2 hierarchy, or v1/hybrid. */
export async function hostCgroupLayout(root = "/sys/fs/cgroup"): Promise<CgroupLayout> {
  return (await detectCgroupVersion(root)) === 2 ? cgroupV2Layout(root) : cgroupV1Layout(root);
}

/** Removes a cgroup subtree (a garden's parent, say) from whichever hierarchy the host has. */
export async function removeCgroupTree(path: string): Promise<void> {
  await (await hostCgroupLayout()).open(path).remove();
}
