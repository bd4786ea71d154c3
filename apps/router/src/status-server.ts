import { createServer, type Server } from "node:http";

export interface StatusSource {
  /** the Prometheus text exposition and its content type */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** why the router is not ready to route, or undefined when it is */
  notReady(): Promise<string | undefined>;
}

/** The router's status endpoints: /metrics, /livez and /readyz. */
export function createStatusServer(source: StatusSource): Server {
  return createServer(async (req, res) => {
    try {
      if (req.url === "/metrics") {
        const { contentType, text } = await source.metrics();
        res.writeHead(200, { "content-type": contentType }).end(text);
      } else if (req.url === "/livez") {
        res.end("ok\n");
      } else if (req.url === "/readyz") {
        const reason = await source.notReady();
        res.writeHead(reason ? 503 : 200).end(reason ? `${reason}\n` : "ok\n");
      } else {
        res.writeHead(404).end("not found\n");
      }
    } catch (error) {
      res.writeHead(500).end(`${(error as Error).message}\n`);
    }
  });
}
