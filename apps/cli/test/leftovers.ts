import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { cellName } from "@grove/garden-server";
import { execa } from "execa";

/**
 * What a stopped single node left behind, one line each: processes and mounts that mention its
 * state, its netns, its bridge and veths, its nft tables and cgroups. Empty when it cleaned up.
 */
export async function leftovers(node: { stateDirs: string[]; bridge: string }): Promise<string[]> {
  const cell = cellName(node.bridge);
  const mentions = (text: string) => node.stateDirs.some((dir) => text.includes(dir));
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ");
    if (mentions(cmdline)) found.push(`process ${pid}: ${cmdline.trim()}`);
  }
  for (const line of (await readFile("/proc/self/mountinfo", "utf8")).split("\n"))
    if (mentions(line)) found.push(`mount: ${line}`);
  for (const line of (await execa("ip", ["netns", "list"])).stdout.split("\n"))
    if (line.startsWith(`${cell}-`)) found.push(`netns: ${line}`);
  for (const line of (await execa("ip", ["-o", "link", "show"])).stdout.split("\n"))
    if (line.includes(` ${node.bridge}:`) || line.includes(`master ${node.bridge} `))
      found.push(`link: ${line}`);
  for (const line of (await execa("nft", ["list", "tables"])).stdout.split("\n"))
    if (line.endsWith(` ${cell}`)) found.push(`nft: ${line}`);
  for (const controller of ["memory", "pids", "cpu,cpuacct", "freezer"])
    if (existsSync(`/sys/fs/cgroup/${controller}/${cell}`)) found.push(`cgroup: ${controller}/${cell}`);
  return found;
}
