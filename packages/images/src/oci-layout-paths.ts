import { join } from "node:path";

/** A blob's path inside an OCI image layout (blobs/<algorithm>/<hex>). */
export function blobPathIn(layout: string, digest: string): string {
  const [algorithm = "", hex = ""] = digest.split(":");
  return join(layout, "blobs", algorithm, hex);
}
