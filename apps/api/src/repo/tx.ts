import type { Database } from "@grove/db";

/** A transaction of `Database.transaction`. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];
