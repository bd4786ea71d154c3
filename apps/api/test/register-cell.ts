import { decodeOrThrow, RegisterCellReply, type RegisterCellRequest, subjects } from "@grove/protocol";
import { createUser } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";

export const capacity = { memoryMb: 4096, diskMb: 20_480, containers: 100 };

/** A register request as an agent sends it. */
export function registerRequest(joinToken: string, hostname: string) {
  return {
    v: 1 as const,
    joinToken,
    hostname,
    address: "10.0.0.2",
    zone: "z1",
    capacity,
    tags: ["ssd"],
    stacks: ["busybox"],
    publicKey: createUser().getPublicKey(),
  } satisfies Partial<RegisterCellRequest>;
}

/** Sends a register request over NATS and returns the api's reply (a join or a refusal). */
export async function register(nc: NatsConnection, joinToken: string, hostname = "cell-a") {
  const reply = await nc.request(subjects.register, JSON.stringify(registerRequest(joinToken, hostname)), {
    timeout: 5_000,
  });
  return decodeOrThrow(RegisterCellReply, reply.data);
}
