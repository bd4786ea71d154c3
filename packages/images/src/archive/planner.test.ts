import { hostileMembers, type Member } from "@grove/testkit/archives";
import { describe, expect, it } from "vitest";
import { ArchiveLimitExceeded, InvalidArchive } from "./errors";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from "./limits";
import { ArchivePlanner, type DiskEntry, type PlanOptions } from "./planner";

const contained: PlanOptions = {
  limits: DEFAULT_ARCHIVE_LIMITS,
  symlinks: "contained",
  devices: "reject",
  whiteouts: false,
};

async function plan(members: Iterable<Member>, options: Partial<PlanOptions> = {}): Promise<ArchivePlanner> {
  const planner = new ArchivePlanner({ ...contained, ...options });
  for (const member of members) await planner.add(member);
  return planner;
}

async function refusal(
  members: Iterable<Member>,
  options: Partial<PlanOptions> = {},
): Promise<InvalidArchive> {
  const error = await plan(members, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArchive);
  return error as InvalidArchive;
}

function limits(overrides: Partial<ArchiveLimits>): Partial<PlanOptions> {
  return { limits: { ...DEFAULT_ARCHIVE_LIMITS, ...overrides } };
}

function* symlinks(count: number): Generator<Member> {
  yield { name: "index.html" };
  for (let i = 0; i < count; i++) yield { name: `l${i}`, type: "symlink", linkname: "index.html" };
}

describe("ArchivePlanner accepts what stays inside", () => {
  it("takes files, directories, links that stay inside and hard links to earlier files", async () => {
    const planner = await plan([
      { name: "./", type: "directory" },
      { name: "app/", type: "directory" },
      { name: "app/index.html" },
      { name: "app/current", type: "symlink", linkname: "index.html" },
      { name: "app/sub/up", type: "symlink", linkname: "../index.html" },
      { name: "app/self", type: "symlink", linkname: "." },
      { name: "app/dangling", type: "symlink", linkname: "not/yet/there" },
      { name: "app/copy", type: "link", linkname: "app/index.html" },
    ]);
    expect(planner.entries).toBe(8);
    expect(planner.links).toBe(5);
  });

  it("lets a later member replace a symlink with a directory and write below it", async () => {
    await plan([
      { name: "a", type: "symlink", linkname: "b" },
      { name: "a", type: "directory" },
      { name: "a/file" },
    ]);
  });
});

