import { spawn } from "node:child_process";
import { join } from "node:path";
import { stopChild, waitForOutput } from "./child";
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
  const launch = async () => {
    const child = spawn(
      "nats-server",
      ["-js", "-sd", join(temp.path, "js"), "-a", "127.0.0.1", "-p", String(port), "--name", `test-${port}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      await waitForOutput(child, /Server is ready/, 15_000, "nats-server");
    } catch (error) {
      await stopChild(child, "SIGKILL");
      throw error;
    }
    child.stdout?.resume();
    child.stderr?.resume();
    return child;
  };
  let child = await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async restart() {
      await stopChild(child, "SIGKILL");
      child = await launch();
    },
    async stop() {
      await stopChild(child);
      await temp.remove();
    },
  };
}
