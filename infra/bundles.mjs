// Every process Grove runs, its TypeScript entry point and where `npm run build` puts its bundle.
// `self`: the bundle carries its third-party dependencies too (the CLI starts once per command, and
// resolving and parsing dozens of CommonJS files from node_modules is most of a cold start).
// `format: "cjs"`: a CommonJS bundle, which `bin-entry.mjs` compiles with V8's code cache (Node 20 has
// none for ES modules): the CLI's parse and compile is most of what it adds to Node's own start.
// `at`: where the image (infra/images) puts the repository's files; the bundle finds the files beside
// its sources (migrations) there. Image bundles carry their dependencies, so an image needs no node_modules.
export const bundles = [
  {
    name: "grove",
    from: "apps/cli/src/main.ts",
    to: "apps/cli/dist/grove.cjs",
    self: true,
    format: "cjs",
  },
  { name: "api", from: "apps/api/src/main.ts", to: "apps/api/dist/main.js" },
  { name: "agent", from: "apps/agent/src/main.ts", to: "apps/agent/dist/main.js" },
  { name: "router", from: "apps/router/src/main.ts", to: "apps/router/dist/main.js" },
  { name: "single-node", from: "infra/single-node.ts", to: "infra/dist/single-node.js" },
  {
    name: "grove-garden",
    from: "packages/garden-server/src/main.ts",
    to: "packages/garden-server/dist/main.js",
  },
  {
    name: "api-image",
    from: "apps/api/src/main.ts",
    to: "infra/dist/image/api.js",
    self: true,
    at: "/opt/grove",
  },
  {
    name: "router-image",
    from: "apps/router/src/main.ts",
    to: "infra/dist/image/router.js",
    self: true,
    at: "/opt/grove",
  },
];
