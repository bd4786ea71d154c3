import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Blob, BuiltImage } from "./oci-fixture";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  /** host:port */
  host: string;
  stop(): Promise<void>;
}

/**
 * A private view of `registry`: a loopback proxy that answers 401 with a Basic challenge unless
 * the request carries `username`:`password` (docker-registry's own htpasswd auth needs bcrypt).
 * Pushes go to `registry.host` directly.
 */
export async function basicAuthProxy(
  registry: TestRegistry,
  username: string,
  password: string,
): Promise<TestRegistry> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const server = createHttpServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="grove-test"', "content-type": "text/plain" });
      res.end("unauthorized");
      return;
    }
    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port: Number(registry.host.split(":")[1]),
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: registry.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real `docker-registry` on 127.0.0.1:<free port> with its storage in a temp dir. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "grove-img-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    "version: 0.1",
    "log:",
    "  level: error",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${dir}/data`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${host}`,
    "",
  ].join("\n");
  await writeFile(join(dir, "config.yml"), config);
  const child: ResultPromise = execa("docker-registry", ["serve", join(dir, "config.yml")], {
    reject: false,
    stdio: "ignore",
  });
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
    await child;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`http://${host}/v2/`).catch(() => undefined);
    if (res?.ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not become ready on ${host}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host, stop };
}

async function pushBlob(host: string, repo: string, blob: Blob): Promise<void> {
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const location = new URL(start.headers.get("location") ?? "", `http://${host}`);
  location.searchParams.set("digest", blob.digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: blob.bytes,
  });
  if (put.status !== 201) throw new Error(`upload ${blob.digest}: ${put.status} ${await put.text()}`);
}

async function pushManifest(host: string, repo: string, tag: string, blob: Blob): Promise<void> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { "content-type": blob.mediaType },
    body: blob.bytes,
  });
  if (res.status !== 201) throw new Error(`manifest ${tag}: ${res.status} ${await res.text()}`);
}

/** Pushes an image (and optionally an index over several images) over the Distribution API. */
export async function pushImage(host: string, repo: string, tag: string, images: BuiltImage[], index?: Blob) {
  for (const image of images) {
    for (const b of [image.config, ...image.layers]) await pushBlob(host, repo, b);
    await pushManifest(host, repo, index ? image.manifest.digest : tag, image.manifest);
  }
  if (index) await pushManifest(host, repo, tag, index);
}
