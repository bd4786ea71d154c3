import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { dirname } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { RegistryRef } from "./docker-uri";
import { RegistryError } from "./errors";
import { MANIFEST_ACCEPT } from "./oci-manifest";

export interface RegistryCredentials {
  username?: string;
  password?: string;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const space = header.indexOf(" ");
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1] ?? ""] = m[2] ?? "";
  return { scheme, params };
}

/** A manifest as the registry served it, with the digest of its exact bytes. */
export interface FetchedManifest {
  doc: unknown;
  mediaType: string;
  digest: string;
}

const MANIFEST_TIMEOUT_MS = 30_000;
/** a blob download that gets no byte for this long is stopped and continued from where it got */
export const BLOB_IDLE_TIMEOUT_MS = 60_000;
/** stopped downloads of one blob continued (with a Range request) before the pull gives up */
const BLOB_RETRIES = 4;
const REDIRECTS = 5;

// Blobs go over node:http(s) with kept-alive connections: its streams move bytes to disk with far
// less overhead per chunk than fetch's web streams (the pull bench's figure).
const agents = {
  "http:": new HttpAgent({ keepAlive: true }),
  "https:": new HttpsAgent({ keepAlive: true }),
};

/** A blob download that stopped (connection lost, idle too long): the next attempt continues it. */
class DownloadStopped extends RegistryError {}

export interface RegistryClientOptions {
  /** no byte of a blob for this long stops the attempt, which is then continued (default 60 s) */
  blobIdleTimeoutMs?: number;
}

/** The few Distribution API calls a pull needs, with basic and bearer-token auth. */
export class RegistryClient {
  private authorization: string | undefined;
  private readonly base: string;
  private readonly idleMs: number;

  constructor(
    private readonly ref: RegistryRef,
    scheme: "http" | "https",
    private readonly credentials: RegistryCredentials = {},
    options: RegistryClientOptions = {},
  ) {
    this.base = `${scheme}://${ref.registry}/v2/${ref.repository}`;
    this.idleMs = options.blobIdleTimeoutMs ?? BLOB_IDLE_TIMEOUT_MS;
  }

  private basic(): string | undefined {
    const { username, password } = this.credentials;
    if (!username) return undefined;
    return `Basic ${Buffer.from(`${username}:${password ?? ""}`).toString("base64")}`;
  }

