import { Readable } from "node:stream";
import { extract, pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../src/index";
import { InvalidSpec } from "../src/index";
import { type GardenFixture, gardenFixture, runtimeAvailable, sh } from "./support";

function tarOf(
  entries: Array<{
    name: string;
    body?: string;
    type?: "file" | "directory" | "symlink";
    linkname?: string;
    mode?: number;
  }>,
) {
  const packer = pack();
  for (const entry of entries) {
    if (entry.type === "symlink")
      packer.entry({ name: entry.name, type: "symlink", linkname: entry.linkname });
    else if (entry.type === "directory")
      packer.entry({ name: entry.name, type: "directory", mode: entry.mode ?? 0o755 });
    else packer.entry({ name: entry.name, mode: entry.mode ?? 0o644 }, entry.body ?? "");
  }
  packer.finalize();
  return Readable.from(packer);
}

async function untar(stream: Readable): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const extractor = extract();
  const done = new Promise<void>((resolve, reject) => {
    extractor.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      body.on("end", () => {
        files[header.name] = header.type === "file" ? Buffer.concat(chunks).toString() : header.type;
        next();
      });
    });
    extractor.on("finish", resolve);
    extractor.on("error", reject);
  });
  stream.pipe(extractor);
  await done;
  return files;
}

describe.runIf(runtimeAvailable)("stream in and out", () => {
  let fixture: GardenFixture;
  let container: Container;
  beforeAll(async () => {
    fixture = await gardenFixture();
    container = await fixture.garden.create({ handle: "files" });
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("extracts an archive owned by the given user, visible inside the container", async () => {
    await container.streamIn({
      path: "/home/vcap/app",
      user: "vcap",
      tar: tarOf([
        { name: "bin/", type: "directory" },
        { name: "bin/run.sh", body: "echo running\n" },
      ]),
    });
    const result = await sh(
      container,
      "sh /home/vcap/app/bin/run.sh; stat -c '%u %U' /home/vcap/app/bin/run.sh /home/vcap/app",
    );
    expect(result.stdout).toBe("running\n2000 vcap\n2000 vcap\n");
  });

  it("streams a path out as a tar", async () => {
    await sh(container, "mkdir -p /out/dir && echo one > /out/dir/a && echo two > /out/dir/b");
    expect(await untar(await container.streamOut({ path: "/out/dir" }))).toEqual({
      "dir/": "directory",
      "dir/a": "one\n",
      "dir/b": "two\n",
    });
  });

  it("rejects a malicious archive and writes nothing of it", async () => {
    const attempt = container.streamIn({
      path: "/tmp/target",
      tar: tarOf([
        { name: "innocent", body: "x" },
        { name: "../../../../etc/escaped", body: "pwned" },
      ]),
    });
    await expect(attempt).rejects.toBeInstanceOf(InvalidSpec);
    expect((await sh(container, "ls /tmp/target; ls /etc/escaped")).stdout).toBe("");
    const links = container.streamIn({
      path: "/tmp/links",
      tar: tarOf([
        { name: "up", type: "symlink", linkname: "../../../../../etc" },
        { name: "up/passwd", body: "root::0:0" },
      ]),
    });
    await expect(links).rejects.toBeInstanceOf(InvalidSpec);
  });

  it("resolves a symlink planted in the container inside the rootfs, never on the host", async () => {
    await sh(container, "ln -s /etc /tmp/host-etc-trap");
    await container.streamIn({
      path: "/tmp/host-etc-trap/trapped",
      tar: tarOf([{ name: "f", body: "inside" }]),
    });
    expect((await sh(container, "cat /etc/trapped/f")).stdout).toBe("inside");
    const { access } = await import("node:fs/promises");
    await expect(access("/etc/trapped")).rejects.toThrow();
  });

  it("replaces files and links at a name and merges directories", async () => {
    await sh(
      container,
      "mkdir -p /merge/d && echo old > /merge/a && echo keep > /merge/d/keep && ln -s /etc /merge/l",
    );
    await container.streamIn({
      path: "/merge",
      tar: tarOf([
        { name: "a", body: "new" },
        { name: "d/", type: "directory" },
        { name: "d/n", body: "added" },
        { name: "l", body: "no longer a link" },
      ]),
    });
    const result = await sh(
      container,
      "cat /merge/a /merge/d/keep /merge/d/n /merge/l; ls /etc/l 2>&1 | wc -l",
    );
    expect(result.stdout).toBe("newkeep\naddedno longer a link1\n");
  });

  it("streams what a directory holds with a trailing slash, links packed and never followed", async () => {
    await sh(container, "mkdir -p /held && echo x > /held/f && ln -s /etc/passwd /held/link");
    expect(await untar(await container.streamOut({ path: "/held/" }))).toEqual({
      "./": "directory",
      "./f": "x\n",
      "./link": "symlink",
    });
  });

  it("reads and writes as the user asked, with the container's view of ownership", async () => {
    await sh(container, "mkdir -p /secret && echo s > /secret/f && chmod 700 /secret");
    await expect(container.streamOut({ path: "/secret/f", user: "vcap" })).rejects.toBeInstanceOf(
      InvalidSpec,
    );
    await expect(
      container.streamIn({ path: "/secret", user: "vcap", tar: tarOf([{ name: "planted", body: "x" }]) }),
    ).rejects.toBeInstanceOf(InvalidSpec);
    expect((await sh(container, "ls /secret")).stdout).toBe("f\n");
    const owners: string[] = [];
    const extractor = extract();
    extractor.on("entry", (header, body, next) => {
      owners.push(`${header.name} ${header.uid}:${header.gid}`);
      body.resume();
      next();
    });
    const finished = new Promise<void>((resolve) => extractor.on("finish", () => resolve()));
    (await container.streamOut({ path: "/home/vcap/app/bin" })).pipe(extractor);
    await finished;
    expect(owners).toEqual(["bin/ 2000:2000", "bin/run.sh 2000:2000"]);
  });

  it("keeps the archive's modes for a user, even ones that shut the user out", async () => {
    await container.streamIn({
      path: "/home/vcap/modes",
      user: "vcap",
      tar: tarOf([
        { name: "sealed/", type: "directory", mode: 0o500 },
        { name: "sealed/write-only", body: "w", mode: 0o200 },
        { name: "run", body: "r", mode: 0o4755 },
      ]),
    });
    const result = await sh(
      container,
      "cd /home/vcap/modes && stat -c '%a %u %n' sealed sealed/write-only run",
    );
    expect(result.stdout).toBe("500 2000 sealed\n200 2000 sealed/write-only\n4755 2000 run\n");
  });

  it("reports a path that does not exist", async () => {
    await expect(container.streamOut({ path: "/no/such/path" })).rejects.toBeInstanceOf(InvalidSpec);
    await expect(container.streamOut({ path: "/tmp/missing" })).rejects.toThrow(/No such file/);
    await sh(container, "echo file > /tmp/plain");
    await expect(
      container.streamIn({ path: "/tmp/plain/below", tar: tarOf([{ name: "f", body: "x" }]) }),
    ).rejects.toBeInstanceOf(InvalidSpec);
  });

  it("streams in and out of a privileged container (no user namespace)", async () => {
    const privileged = await fixture.garden.create({ handle: "files-root", privileged: true });
    try {
      await privileged.streamIn({
        path: "/home/vcap/p",
        user: "vcap",
        tar: tarOf([{ name: "f", body: "in" }]),
      });
      expect((await sh(privileged, "cat /home/vcap/p/f; stat -c '%u' /home/vcap/p/f")).stdout).toBe(
        "in2000\n",
      );
      expect(await untar(await privileged.streamOut({ path: "/home/vcap/p/f" }))).toEqual({ f: "in" });
      // as in an unprivileged one, a user creates directories only where it may
      await expect(
        privileged.streamIn({ path: "/p", user: "vcap", tar: tarOf([{ name: "f", body: "in" }]) }),
      ).rejects.toThrow(/Permission denied/);
    } finally {
      await fixture.garden.destroy("files-root");
    }
  });
});
