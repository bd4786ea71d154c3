import { describe, expect, it } from "vitest";
import { containerSpec } from "./container-spec";
import { processSpec } from "./process-spec";

const base = {
  handle: "h1",
  rootfsPath: "/rootfs",
  cgroupsPath: "/parent/h1",
  env: ["A=1"],
  initBinary: "/opt/grove/grove-init",
  hostsFile: "/depot/h1/hosts",
};

describe("containerSpec", () => {
  it("makes unprivileged containers: user namespace, 13 capabilities (no CAP_NET_RAW), seccomp, masked paths", () => {
    const spec = containerSpec({ ...base, uidMapping: { hostId: 100000, size: 65536 } });
    expect(spec.linux.namespaces.map((ns) => ns.type)).toEqual([
      "pid",
      "ipc",
      "uts",
      "mount",
      "network",
      "user",
    ]);
    expect(spec.linux.uidMappings).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(spec.process.capabilities.bounding).toHaveLength(13);
    expect(spec.process.capabilities.bounding).not.toContain("CAP_NET_RAW");
    expect(spec.linux.seccomp).toBeDefined();
    expect(spec.linux.maskedPaths).toContain("/proc/kcore");
    expect(spec.mounts.find((mount) => mount.destination === "/sys")?.options).toContain("ro");
    expect(spec.hostname).toBe("h1");
    expect(spec.linux.cgroupsPath).toBe("/parent/h1");
    expect(spec.process.args).toEqual(["/tmp/garden-init"]);
  });

  it("bind-mounts the garden's resolv.conf read-only when it has nameservers, else leaves the image's", () => {
    const withDns = containerSpec({ ...base, uidMapping: null, resolvConfFile: "/depot/h1/resolv.conf" });
    expect(withDns.mounts.find((m) => m.destination === "/etc/resolv.conf")).toEqual({
      destination: "/etc/resolv.conf",
      type: "bind",
      source: "/depot/h1/resolv.conf",
      options: ["bind", "ro"],
    });
    const without = containerSpec({ ...base, uidMapping: null });
    expect(without.mounts.some((m) => m.destination === "/etc/resolv.conf")).toBe(false);
  });

  it("makes privileged containers without user namespace or seccomp", () => {
    const spec = containerSpec({ ...base, uidMapping: null });
    expect(spec.linux.namespaces.map((ns) => ns.type)).not.toContain("user");
    expect(spec.linux.uidMappings).toBeUndefined();
    expect(spec.linux.seccomp).toBeUndefined();
  });

  it("joins a given network namespace and then bind-mounts /sys read-only", () => {
    const spec = containerSpec({ ...base, uidMapping: { hostId: 1, size: 1 }, netnsPath: "/run/netns/x" });
    expect(spec.linux.namespaces).toContainEqual({ type: "network", path: "/run/netns/x" });
    expect(spec.mounts.find((mount) => mount.destination === "/sys")).toMatchObject({
      type: "none",
      source: "/sys",
    });
  });

  it("maps limits and bind mounts", () => {
    const spec = containerSpec({
      ...base,
      uidMapping: null,
      limits: { memory: { limitInBytes: 1 << 20 }, cpu: { weight: 256 }, pid: { max: 7 } },
      bindMounts: [
        { srcPath: "/host", dstPath: "/a", mode: "ro", origin: "host" },
        { srcPath: "/in/container", dstPath: "/b", mode: "rw", origin: "container" },
      ],
    });
    expect(spec.linux.resources).toEqual({
      memory: { limit: 1 << 20 },
      cpu: { shares: 256 },
      pids: { limit: 7 },
      devices: [{ allow: true, type: "c", major: 10, minor: 229, access: "rwm" }],
    });
    expect(spec.mounts.slice(-2)).toEqual([
      { destination: "/a", type: "bind", source: "/host", options: ["rbind", "nosuid", "nodev", "ro"] },
      {
        destination: "/b",
        type: "bind",
        source: "/rootfs/in/container",
        options: ["rbind", "nosuid", "nodev", "rw"],
      },
    ]);
  });
});

describe("processSpec", () => {
  it("lets the process env override the container env, which overrides the defaults", () => {
    const process = processSpec(
      { path: "x", env: ["B=process", "PATH=/custom"], tty: { windowSize: { columns: 80, rows: 24 } } },
      {
        user: { name: "vcap", uid: 2000, gid: 2000, home: "/home/vcap" },
        containerEnv: ["A=container", "B=container"],
        privileged: false,
      },
    );
    expect(process.env).toEqual(["USER=vcap", "HOME=/home/vcap", "A=container", "B=process", "PATH=/custom"]);
    expect(process.cwd).toBe("/home/vcap");
    expect(process.terminal).toBe(true);
    expect(process.consoleSize).toEqual({ height: 24, width: 80 });
  });
});
