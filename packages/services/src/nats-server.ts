import { spawn } from "node:child_process";
import { stopChild, waitForOutput } from "./child";

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s), waits for exit; `signal: "SIGKILL"` simulates a crash */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `nats-server -js` on 127.0.0.1:port with its JetStream store in `storeDir`. */
export async function startNatsServer(options: {
  storeDir: string;
  port: number;
  name?: string;
}): Promise<NatsServer> {
  const child = spawn(
    "nats-server",
    [
      "-js",
      "-sd",
      options.storeDir,
      "-a",
      "127.0.0.1",
      "-p",
      String(options.port),
      "--name",
      options.name ?? `grove-${options.port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    await waitForOutput(
      child,
      /Server is ready/,
      15_000,
      "nats-server",
      `If another server holds port ${options.port}, stop it or choose another port; otherwise fix what nats-server says about ${options.storeDir}.`,
    );
  } catch (error) {
    await stopChild(child, "SIGKILL");
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `nats://127.0.0.1:${options.port}`,
    port: options.port,
    pid: child.pid as number,
    stop: (signal = "SIGTERM") => stopChild(child, signal),
  };
}
