import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

/** Where the generated types live (committed). */
export const TYPES_FILE = fileURLToPath(new URL("../src/openapi.d.ts", import.meta.url));

/**
 * The OpenAPI document of the api in this repo. The api is built over stand-in connections:
 * serving `/openapi.json` touches neither Postgres nor NATS, so no server is needed.
 */
export async function documentInProcess(): Promise<unknown> {
  const { createApi, loadConfig } = await import("@grove/api");
  const pino = (await import("pino")).default;
  const config = loadConfig({
    DATABASE_URL: "postgres://unused/unused",
    NATS_URL: "nats://unused",
    GROVE_NATS_AUTHORITY: "unused",
  });
  const standIn = {} as never;
  const api = createApi({
    config,
    db: standIn,
    nc: standIn,
    authority: standIn,
    log: pino({ level: "silent" }),
  });
  const res = await api.app.request("/openapi.json");
  if (!res.ok) throw new Error(`the api answered /openapi.json with ${res.status}`);
  return res.json();
}

/** The OpenAPI document a running api serves. */
export async function documentFrom(url: string): Promise<unknown> {
  const res = await fetch(new URL("/openapi.json", url));
  if (!res.ok) throw new Error(`${url} answered /openapi.json with ${res.status}`);
  return res.json();
}

/** TypeScript declarations (`paths`, `components`) of an OpenAPI document. */
export async function renderTypes(document: unknown): Promise<string> {
  // defaultNonNullable off: fields with defaults stay optional in request bodies
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], {
    exportType: true,
    defaultNonNullable: false,
  });
  const text = `// Generated from the api's /openapi.json by \`npm run generate -w @grove/client\`. Do not edit.\n\n${astToString(ast)}`;
  return formatted(text);
}

/** The text as the repo's formatter (biome) would write it, so `npm run lint` accepts the file. */
function formatted(text: string): string {
  const biome = fileURLToPath(new URL("../../../node_modules/.bin/biome", import.meta.url));
  return execFileSync(biome, ["format", `--stdin-file-path=${TYPES_FILE}`], {
    input: text,
    encoding: "utf8",
  });
}
