export { parseRouterConfig, RouterConfig } from "./config";
export { RouteTable } from "./route-table";
export { type RouterOptions, type RunningRouter, startRouter } from "./router";
