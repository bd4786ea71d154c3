import { createServer, type Server } from "node:http";

/** The expvar-shaped document Guardian's debug server answers /debug/vars with. */
export function debugVars(): Record<string, unknown> {
  const memory = process.memoryUsage();
  return {
    cmdline: process.argv,
    memstats: {
      Alloc: memory.heapUsed,
      TotalAlloc: memory.heapUsed,
      Sys: memory.rss,
      HeapAlloc: memory.heapUsed,
      HeapSys: memory.heapTotal,
      HeapInuse: memory.heapUsed,
      StackInuse: 0,
      NumGC: 0,
    },
  };
}

/** Serves GET /debug/vars on its own address (Guardian's --debug-bind-ip/--debug-bind-port). */
export async function startDebugServer(address: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || new URL(req.url ?? "/", "http://debug").pathname !== "/debug/vars") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("404 page not found\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
    res.end(`${JSON.stringify(debugVars())}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => resolve());
  });
  return server;
}
