import { describe, expect, it } from "vitest";
import { MalformedRequest } from "../errors";
import { containerSpecFromWire } from "./container-spec";
import { processSpecFromWire } from "./process-spec";

describe("containerSpecFromWire", () => {
  it("maps every snake_case field of a Go-encoded ContainerSpec to the runtime's spelling", () => {
    const spec = containerSpecFromWire({
      handle: "web-1",
      grace_time: 5_000_000_000,
      image: { uri: "docker:///busybox#1.36", username: "u", password: "p" },
      bind_mounts: [
        { src_path: "/host", dst_path: "/ctr", mode: 1, origin: 0 },
        { src_path: "/a", dst_path: "/b" },
      ],
      network: "10.9.0.4/30",
      properties: { app: "web", "garden.network": "x" },
      env: ["A=1"],
      privileged: true,
      limits: {
        bandwidth_limits: { rate: 100, burst: 200 },
        cpu_limits: { weight: 512 },
        disk_limits: { byte_hard: 1024, scope: 1 },
        memory_limits: { limit_in_bytes: 64 << 20 },
        pid_limits: { max: 50 },
      },
      netout_rules: [
        { protocol: 1, networks: [{ start: "10.0.0.1", end: "10.0.0.9" }], ports: [{ start: 80, end: 81 }] },
      ],
      netin: [{ host_port: 0, container_port: 8080 }],
    });
    expect(spec).toEqual({
      handle: "web-1",
      graceTimeNs: 5_000_000_000,
      image: { uri: "docker:///busybox#1.36", username: "u", password: "p" },
      bindMounts: [
        { srcPath: "/host", dstPath: "/ctr", mode: "rw", origin: "host" },
        { srcPath: "/a", dstPath: "/b", mode: "ro", origin: "host" },
      ],
      network: "10.9.0.4/30",
      properties: { app: "web", "garden.network": "x" },
      env: ["A=1"],
      privileged: true,
      limits: {
        bandwidth: { rateInBytesPerSecond: 100, burstRateInBytesPerSecond: 200 },
        cpu: { weight: 512 },
        disk: { byteHard: 1024, scope: "exclusive" },
        memory: { limitInBytes: 64 << 20 },
        pid: { max: 50 },
      },
      netOut: [
        {
          protocol: "tcp",
          networks: [{ start: "10.0.0.1", end: "10.0.0.9" }],
          ports: [{ start: 80, end: 81 }],
        },
      ],
      netIn: [{ hostPort: 0, containerPort: 8080 }],
    });
  });

  it("treats Go zero values (empty structs, null, 0, empty strings) as absent", () => {
    const spec = containerSpecFromWire({
      image: {},
      limits: { bandwidth_limits: {}, cpu_limits: {}, disk_limits: {}, memory_limits: {}, pid_limits: {} },
      properties: null,
      env: null,
      handle: "",
    });
    expect(spec).toEqual({});
  });

  it("matches keys case-insensitively like encoding/json and ignores unknown keys", () => {
    const spec = containerSpecFromWire({
      Handle: "h",
      GRACE_TIME: 7,
      Image: { URI: "/rootfs" },
      surprise: 1,
    });
    expect(spec).toEqual({ handle: "h", graceTimeNs: 7, image: { uri: "/rootfs" } });
  });

  it("takes the deprecated rootfs field as the image uri but refuses both at once", () => {
    expect(containerSpecFromWire({ rootfs: "/var/rootfs" }).image).toEqual({ uri: "/var/rootfs" });
    expect(() => containerSpecFromWire({ rootfs: "/a", image: { uri: "/b" } })).toThrow(
      /both Image.URI and RootFSPath/,
    );
  });

  it("rejects a field of the wrong type naming the field", () => {
    expect(() => containerSpecFromWire({ handle: 5 })).toThrow(MalformedRequest);
    expect(() => containerSpecFromWire({ limits: { memory_limits: { limit_in_bytes: -1 } } })).toThrow(
      /limits\.memory_limits\.limit_in_bytes/,
    );
    expect(() => containerSpecFromWire({ netin: [{ host_port: -5 }] })).toThrow(/netin\.0\.host_port/);
    expect(() => containerSpecFromWire({ netout_rules: [{ networks: [{ start: "nope" }] }] })).toThrow(
      /expected an IP address/,
    );
    expect(() => containerSpecFromWire([1, 2])).toThrow(/invalid ContainerSpec/);
  });

  it("refuses netout protocol icmpv6, which the runtime cannot express", () => {
    expect(() => containerSpecFromWire({ netout_rules: [{ protocol: 4 }] })).toThrow(/icmpv6/);
  });
});

describe("processSpecFromWire", () => {
  it("maps a Go-encoded ProcessSpec, keeping explicit zero rlimits", () => {
    const spec = processSpecFromWire({
      id: "p1",
      path: "/bin/sh",
      args: ["-c", "echo hi"],
      env: ["X=1"],
      dir: "/tmp",
      user: "vcap",
      rlimits: { nofile: 1024, core: 0 },
      limits: { cpu_limits: { weight: 10 }, memory_limits: {} },
      tty: { window_size: { columns: 80, rows: 24 } },
      image: {},
    });
    expect(spec).toEqual({
      id: "p1",
      path: "/bin/sh",
      args: ["-c", "echo hi"],
      env: ["X=1"],
      dir: "/tmp",
      user: "vcap",
      rlimits: { nofile: 1024, core: 0 },
      limits: { cpu: { weight: 10 } },
      tty: { windowSize: { columns: 80, rows: 24 } },
    });
  });

  it("marks a TTY without a window size and a pea with its own image", () => {
    expect(processSpecFromWire({ path: "sh", tty: {} }).tty).toEqual({});
    expect(processSpecFromWire({ path: "sh", image: { uri: "/rootfs" } }).image).toEqual({ uri: "/rootfs" });
  });

  it("requires a path", () => {
    expect(() => processSpecFromWire({ args: ["x"] })).toThrow(/path is required/);
  });
});
