/**
 * Regenerates `src/openapi.d.ts` from the api's OpenAPI document.
 *
 *   npm run generate -w @grove/client              # the document of the api in this repo
 *   npm run generate -w @grove/client -- URL       # the document a running api serves
 *   npm run generate -w @grove/client -- --check   # exit 1 when the committed file is stale
 */
import { readFile, writeFile } from "node:fs/promises";
import { documentFrom, documentInProcess, renderTypes, TYPES_FILE } from "./openapi-types";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const url = args.find((arg) => !arg.startsWith("--"));
  const text = await renderTypes(url ? await documentFrom(url) : await documentInProcess());
  if (args.includes("--check")) {
    if ((await readFile(TYPES_FILE, "utf8").catch(() => "")) !== text) {
      process.stderr.write("src/openapi.d.ts is stale: run npm run generate -w @grove/client\n");
      process.exit(1);
    }
    return;
  }
  await writeFile(TYPES_FILE, text);
  process.stdout.write(`wrote ${TYPES_FILE}\n`);
}

main().catch((error) => {
  process.stderr.write(`generate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
