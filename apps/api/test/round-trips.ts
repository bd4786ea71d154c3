import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { onTestFinished } from "vitest";

/**
 * A TCP proxy in front of Postgres (`url`) that counts round trips: each time a client sends after
 * Postgres has answered, one more. Statements pipelined (sent before the answers of those before
 * them) are one. Closed when the test ends.
 */
export async function roundTripCounter(url: string) {
  const target = new URL(url);
  let trips = 0;
  let answered = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (data) => {
      if (answered) trips++;
      answered = false;
      upstream.write(data);
    });
    upstream.on("data", (data) => {
      answered = true;
      client.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const proxied = new URL(url);
  proxied.port = String((server.address() as AddressInfo).port);
  return {
    url: proxied.toString(),
    /** Round trips since the last call (or since the proxy started). */
    taken(): number {
      const count = trips;
      trips = 0;
      return count;
    },
  };
}
