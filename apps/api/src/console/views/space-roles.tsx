import type { SpaceRole, TokenListing } from "../api-types";
import { FormContext, PostButton, ProblemNote } from "./parts";
import { administers, type FormOutcome, type Viewer, valuesFor } from "./viewer";

/** The form id of a space's role form (and of its remove buttons' refusals). */
export const roleFormOf = (space: string) => `space-roles-${space}`;

/**
 * Who has which role in a space (developer tokens; tenant admins reach every space anyway), with
 * a remove button each and a form giving a developer token a role, for tenant admins.
 */
export function SpaceRoles(props: {
  viewer: Viewer;
  space: string;
  roles: SpaceRole[];
  /** the tenant's developer tokens (for tenant admins' form; empty for others) */
  developers: TokenListing[];
  outcome: FormOutcome | undefined;
}) {
  const { viewer, space, outcome } = props;
  const form = roleFormOf(space);
  const typed = valuesFor(outcome, form);
  const base = `/console/spaces/${encodeURIComponent(space)}/roles`;
  return (
    <div>
      <h4>Roles in space {space}</h4>
      {props.roles.length === 0 ? (
        <p class="hint">No developer token has a role here.</p>
      ) : (
        <ul>
          {props.roles.map((role) => (
            <li>
              {role.token_name || role.token_id}: {role.role}{" "}
              {administers(viewer) ? (
                <PostButton
                  viewer={viewer}
                  action={`${base}/${encodeURIComponent(role.token_id)}/remove`}
                  label={`Remove ${role.token_name || role.token_id}'s role in ${space}`}
                >
                  Remove
                </PostButton>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {administers(viewer) ? (
        <form method="post" action={base} class="fields" id={form}>
          <FormContext viewer={viewer} />
          <ProblemNote outcome={outcome} form={form} />
          {props.developers.length === 0 ? (
            <p class="hint actions">Make a developer token on the Tokens page to give it a role here.</p>
          ) : (
            <>
              <div class="field">
                <label for={`${form}-token`}>Developer token</label>
                <select id={`${form}-token`} name="token">
                  {props.developers.map((token) => (
                    <option value={token.id} selected={typed?.token === token.id}>
                      {token.name || token.id}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for={`${form}-role`}>Role</label>
                <select id={`${form}-role`} name="role">
                  <option value="developer" selected={typed?.role !== "viewer"}>
                    Developer (read and change)
                  </option>
                  <option value="viewer" selected={typed?.role === "viewer"}>
                    Viewer (read only)
                  </option>
                </select>
              </div>
              <div class="field">
                <button type="submit">Give role in {space}</button>
              </div>
            </>
          )}
        </form>
      ) : null}
    </div>
  );
}
