import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { shortHash } from "./store-paths";
import { treeUsage } from "./tree-walk";
import type { WritableLayerUsage } from "./types";

/**
 * Bytes and inodes of read-only layers, as Garden's "total" disk scope counts them. A layer's
 * contents never change under its key, so each is walked once and its usage kept in the store
 * (`usage/<hash of key>.json`); later containers of the same image read the figure back.
 */
export async function layersUsage(
  storeDir: string,
  layers: { key: string; dir: string }[],
): Promise<WritableLayerUsage> {
  const total = { bytesUsed: 0, inodesUsed: 0 };
  for (const layer of layers) {
    const usage = await layerUsage(storeDir, layer);
    total.bytesUsed += usage.bytesUsed;
    total.inodesUsed += usage.inodesUsed;
  }
  return total;
}

async function layerUsage(
  storeDir: string,
  layer: { key: string; dir: string },
): Promise<WritableLayerUsage> {
  const file = join(storeDir, "usage", `${shortHash(layer.key)}.json`);
  const known = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as WritableLayerUsage,
    () => undefined,
  );
  if (known) return known;
  const usage = await treeUsage(layer.dir);
  await mkdir(join(storeDir, "usage"), { recursive: true });
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, JSON.stringify(usage));
  await rename(temp, file);
  return usage;
}
