import { resolve } from "node:path";
import {
  ApiError,
  type App,
  type CreateApp,
  type GroveClient,
  type Instance,
  type UpdateApp,
} from "@grove/client";
import type { Command } from "commander";
import { appRef, refOf } from "../app-ref";
import { action, type Context } from "../context";
import { CliError, NotHealthy, UsageError } from "../errors";
import { parseHealthCheck } from "../health-check-flag";
import { procfileWebCommand } from "../pack/procfile";
import { followPlacement } from "../push/follow";
import type { BitsOutcome } from "../push/upload";
import { formatBytes, parseCount, parseMegabytes } from "../units";
import { addressOf, pullNote } from "../views";
import { parseVolumeFlag } from "../volume-flag";

interface PushOptions {
  name?: string;
  image?: string;
  registryUsername?: string;
  registryPassword?: string;
  instances?: string;
  memory?: string;
  disk?: string;
  command?: string;
  stack?: string;
  healthCheck?: string;
  detach?: boolean;
  timeout: string;
  space?: string;
  volume: string[];
  /** false with --no-volumes */
  volumes: boolean;
}

/**
 * `grove push [DIR] --name N …`: packs DIR, uploads the bits unless the cluster has them,
 * creates or updates the app, then follows its instances until they all run (exit 0) or cannot
 * be placed, crash or time out (exit 2).
 */
export function registerPush(program: Command): void {
  program
    .command("push")
    .description("push a directory (or a registry image) as an app and wait until its instances run")
    .argument("[dir]", "app directory; with --image, the app name", ".")
    .option("--name <name>", "app name (a DNS label)")
    .option("--image <ref>", "run a registry image, e.g. registry.local:5000/team/api:1.4 (no bits)")
    .option("--registry-username <user>", "user for a private --image registry (env GROVE_REGISTRY_USERNAME)")
    .option(
      "--registry-password <password>",
      "its password (env GROVE_REGISTRY_PASSWORD; stored sealed, never shown)",
    )
    .option("-i, --instances <n>", "number of instances")
    .option("-m, --memory <size>", "memory per instance, e.g. 256M or 1G")
    .option("-k, --disk <size>", "disk per instance, e.g. 1G")
    .option("--command <command>", "start command (default: the Procfile's web: line)")
    .option("--stack <stack>", "base stack, e.g. busybox or node")
    .option("--health-check <check>", "port, port:PORT, process or http:/PATH")
    .option("--space <space>", "the app's space (a new app without it goes in default)")
    .option(
      "--volume <name:/path[:ro]>",
      "mount a volume of the app's space in every instance (repeatable; replaces the app's volumes)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--no-volumes", "unmount every volume from the app's instances")
    .option("--detach", "return once the change is submitted")
    .option("--timeout <seconds>", "how long to wait for the instances to run", "120")
    .action(action(push));
}

async function push(ctx: Context, dirArg: string, options: PushOptions): Promise<void> {
  if (options.image !== undefined) return pushImage(ctx, dirArg, options);
  if (options.name === undefined) throw new CliError("pass --name NAME (or --image REF with the name)");
  const name = options.name;
  const changes = changesFrom(options);
  const timeoutMs = parseCount(options.timeout, "timeout") * 1000;
  const dir = resolve(dirArg);
  const command = options.command ?? (await procfileWebCommand(dir).catch(() => undefined));
  const client = await ctx.client();
  // packing and uploading (tar-stream, node:crypto, cli-progress) are imported by push alone
  const [{ packDirectory }, { sendBits }] = await Promise.all([
    import("../pack/pack-directory"),
    import("../push/upload"),
  ]);
  const packed = await packDirectory(dir, (skipped) =>
    ctx.out.note(`skipping ${skipped.path}: ${skipped.reason}`),
  );
  try {
    ctx.out.note(`packed ${packed.entries} entries, ${formatBytes(packed.sizeBytes)}, ${packed.digest}`);
    let app = await createOrUpdate(
      ctx,
      client,
      name,
      { ...changes, ...(command ? { command } : {}) },
      options.space,
    );
    const bits = await sendBits(client, refOf(app), app.bits_digest, packed, ctx.out);
    if (bits.upload) app = bits.upload.app;
    ctx.out.note(bitsNote(bits.outcome, packed.sizeBytes));
    const result = {
      app,
      bits: { digest: packed.digest, size_bytes: packed.sizeBytes, outcome: bits.outcome },
    };
    await follow(ctx, client, app, result, options.detach === true, timeoutMs);
  } finally {
    await packed.remove();
  }
}

/**
 * `grove push NAME --image REF`: the api resolves REF to a digest now (so a moved tag is picked
 * up by every push) and the cells run that digest.
 */
async function pushImage(ctx: Context, nameArg: string, options: PushOptions): Promise<void> {
  const name = options.name ?? (nameArg === "." ? undefined : nameArg);
  if (name === undefined) throw new CliError("grove push NAME --image REF: name the app");
  const username = options.registryUsername ?? process.env.GROVE_REGISTRY_USERNAME;
  const password = options.registryPassword ?? process.env.GROVE_REGISTRY_PASSWORD;
  if ((username === undefined) !== (password === undefined)) {
    throw new CliError(
      "a registry username needs a password (--registry-password or GROVE_REGISTRY_PASSWORD)",
    );
  }
  const image = {
    ref: options.image as string,
    ...(username !== undefined ? { username, password } : {}),
  };
  const timeoutMs = parseCount(options.timeout, "timeout") * 1000;
  const changes: UpdateApp = { ...changesFrom(options), image };
  if (options.command !== undefined) changes.command = options.command;
  const client = await ctx.client();
  const app = await createOrUpdate(ctx, client, name, changes, options.space);
  if (app.image) ctx.out.note(`image ${app.image.ref} is ${app.image.digest}`);
  await follow(ctx, client, app, { app }, options.detach === true, timeoutMs);
}