describe("ArchivePlanner refuses every hostile archive of issue 11", () => {
  const cases: [string, Member[], RegExp][] = [
    ["a .. traversal", hostileMembers.traversal(), /'\.\.'/],
    ["an absolute path", hostileMembers.absolutePath(), /absolute path/],
    [
      "a write through a symlink of the archive",
      hostileMembers.symlinkWriteThrough(),
      /parent through is a symlink/,
    ],
    [
      "a symlink out, then a write through it",
      hostileMembers.escapingSymlinkWriteThrough(),
      /leaves the destination/,
    ],
    ["a hard link to a host file", hostileMembers.hardlinkToHostFile(), /leaves the destination/],
    ["a hard link climbing out", hostileMembers.hardlinkOutside(), /leaves the destination/],
    ["a character device", hostileMembers.device(), /character-device entries are not allowed/],
    ["a fifo", hostileMembers.fifo(), /fifo entries are not allowed/],
    ["an absolute symlink", [{ name: "etc", type: "symlink", linkname: "/etc" }], /leaves the destination/],
    [
      "a symlink escaping through another symlink",
      [
        { name: "here", type: "symlink", linkname: "." },
        { name: "out", type: "symlink", linkname: "here/here/../.." },
      ],
      /leaves the destination/,
    ],
    [
      "a hard link to a symlink",
      [
        { name: "s", type: "symlink", linkname: "x" },
        { name: "h", type: "link", linkname: "s" },
      ],
      /is not a file/,
    ],
    [
      "a hard link to nothing in the archive",
      [{ name: "h", type: "link", linkname: "etc/passwd" }],
      /not a file/,
    ],
    ["a name with a segment over 255 bytes", [{ name: `${"a".repeat(256)}/b` }], /longer than 255 bytes/],
  ];
  for (const [what, members, reason] of cases) {
    it(`refuses ${what}, naming the member`, async () => {
      const error = await refusal(members);
      expect(error.message).toMatch(reason);
      expect(members.map((m) => m.name)).toContain(error.entry);
      expect(error.entry).not.toBe("index.html");
    });
  }

  it("refuses the 14 chained symlinks at once (resolution follows at most 40 links)", async () => {
    const started = performance.now();
    const error = await refusal(hostileMembers.chainedSymlinks(14));
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(ArchiveLimitExceeded);
    expect((error as ArchiveLimitExceeded).limit).toBe("linkDepth");
    expect(error.entry).toBe("s3");
  });

  it("refuses 200,000 symlinks at the link limit, after reading only that many", async () => {
    const started = performance.now();
    const error = await refusal(symlinks(200_000));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((error as ArchiveLimitExceeded).limit).toBe("links");
    expect(error.entry).toBe(`l${DEFAULT_ARCHIVE_LIMITS.maxLinks}`);
  });

  it("plans 200,000 symlinks in linear time when the limits allow them", async () => {
    const started = performance.now();
    const planner = await plan(symlinks(200_000), limits({ maxLinks: 300_000, maxEntries: 300_000 }));
    expect(planner.links).toBe(200_000);
    // a quadratic check took minutes for these
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it("charges link resolution to one budget per archive", async () => {
    const deep = Array.from({ length: 50 }, (_, i) => `d${i}`).join("/");
    function* members(): Generator<Member> {
      for (let i = 0; i < 1_000; i++)
        yield { name: `${deep}/l${i}`, type: "symlink", linkname: "../../../x" };
    }
    const error = await refusal(members(), limits({ maxLinkSteps: 10_000 }));
    expect((error as ArchiveLimitExceeded).limit).toBe("linkSteps");
  });

  it("counts entries, declared sizes and path lengths against their limits", async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}` }));
    expect(((await refusal(many, limits({ maxEntries: 10 }))) as ArchiveLimitExceeded).limit).toBe("entries");
    const big = [{ name: "big", size: 10 * 1024 ** 3 }];
    expect(((await refusal(big)) as ArchiveLimitExceeded).limit).toBe("unpackedBytes");
    const long = [{ name: `${"d/".repeat(40)}f` }];
    expect(((await refusal(long, limits({ maxPathLength: 64 }))) as ArchiveLimitExceeded).limit).toBe(
      "pathLength",
    );
    const longTarget = [{ name: "l", type: "symlink" as const, linkname: "x/".repeat(40) }];
    expect(((await refusal(longTarget, limits({ maxPathLength: 64 }))) as ArchiveLimitExceeded).limit).toBe(
      "pathLength",
    );
  });

  it("skips devices and fifos when asked to (image layers)", async () => {
    await plan([...hostileMembers.device(), ...hostileMembers.fifo()], { devices: "skip" });
  });
});

describe("ArchivePlanner against what the destination holds", () => {
  const disk = (entries: Record<string, DiskEntry>) => async (key: string) => entries[key] ?? null;

  it("refuses a write through a symlink already in the destination, unless a whiteout removed it", async () => {
    const onDisk = disk({ etc: { kind: "symlink", target: "/etc" } });
    const error = await refusal([{ name: "etc/passwd" }], { disk: onDisk, symlinks: "any", whiteouts: true });
    expect(error.message).toMatch(/would write through the symlink etc/);
    await plan([{ name: ".wh.etc" }, { name: "etc/passwd" }], {
      disk: onDisk,
      symlinks: "any",
      whiteouts: true,
    });
  });

  it("follows the destination's symlinks when judging a contained link", async () => {
    const onDisk = disk({ up: { kind: "symlink", target: ".." }, lib: { kind: "dir" } });
    const error = await refusal([{ name: "lib/x", type: "symlink", linkname: "../up/y" }], { disk: onDisk });
    expect(error.message).toMatch(/leaves the destination/);
  });

  it("hard-links to a file already there, not to one hidden by an opaque whiteout", async () => {
    const onDisk = disk({ d: { kind: "dir" }, "d/f": { kind: "file" } });
    await plan([{ name: "h", type: "link", linkname: "d/f" }], { disk: onDisk, whiteouts: true });
    const error = await refusal([{ name: "d/.wh..wh..opq" }, { name: "h", type: "link", linkname: "d/f" }], {
      disk: onDisk,
      whiteouts: true,
    });
    expect(error.message).toMatch(/not a file/);
  });
});