  private async authenticate(challenge: Challenge | undefined, url: string): Promise<boolean> {
    if (challenge?.scheme === "basic") {
      this.authorization = this.basic();
      return this.authorization !== undefined;
    }
    if (challenge?.scheme !== "bearer" || !challenge.params.realm) return false;
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set("service", challenge.params.service);
    tokenUrl.searchParams.set("scope", challenge.params.scope ?? `repository:${this.ref.repository}:pull`);
    const headers: Record<string, string> = {};
    const basic = this.basic();
    if (basic) headers.authorization = basic;
    const res = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(MANIFEST_TIMEOUT_MS) });
    if (!res.ok) throw new RegistryError(url, `token request failed with ${res.status}`, res.status);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(url, "token response had no token");
    this.authorization = `Bearer ${token}`;
    return true;
  }

  private async get(
    path: string,
    accept?: string,
    timeoutMs?: number,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const url = `${this.base}${path}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { ...extra };
      if (accept) headers.accept = accept;
      if (this.authorization) headers.authorization = this.authorization;
      let res: Response;
      try {
        res = await fetch(url, { headers, signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : null });
      } catch (err) {
        throw new RegistryError(url, `request failed: ${(err as Error).message}`);
      }
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        if (await this.authenticate(parseChallenge(res.headers.get("www-authenticate")), url)) continue;
      }
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        throw new RegistryError(url, `${res.status} ${text.slice(0, 200)}`.trim(), res.status);
      }
      return res;
    }
    throw new RegistryError(url, "unauthorized", 401);
  }

  /** GET a manifest by tag or digest; a digest reference is checked against the bytes served. */
  async manifest(reference: string): Promise<FetchedManifest> {
    const res = await this.get(`/manifests/${reference}`, MANIFEST_ACCEPT, MANIFEST_TIMEOUT_MS);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new RegistryError(
        `${this.base}/manifests/${reference}`,
        `manifest digest mismatch (got ${digest})`,
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString("utf8"));
    } catch {
      throw new RegistryError(`${this.base}/manifests/${reference}`, "manifest is not JSON");
    }
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    return { doc, mediaType, digest };
  }

  /** A small blob (an image config) in memory, refused unless its sha256 matches `digest`. */
  async blob(digest: string, maxBytes = 4 * 1024 * 1024): Promise<Buffer> {
    const res = await this.get(`/blobs/${digest}`, undefined, MANIFEST_TIMEOUT_MS);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw new RegistryError(`${this.base}/blobs/${digest}`, "blob too large");
    const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (actual !== digest) {
      throw new RegistryError(`${this.base}/blobs/${digest}`, `blob digest mismatch (got ${actual})`);
    }
    return bytes;
  }

  /**
   * Downloads a blob to `dest` through `partial`, refusing it (and deleting the partial) unless its
   * sha256 matches `digest`. Bytes that a failed or killed earlier download left in `partial` are
   * kept and continued with an HTTP Range request, and so is a download that stops midway (the
   * connection lost, or no byte for `blobIdleTimeoutMs`), up to 4 times; when the result does not
   * match, the blob is fetched once more from its first byte (the kept part may have been what was
   * wrong). The body streams to disk; `onBytes` hears how many bytes of the blob are there so far.
   */
  async downloadBlob(
    digest: string,
    dest: string,
    partial: string,
    options: { size?: number; onBytes?: (bytes: number) => void } = {},
  ): Promise<void> {
    await mkdir(dirname(partial), { recursive: true });
    let retries = 0;
    let mismatches = 0;
    for (;;) {
      let outcome: { digest: string; resumed: boolean };
      try {
        outcome = await this.fetchInto(digest, partial, await sizeOf(partial), options);
      } catch (err) {
        if (err instanceof DownloadStopped && retries++ < BLOB_RETRIES) continue;
        throw err;
      }
      if (outcome.digest === digest) {
        await mkdir(dirname(dest), { recursive: true });
        await rename(partial, dest);
        return;
      }
      await rm(partial, { force: true });
      if (!outcome.resumed || ++mismatches > 1) {
        throw new RegistryError(
          `${this.base}/blobs/${digest}`,
          `blob digest mismatch (got ${outcome.digest})`,
        );
      }
    }
  }

  /** Appends the rest of the blob to the `kept` bytes of `partial` (or writes it anew) and hashes it all. */
  private async fetchInto(
    digest: string,
    partial: string,
    kept: number,
    options: { size?: number; onBytes?: (bytes: number) => void },
  ): Promise<{ digest: string; resumed: boolean }> {
    const url = `${this.base}/blobs/${digest}`;
    const report = options.onBytes ?? (() => {});
    const hash = createHash("sha256");
    if (kept > 0) {
      for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
      report(kept);
      if (options.size !== undefined && kept >= options.size)
        return { digest: `sha256:${hash.digest("hex")}`, resumed: true };
    }
    // one timer for the whole attempt, re-armed by every byte: no answer or no byte for idleMs stops it
    let live: ClientRequest | IncomingMessage | undefined;
    let idle: NodeJS.Timeout | undefined;
    const stalled = new Error(`no bytes for ${this.idleMs} ms`);
    const arm = () => {
      if (idle) idle.refresh();
      else idle = setTimeout(() => live?.destroy(stalled), this.idleMs);
    };
    let done = kept;
    try {
      arm();
      let res: IncomingMessage;
      try {
        res = await this.openBlob(url, kept > 0 ? `bytes=${kept}-` : undefined, (r) => {
          live = r;
        });
      } catch (err) {
        // 416: the kept bytes are no prefix of this blob
        if (kept > 0 && err instanceof RegistryError && err.status === 416)
          return { digest: "", resumed: true };
        throw err;
      }
      const resumed = kept > 0 && res.statusCode === 206 && rangeStart(res) === kept;
      const sink = resumed ? hash : createHash("sha256");
      done = resumed ? kept : 0;
      if (!resumed) report(0);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, next) {
          arm();
          sink.update(chunk);
          done += chunk.length;
          report(done);
          next(null, chunk);
        },
      });
      const file = createWriteStream(partial, {
        mode: 0o644,
        flags: resumed ? "a" : "w",
        highWaterMark: 1 << 20,
      });
      try {
        await pipeline(res, counter, file);
      } catch (err) {
        // what arrived stays in `partial` for the next attempt (or pull) to continue
        if (!file.closed) await once(file, "close");
        throw err;
      }
      return { digest: `sha256:${sink.digest("hex")}`, resumed };
    } catch (err) {
      if (err instanceof RegistryError && !(err instanceof DownloadStopped)) throw err;
      throw new DownloadStopped(url, `download stopped after ${done} bytes: ${(err as Error).message}`);
    } finally {
      clearTimeout(idle);
    }
  }

  /**
   * GET of a blob as a node stream: answers the registry's auth challenge once and follows
   * redirects (to storage elsewhere, which gets no registry credentials). `track` hears each
   * request and response, for the idle timer to stop.
   */
  private async openBlob(
    blobUrl: string,
    range: string | undefined,
    track: (live: ClientRequest | IncomingMessage) => void,
  ): Promise<IncomingMessage> {
    let url = new URL(blobUrl);
    const origin = url.origin;
    let challenged = false;
    for (let hop = 0; hop <= REDIRECTS; ) {
      const headers: Record<string, string> = {};
      if (range) headers.range = range;
      if (this.authorization && url.origin === origin) headers.authorization = this.authorization;
      const res = await send(url, headers, track);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        url = new URL(location, url);
        hop++;
        continue;
      }
      if (status === 401 && !challenged && url.origin === origin) {
        res.resume();
        challenged = true;
        const header = res.headers["www-authenticate"];
        if (await this.authenticate(parseChallenge(header ?? null), blobUrl)) continue;
        throw new RegistryError(blobUrl, "401 unauthorized", 401);
      }
      if (status < 200 || status >= 300) {
        let text = "";
        for await (const chunk of res) if (text.length < 200) text += String(chunk);
        throw new RegistryError(blobUrl, `${status} ${text.slice(0, 200)}`.trim(), status);
      }
      return res;
    }
    throw new RegistryError(blobUrl, `more than ${REDIRECTS} redirects`);
  }
}

/** One GET; `track` hears the request, then its response. */
function send(
  url: URL,
  headers: Record<string, string>,
  track: (live: ClientRequest | IncomingMessage) => void,
): Promise<IncomingMessage> {
  const https = url.protocol === "https:";
  if (!https && url.protocol !== "http:")
    throw new RegistryError(url.href, `cannot fetch ${url.protocol} URLs`);
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, {
      headers,
      agent: agents[url.protocol as "http:"],
    });
    track(req);
    req.once("response", (res) => {
      track(res);
      resolve(res);
    });
    req.once("error", reject);
    req.end();
  });
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The first byte a 206 answer holds (`Content-Range: bytes 100-199/200`). */
function rangeStart(res: IncomingMessage): number | undefined {
  const m = /^bytes (\d+)-/.exec(res.headers["content-range"] ?? "");
  return m ? Number(m[1]) : undefined;
}
