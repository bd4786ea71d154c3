import { mkdtemp, rm, writeFile } from "node:fs/promises";
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
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

/** Forwards a request to `registry`; `respond` writes the answer (default: as it came). */
function forward(
  registry: TestRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  respond: (up: IncomingMessage) => void = (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  },
): void {
  const upstream = httpRequest(
    {
      host: "127.0.0.1",
      port: Number(registry.host.split(":")[1]),
      path: req.url,
      method: req.method,
      headers: { ...req.headers, host: registry.host },
    },
    respond,
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}

/** An HTTP server on a free loopback port, as a registry host. */
async function serveLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestRegistry> {
  const server = createHttpServer(handler);
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

/**
 * A private view of `registry`: a loopback proxy that answers 401 with a Basic challenge unless
 * the request carries `username`:`password` (docker-registry's own htpasswd auth needs bcrypt).
 * Pushes go to `registry.host` directly.
 */
export function basicAuthProxy(
  registry: TestRegistry,
  username: string,
  password: string,
): Promise<TestRegistry> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  return serveLoopback((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="grove-test"', "content-type": "text/plain" });
      res.end("unauthorized");
      return;
    }
    forward(registry, req, res);
  });
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

/** What a `watchingProxy` saw of blob downloads. */
export interface BlobTraffic {
  /** every blob GET: its digest and the Range header it carried, if any */
  requests: Array<{ digest: string; range: string | undefined }>;
  /** body bytes sent per digest */
  sent: Map<string, number>;
  /** most blob downloads open at once */
  maxConcurrent: number;
  /** body bytes sent of all blobs */
  total: number;
}

/**
 * A loopback proxy in front of `registry` that records blob downloads and, while `slow` is set,
 * sends blob bodies in 64 KiB pieces every `slow` ms, so a test can stop a pull halfway. While
 * `stallAfter` is set, the first GET of each blob sends that many body bytes and then nothing more,
 * holding the connection open (a registry that stops sending). While `holdAt` is set, blob bodies
 * stop (64 KiB pieces whole) once that many bytes of all blobs are sent, until it is raised or cleared (a pull held at a
 * point the test chooses).
 */
export async function watchingProxy(
  registry: TestRegistry,
): Promise<TestRegistry & { traffic: BlobTraffic; slow: number; stallAfter: number; holdAt: number }> {
  const traffic: BlobTraffic = { requests: [], sent: new Map(), maxConcurrent: 0, total: 0 };
  let open = 0;
  const control = { slow: 0, stallAfter: 0, holdAt: 0 };
  let release = () => {};
  let released = new Promise<void>((resolve) => (release = resolve));
  const proxy = await serveLoopback((req, res) => {
    const blob = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? "")?.[1];
    if (!blob || req.method !== "GET") {
      forward(registry, req, res);
      return;
    }
    const range = req.headers.range;
    const stallAt = traffic.requests.some((r) => r.digest === blob) ? 0 : control.stallAfter;
    let sentHere = 0;
    traffic.requests.push({ digest: blob, range: typeof range === "string" ? range : undefined });
    open++;
    traffic.maxConcurrent = Math.max(traffic.maxConcurrent, open);
    res.once("close", () => open--);
    forward(registry, req, res, async (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      try {
        for await (const chunk of up as AsyncIterable<Buffer>) {
          for (let at = 0; at < chunk.length; at += 64 * 1024) {
            let piece = chunk.subarray(at, at + 64 * 1024);
            if (control.slow > 0) await new Promise((resolve) => setTimeout(resolve, control.slow));
            while (control.holdAt > 0 && traffic.total >= control.holdAt && !res.destroyed) await released;
            if (res.destroyed) return;
            if (stallAt > 0) piece = piece.subarray(0, Math.max(0, stallAt - sentHere));
            res.write(piece);
            sentHere += piece.length;
            traffic.total += piece.length;
            traffic.sent.set(blob, (traffic.sent.get(blob) ?? 0) + piece.length);
            if (stallAt > 0 && sentHere >= stallAt) {
              up.destroy(); // nothing more is sent; the client's connection stays open
              return;
            }
          }
        }
        res.end();
      } catch {
        res.destroy();
      }
    });
  });
  return {
    host: proxy.host,
    traffic,
    get slow() {
      return control.slow;
    },
    set slow(ms: number) {
      control.slow = ms;
    },
    get stallAfter() {
      return control.stallAfter;
    },
    set stallAfter(bytes: number) {
      control.stallAfter = bytes;
    },
    get holdAt() {
      return control.holdAt;
    },
    set holdAt(bytes: number) {
      control.holdAt = bytes;
      release();
      released = new Promise<void>((resolve) => (release = resolve));
    },
    stop: proxy.stop,
  };
}
