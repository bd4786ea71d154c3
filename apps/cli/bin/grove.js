#!/usr/bin/env node
// `grove`: runs the bundle from `npm run build` when it is current (with V8's code cache), else the
// sources through tsx. CommonJS (bin/package.json): an ES module entry would start Node's ES
// module loader, ~10 ms of every command.
const { join } = require("node:path");

require("../../../infra/bin-entry.cjs").start(
  join(__dirname, "../dist/grove.cjs"),
  join(__dirname, "../src/main.ts"),
);
