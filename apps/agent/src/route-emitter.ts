import { encode, RouteRegistration, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";

export interface Route {
  instanceId: string;
  appId: string;
  uris: string[];
  host: string;
  port: number;
}

/**
 * Registers the routes of running instances with the router using Cloud Foundry's route messages,
 * again every interval (so a restarted router learns them), and unregisters them on stop or crash.
 */
export class RouteEmitter {
  readonly #routes = new Map<string, Route>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly nats: NatsConnection,
    intervalMs: number,
  ) {
    this.#timer = setInterval(() => this.#registerAll(), intervalMs);
    this.#timer.unref();
    nats.subscribe(subjects.routerStart, { callback: () => this.#registerAll() });
  }

  add(route: Route): void {
    if (route.uris.length === 0) return;
    this.#routes.set(route.instanceId, route);
    this.#send(subjects.routerRegister, route);
  }

  remove(instanceId: string): void {
    const route = this.#routes.get(instanceId);
    if (!route) return;
    this.#routes.delete(instanceId);
    this.#send(subjects.routerUnregister, route);
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #registerAll(): void {
    for (const route of this.#routes.values()) this.#send(subjects.routerRegister, route);
  }

  #send(subject: string, route: Route): void {
    this.nats.publish(
      subject,
      encode(RouteRegistration, {
        host: route.host,
        port: route.port,
        uris: route.uris,
        app: route.appId,
        private_instance_id: route.instanceId,
        tags: { component: "grove-agent" },
      }),
    );
  }
}
