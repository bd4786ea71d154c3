import { Readable } from "node:stream";

export { type Member, tarOf } from "@grove/testkit/archives";

export function streamOf(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}
