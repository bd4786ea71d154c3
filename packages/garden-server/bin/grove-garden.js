#!/usr/bin/env node
// `grove-garden`: runs the bundle from `npm run build` when it is current, else the sources through tsx.
import { start } from "../../../infra/bin-entry.mjs";

await start(
  new URL("../dist/main.js", import.meta.url).pathname,
  new URL("../src/main.ts", import.meta.url).pathname,
);