/** Waits for the app's instances to run (unless detached) and says how it went. */
async function follow(
  ctx: Context,
  client: GroveClient,
  app: App,
  result: Record<string, unknown>,
  detach: boolean,
  timeoutMs: number,
): Promise<void> {
  if (detach) {
    if (ctx.out.json) ctx.out.record({ ...result, status: "submitted", instances: [] });
    else ctx.out.line(`${app.name}: revision ${app.revision} submitted`);
    return;
  }
  let instances: Instance[];
  try {
    instances = await followPlacement(client, app, {
      timeoutMs,
      unplacedGraceMs: Math.min(10_000, timeoutMs),
      onChange: (i) => ctx.out.note(instanceNote(i)),
    });
  } catch (error) {
    if (error instanceof NotHealthy && ctx.out.json) {
      ctx.out.record({ ...result, status: "not-healthy", reason: error.message, instances: [] });
    }
    throw error;
  }
  if (ctx.out.json) ctx.out.record({ ...result, status: "running", instances });
  else {
    const desired = app.state === "started" ? app.instances : 0;
    ctx.out.line(
      `${app.name}: revision ${app.revision}, ${instances.filter((i) => i.state === "RUNNING").length}/${desired} instances running`,
    );
  }
}

/** The app settings the flags ask for (validated before anything is packed or sent). */
function changesFrom(options: PushOptions): UpdateApp {
  const changes: UpdateApp = {};
  if (options.instances !== undefined) changes.instances = parseCount(options.instances, "instances");
  if (options.memory !== undefined) changes.memory_mb = parseMegabytes(options.memory, "memory");
  if (options.disk !== undefined) changes.disk_mb = parseMegabytes(options.disk, "disk");
  if (options.stack !== undefined) changes.stack = options.stack;
  if (options.healthCheck !== undefined) changes.health_check = parseHealthCheck(options.healthCheck);
  if (options.volume.length > 0 && !options.volumes)
    throw new UsageError("--volume and --no-volumes contradict each other");
  if (options.volume.length > 0) changes.volumes = options.volume.map(parseVolumeFlag);
  if (!options.volumes) changes.volumes = [];
  return changes;
}

/** Creates the app, or changes what differs in an existing one (nothing when nothing differs). */
async function createOrUpdate(
  ctx: Context,
  client: GroveClient,
  name: string,
  wanted: UpdateApp,
  space: string | undefined,
): Promise<App> {
  let existing: App | undefined;
  try {
    existing = await client.getApp(appRef(name, space));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  if (!existing) {
    if (!wanted.command && !wanted.image) {
      throw new CliError("no start command: pass --command or add a Procfile with a web: line");
    }
    const app = await client.createApp({
      ...wanted,
      name,
      ...(space ? { space } : {}),
    } as CreateApp);
    ctx.out.note(`created app ${app.name}`);
    return app;
  }
  const changed = Object.fromEntries(
    Object.entries(wanted).filter(
      // an image is resolved again at every push: its tag may have moved
      ([key, value]) =>
        key === "image" || JSON.stringify(existing[key as keyof App]) !== JSON.stringify(value),
    ),
  ) as UpdateApp;
  if ("health_check" in changed && sameHealthCheck(existing, wanted)) delete changed.health_check;
  if (Object.keys(changed).length === 0) return existing;
  const app = await client.updateApp(refOf(existing), changed);
  if (app.revision !== existing.revision || !("image" in changed)) {
    ctx.out.note(`updated ${app.name}: ${Object.keys(changed).join(", ")}`);
  }
  return app;
}

/** The API fills in default timings, so compare only what a flag can say. */
function sameHealthCheck(app: App, wanted: UpdateApp): boolean {
  const want = wanted.health_check;
  const have = app.health_check;
  if (!want) return true;
  const portOf = (check: typeof have) => ("port" in check ? check.port : undefined);
  return (
    want.type === have.type &&
    (want.type !== "http" || (have.type === "http" && want.path === have.path)) &&
    (portOf(want) === undefined || portOf(want) === portOf(have))
  );
}

function bitsNote(outcome: BitsOutcome, size: number): string {
  if (outcome === "unchanged") return "bits unchanged: upload skipped";
  if (outcome === "reused") return "bits already in the cluster: upload skipped";
  return `uploaded ${formatBytes(size)}`;
}

function instanceNote(instance: Instance): string {
  const where = instance.cell ? ` on ${instance.cell.name}` : "";
  const address = instance.state === "RUNNING" ? ` at ${addressOf(instance)}` : "";
  const reason = instance.reason ? ` (${instance.reason})` : "";
  return `instance ${instance.index}: ${instance.state}${where}${address}${reason}${pullNote(instance)}`;
}
