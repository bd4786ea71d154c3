import type { Role } from "../../auth/principal";
import type { SpaceRole } from "../../repo/space-roles";
import type { ApiProblem } from "../api-caller";

/** Who is looking, as the pages need it: role, the tenant acted in, and the forms' CSRF token. */
export interface Viewer {
  role: Role;
  /** the tenant shown and acted in; null for an operator who has not picked one */
  tenant: string | null;
  csrf: string;
  /**
   * a developer token's roles by space id (as the API reads them for each request); null for
   * tenant admins and operators, who may change every space
   */
  spaceRoles: ReadonlyMap<string, SpaceRole> | null;
}

/** A refused change: which form sent it, what the API said, and what was typed (to show again). */
export interface FormOutcome {
  form: string;
  problem: ApiProblem;
  values: Record<string, string>;
}

/** Whether the viewer's role may change spaces, quotas and tokens (the API decides; this only hides forms). */
export const administers = (viewer: Viewer): boolean => viewer.role !== "developer";

/** Whether the viewer may change things in space `spaceId` (the API decides; this only hides forms). */
export const changesIn = (viewer: Viewer, spaceId: string): boolean =>
  viewer.spaceRoles === null || viewer.spaceRoles.get(spaceId) === "developer";

/** A console link that keeps an operator in the tenant they picked. */
export function consoleHref(viewer: Pick<Viewer, "role" | "tenant">, path: string): string {
  if (viewer.role !== "operator" || !viewer.tenant) return path;
  return `${path}?tenant=${encodeURIComponent(viewer.tenant)}`;
}

/** The submitted values of `form`, when the outcome is that form's. */
export function valuesFor(
  outcome: FormOutcome | undefined,
  form: string,
): Record<string, string> | undefined {
  return outcome?.form === form ? outcome.values : undefined;
}
