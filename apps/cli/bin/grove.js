#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS GROVE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
// `grove`: runs the bundle from `npm run build` when it is current (with V8's code cache), else the
// sources through tsx. CommonJS (bin/package.json): an ES module entry would start Node's ES
// module loader, ~10 ms of every command. The first line starts Node without NODE_EXTRA_CA_CERTS,
// which Node 20 loads (with its own root certificates) at every start, ~70 ms: grove takes it over
// and uses it for https requests only (src/extra-ca.ts).
const { join } = require("node:path");

require("../../../infra/bin-entry.cjs").start(
  join(__dirname, "../dist/grove.cjs"),
  join(__dirname, "../src/main.ts"),
);
