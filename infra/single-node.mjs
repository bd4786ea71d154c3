// `npm start`'s process: the single-node supervisor, from its bundle when current, else through tsx.
import { start } from "./bin-entry.mjs";

await start(
  new URL("dist/single-node.js", import.meta.url).pathname,
  new URL("single-node.ts", import.meta.url).pathname,
);
