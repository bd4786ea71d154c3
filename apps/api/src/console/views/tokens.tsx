import type { NewToken, TokenListing } from "../api-types";
import { Columns, FormContext, PostButton, ProblemNote, ScrollTable, When } from "./parts";
import { type FormOutcome, type Viewer, valuesFor } from "./viewer";

const ROLES = [
  { value: "developer", label: "Developer" },
  { value: "tenant_admin", label: "Tenant admin" },
] as const;

/** The tenant's tokens with a revoke button each, a form for a new one, and a new token shown once. */
export function Tokens(props: {
  viewer: Viewer;
  tokens: TokenListing[];
  created?: NewToken;
  outcome?: FormOutcome;
}) {
  const { viewer, outcome } = props;
  const typed = valuesFor(outcome, "new-token");
  return (
    <>
      <h1>Tokens of tenant {viewer.tenant}</h1>
      {props.created ? (
        <section class="done" role="status" aria-labelledby="created-title">
          <h2 id="created-title">Token {props.created.name || props.created.id} created</h2>
          <p>Copy it now: it is shown only this once, and only its hash is kept.</p>
          <p class="secret" id="new-token-secret">
            {props.created.token}
          </p>
        </section>
      ) : null}
      <section aria-labelledby="tokens-title">
        <h2 id="tokens-title">Tokens in use</h2>
        <ProblemNote outcome={outcome} form="revoke-token" />
        <ScrollTable label="Tokens">
          <Columns names={["Name", "Role", "Created", "Expires", "Last used"]} action />
          <tbody>
            {props.tokens.map((token) => (
              <tr>
                <td>{token.name || <span class="hint">(unnamed)</span>}</td>
                <td>{token.role}</td>
                <td>
                  <When at={token.created_at} />
                </td>
                <td>{token.expires_at ? <When at={token.expires_at} /> : "never"}</td>
                <td>
                  <When at={token.last_used_at} />
                </td>
                <td>
                  <PostButton
                    viewer={viewer}
                    action={`/console/tokens/${encodeURIComponent(token.id)}/revoke`}
                    label={`Revoke token ${token.name || token.id}`}
                  >
                    Revoke
                  </PostButton>
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
      <section aria-labelledby="new-token-title">
        <h2 id="new-token-title">New token</h2>
        <form method="post" action="/console/tokens" class="fields" id="new-token">
          <FormContext viewer={viewer} />
          <input type="hidden" name="idempotency_key" value={crypto.randomUUID()} />
          <ProblemNote outcome={outcome} form="new-token" />
          <div class="field">
            <label for="new-token-name">Name</label>
            <input id="new-token-name" name="name" autocomplete="off" value={typed?.name ?? ""} />
          </div>
          <div class="field">
            <label for="new-token-role">Role</label>
            <select id="new-token-role" name="role">
              {ROLES.map((role) => (
                <option value={role.value} selected={(typed?.role ?? "developer") === role.value}>
                  {role.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="new-token-expires">Expires in days</label>
            <input
              id="new-token-expires"
              name="expires_in_days"
              inputmode="numeric"
              autocomplete="off"
              value={typed?.expires_in_days ?? ""}
              aria-describedby="new-token-hint"
            />
          </div>
          <p class="hint actions" id="new-token-hint">
            Leave empty for a token that does not expire.
          </p>
          <div class="actions">
            <button type="submit">Create token</button>
          </div>
        </form>
      </section>
    </>
  );
}
