import { join } from "node:path";
import { type NatsServer, startNatsServer } from "@grove/services";
import { freePort } from "./ports";
import { makeTempDir } from "./temp";

export interface TestNats {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** kills the server (SIGKILL, like a crash) and starts it again on the same port and store */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a throwaway `nats-server -js` on a free loopback port with its own JetStream store dir. */
export async function startNats(): Promise<TestNats> {
  const temp = await makeTempDir("grove-nats-");
  const port = await freePort();
  const launch = () => startNatsServer({ storeDir: join(temp.path, "js"), port, name: `test-${port}` });
  let server: NatsServer;
  try {
    server = await launch();
  } catch (error) {
    await temp.remove();
    throw error;
  }
  return {
    url: server.url,
    port,
    async restart() {
      await server.stop("SIGKILL");
      server = await launch();
    },
    async stop() {
      await server.stop();
      await temp.remove();
    },
  };
}
