import { Forbidden } from "../errors";

export type Role = "operator" | "tenant_admin" | "developer";

/** Who is calling: an operator (whole cluster) or a member of exactly one tenant. */
export type Principal =
  | { tokenId: string; role: "operator"; tenantId: null }
  | { tokenId: string; role: "tenant_admin" | "developer"; tenantId: string };

/** Throws `Forbidden` unless the principal is an operator. */
export function requireOperator(principal: Principal): asserts principal is Principal & { role: "operator" } {
  if (principal.role !== "operator") throw new Forbidden("this needs an operator token");
}
