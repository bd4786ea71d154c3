import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { OPERATOR } from "@grove/api/testing";
import { freePort, stopChild, waitForOutput } from "@grove/testkit/services";

const MAIN = join(import.meta.dirname, "../../api/src/main.ts");

export interface ApiProcess {
  port: number;
  /** like the in-process harness's `call`: operator token, `default` tenant */
  call(path: string, init?: { method?: string; json?: unknown; body?: Buffer }): Promise<Response>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

/** The api as its own process (`apps/api/src/main.ts`), so a test can SIGKILL it mid-operation. */
export async function apiProcess(options: {
  databaseUrl: string;
  /** `TestNats.env("api")` */
  natsEnv: Record<string, string>;
  /** more environment (e.g. GROVE_PRESENCE_TTL_MS), over the defaults */
  env?: Record<string, string>;
  /** a file its output is appended to (else it is discarded) */
  logFile?: string;
}): Promise<ApiProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const env = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    ...options.natsEnv,
    GROVE_API_PORT: String(port),
    GROVE_BOOTSTRAP_TOKEN: OPERATOR,
    GROVE_DEFAULT_TENANT: "default",
    GROVE_CONVERGENCE_INTERVAL_MS: "1000",
    GROVE_LOG_LEVEL: "info",
    ...options.env,
  };
  const api: ApiProcess = {
    port,
    call(path, init = {}) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${OPERATOR}`,
        "x-grove-tenant": "default",
      };
      let body: RequestInit["body"] = init.body;
      if (init.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(init.json);
      }
      return fetch(`http://127.0.0.1:${port}${path}`, { method: init.method ?? "GET", headers, body });
    },
    async kill(signal = "SIGKILL") {
      if (child) await stopChild(child, signal);
    },
    async start() {
      child = spawn(process.execPath, ["--import", "tsx", MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
      const ready = waitForOutput(child, /"api listening"/, 60_000, "api");
      if (options.logFile) {
        const file = createWriteStream(options.logFile, { flags: "a" });
        child.stdout?.pipe(file, { end: false });
        child.stderr?.pipe(file, { end: false });
      }
      await ready;
      child.stdout?.resume();
      child.stderr?.resume();
    },
  };
  await api.start();
  return api;
}
