import type { Readable } from "node:stream";
import type { GardenContext } from "../context";
import type { ContainerRecord } from "../depot/depot";
import { ContainerNotFound, GardenError, InvalidSpec, ProcessNotFound } from "../errors";
import type { Container, Process } from "../garden-api";
import type {
  ContainerInfo,
  ContainerMetrics,
  Limits,
  NetInMapping,
  NetOutRule,
  ProcessSpec,
} from "../types";
import { containerInfo, containerMetrics } from "./container-info";
import { isExpired, removeProcessDir } from "./process-record";
import { attachProcess, runProcess } from "./run-process";
import { stopContainer } from "./stop-container";
import { streamInto, streamOutOf } from "./streaming";

/** A container as the depot knows it. Every call counts as use for the grace-time reaper. */
export class ContainerHandle implements Container {
  constructor(
    readonly handle: string,
    private readonly context: GardenContext,
  ) {}

  async stop(kill: boolean): Promise<void> {
    await this.record();
    await stopContainer(this.context, this.handle, kill);
  }

  async info(): Promise<ContainerInfo> {
    return containerInfo(this.context, await this.record());
  }

  async metrics(): Promise<ContainerMetrics> {
    return containerMetrics(this.context, await this.record());
  }

  async currentLimits(): Promise<Limits> {
    return (await this.record()).spec.limits ?? {};
  }

  async streamIn(opts: { user?: string; path: string; tar: Readable }): Promise<void> {
    const release = this.hold();
    try {
      await streamInto(this.context, await this.record(), opts);
    } finally {
      release();
    }
  }

  async streamOut(opts: { user?: string; path: string }): Promise<Readable> {
    return streamOutOf(this.context, await this.record(), opts);
  }

  async netIn(hostPort: number, containerPort: number): Promise<NetInMapping> {
    await this.record();
    const mapping = await this.networker().netIn(this.handle, hostPort, containerPort);
    await this.context.depot.updateRecord(this.handle, (record) => {
      if (record.network) record.network.mappedPorts = [...record.network.mappedPorts, mapping];
    });
    return mapping;
  }

  async netOut(rule: NetOutRule): Promise<void> {
    await this.bulkNetOut([rule]);
  }

  async bulkNetOut(rules: NetOutRule[]): Promise<void> {
    await this.record();
    await this.networker().netOut(this.handle, rules);
  }

  async run(spec: ProcessSpec): Promise<Process> {
    const record = await this.record();
    if (record.stopped)
      throw new GardenError("cannot run a process in a stopped container", { handle: this.handle });
    return runProcess(this.context, record, spec);
  }

  async attach(processId: string): Promise<Process> {
    await this.record();
    const process = await attachProcess(this.context, this.handle, processId);
    if (!process) throw new ProcessNotFound(processId);
    const exitedAt = await process.exitedAtMs();
    if (isExpired(exitedAt, this.context.config.processRetentionMs)) {
      await removeProcessDir(process.dir);
      throw new ProcessNotFound(processId);
    }
    return process;
  }

  async setGraceTime(ns: number): Promise<void> {
    if (!Number.isFinite(ns) || ns < 0)
      throw new InvalidSpec(`invalid grace time ${ns}`, { handle: this.handle });
    await this.record();
    await this.context.depot.updateRecord(this.handle, (record) => {
      record.graceTimeNs = ns;
    });
  }

  async properties(): Promise<Record<string, string>> {
    await this.record();
    return this.context.depot.readProperties(this.handle);
  }

  async property(name: string): Promise<string> {
    const value = (await this.properties())[name];
    if (value === undefined)
      throw new GardenError(`property does not exist: ${name}`, { handle: this.handle });
    return value;
  }

  async setProperty(name: string, value: string): Promise<void> {
    await this.changeProperties((properties) => {
      properties[name] = value;
    });
  }

  async removeProperty(name: string): Promise<void> {
    await this.changeProperties((properties) => {
      if (!(name in properties))
        throw new GardenError(`property does not exist: ${name}`, { handle: this.handle });
      delete properties[name];
    });
  }

  hold(): () => void {
    return this.context.usage.hold(this.handle);
  }

  private async changeProperties(change: (properties: Record<string, string>) => void): Promise<void> {
    await this.record();
    await this.context.locks.run(`properties:${this.handle}`, async () => {
      const properties = await this.context.depot.readProperties(this.handle);
      change(properties);
      await this.context.depot.writeProperties(this.handle, properties);
    });
  }

  private async record(): Promise<ContainerRecord> {
    this.context.usage.touch(this.handle);
    const record = await this.context.depot.readRecord(this.handle);
    if (!record) throw new ContainerNotFound(this.handle);
    return record;
  }

  private networker() {
    if (!this.context.networker) {
      throw new GardenError("this garden runs without a networker: NetIn/NetOut are unavailable", {
        handle: this.handle,
      });
    }
    return this.context.networker;
  }
}
