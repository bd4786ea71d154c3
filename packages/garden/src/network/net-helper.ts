import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { tailLines } from "@grove/child";
import { ensureHelperBinary } from "../monitor/build";
import { NetworkSetupFailed, NftRefused } from "./errors";

/** What `up` wires: the namespace named at `netnsPath`, a veth pair on `bridge`, eth0's address. */
export interface VethRequest {
  netnsPath: string;
  /** the namespace to name (bind mount) rather than creating one, e.g. /proc/<pid>/ns/net */
  adopt?: string | undefined;
  bridge: string;
  /** the host side's name; inside it is eth0 */
  veth: string;
  address: string;
  prefix: number;
  gateway: string;
  /** for the bridge when it is made, both veth ends; undefined: the kernel's default */
  mtu?: number | undefined;
}

interface Pending {
  operation: string;
  handle: string | undefined;
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

const NFT_HINT =
  "Check the rule above against `nft --check`; nftables must be installed and this host must allow nf_tables (npm run setup).";
const LINK_HINT =
  "Check with `ip link` and `ip netns list` that no stale device or namespace of this cell is in the way (run as root).";
const FIELD = /^[^\s]+$/;

/**
 * The networker's long-lived `grove-net` process (see grove-net.c): netlink and nft transactions
 * without a process start each. Requests are answered in order; the process is started on first
 * use and again after it ended, and it never keeps Node running while idle. Failures are
 * NetworkSetupFailed with what the kernel or nft said and what to check (NftRefused when nft refused
 * the rules).
 */
export class NetHelper {
  #child: ChildProcessWithoutNullStreams | undefined;
  #binary: Promise<string> | undefined;
  readonly #pending: Pending[] = [];
  #buffer = Buffer.alloc(0);
  #stderr = "";

  constructor(
    private readonly cacheDir: string,
    private readonly hostNetns: string | undefined,
  ) {}

  /** Wires the container, then applies `rules` (an nft script, if any) in the same round trip. */
  async up(req: VethRequest, handle: string, rules = ""): Promise<void> {
    const fields = [
      "up",
      req.netnsPath,
      req.adopt ?? "-",
      req.bridge,
      req.veth,
      req.address,
      String(req.prefix),
      req.gateway,
      String(req.mtu ?? 0),
    ];
    await this.#request("wire the container network", handle, fields, LINK_HINT, rules);
  }

  /**
   * Cuts the veth off the bridge and removes the namespace's name, then applies `rules` (an nft
   * script, if any); the veth pair itself is deleted in the background (see `settle`), or at once
   * (eth0 inside) when its name is unknown.
   */
  async down(netnsPath: string, veth: string | undefined, handle: string, rules = ""): Promise<void> {
    const fields = ["down", netnsPath, veth ?? "-"];
    await this.#request("remove the container network", handle, fields, LINK_HINT, rules);
  }

  /** Resolves once every veth `down` left to delete in the background is deleted. */
  async settle(): Promise<void> {
    await this.#request("delete veths", undefined, ["settle"], LINK_HINT);
  }

  /** Applies an nft script as one transaction in the host namespace. */
  async nft(operation: string, script: string): Promise<void> {
    await this.#request(operation, undefined, ["nft"], NFT_HINT, script);
  }

  /** The host namespace's conntrack table as /proc/net/nf_conntrack lists it. */
  conntrack(): Promise<string> {
    return this.#request("list conntrack", undefined, ["conntrack"], LINK_HINT);
  }

  /** Ends the process (it finishes what it was asked first). */
  close(): void {
    this.#child?.stdin.end();
    this.#child = undefined;
  }

  async #request(
    operation: string,
    handle: string | undefined,
    fields: string[],
    hint: string,
    payload = "",
  ): Promise<string> {
    for (const field of fields) {
      if (!FIELD.test(field))
        throw new NetworkSetupFailed(operation, `bad field ${JSON.stringify(field)}`, handle);
    }
    const line = [...fields, String(Buffer.byteLength(payload))].join(" ");
    const child = await this.#start();
    return await new Promise<string>((resolve, reject) => {
      this.#pending.push({
        operation,
        handle,
        resolve,
        reject: (error) => reject(error),
      });
      this.#ref(child, true);
      child.stdin.write(`${line}\n${payload}`);
    }).catch((error: unknown) => {
      if (error instanceof HelperSaid) {
        if (fields[0] === "nft" || error.message.startsWith("apply the rules: "))
          throw new NftRefused(operation, `${error.message}\n${NFT_HINT}`, handle);
        throw new NetworkSetupFailed(operation, `${error.message}\n${hint}`, handle);
      }
      throw error;
    });
  }

  async #start(): Promise<ChildProcessWithoutNullStreams> {
    this.#binary ??= ensureHelperBinary(this.cacheDir, "net").catch((error: unknown) => {
      this.#binary = undefined;
      throw error;
    });
    const binary = await this.#binary;
    if (this.#child) return this.#child;
    const child = spawn(binary, this.hostNetns ? [this.hostNetns] : [], { stdio: ["pipe", "pipe", "pipe"] });
    this.#child = child;
    this.#buffer = Buffer.alloc(0);
    this.#stderr = "";
    child.stdout.on("data", (chunk: Buffer) => this.#read(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4096);
    });
    child.stdin.on("error", () => {}); // it ended: "exit" says why
    child.on("error", (error) => this.#ended(child, error.message));
    child.on("exit", (code, signal) =>
      this.#ended(child, signal ? `killed by ${signal}` : `exited with code ${code}`),
    );
    this.#ref(child, false);
    return child;
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const newline = this.#buffer.indexOf(10);
      if (newline < 0) return;
      const [status, length] = this.#buffer.subarray(0, newline).toString().split(" ");
      const end = newline + 1 + Number(length);
      if (this.#buffer.length < end) return;
      const text = this.#buffer.subarray(newline + 1, end).toString();
      this.#buffer = this.#buffer.subarray(end);
      const pending = this.#pending.shift();
      if (this.#pending.length === 0 && this.#child) this.#ref(this.#child, false);
      if (!pending) continue;
      if (status === "ok") pending.resolve(text);
      else pending.reject(new HelperSaid(text.trim() || "failed without a message"));
    }
  }

  #ended(child: ChildProcessWithoutNullStreams, how: string): void {
    if (this.#child === child) this.#child = undefined;
    const said = tailLines(this.#stderr);
    for (const pending of this.#pending.splice(0)) {
      const detail = `grove-net ${how}${said ? `:\n  ${said.replaceAll("\n", "\n  ")}` : ""}\n${LINK_HINT}`;
      pending.reject(new NetworkSetupFailed(pending.operation, detail, pending.handle));
    }
  }

  /** Keeps Node running only while a request is out. */
  #ref(child: ChildProcessWithoutNullStreams, busy: boolean): void {
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as {
      ref(): void;
      unref(): void;
    }[]) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }
}

/** What grove-net answered to a request it could not do. */
class HelperSaid extends Error {}
