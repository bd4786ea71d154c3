export * from "./child";
export * from "./nats-security";
export * from "./nats-server";
export * from "./netns-forwarder";
export * from "./postgres-server";
export * from "./reachable";
export * from "./system-user";
export * from "./tls-certificates";
