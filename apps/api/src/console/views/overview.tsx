import type { Space, SpaceRole, Tenant, TokenListing } from "../api-types";
import type { QuotaShown } from "../quota-fields";
import { FormContext, ProblemNote, When } from "./parts";
import { QuotaBars, QuotaForm } from "./quota";
import { SpaceRoles } from "./space-roles";
import { administers, type FormOutcome, type Viewer, valuesFor } from "./viewer";

export interface ShownQuota {
  quota: QuotaShown;
  etag: string | null;
}

export interface OverviewData {
  /** every tenant, for an operator who has not picked one */
  tenants?: Tenant[];
  /** the tenant's quota and its spaces, once there is a tenant */
  tenant?: ShownQuota & {
    spaces: SpaceShown[];
    /** the tenant's developer tokens, for tenant admins' role forms (empty for others) */
    developers: TokenListing[];
  };
}

export type SpaceShown = ShownQuota & { space: Space; roles: SpaceRole[] };

/** The overview: for an operator a tenant picker; for a tenant its quota, its spaces and theirs. */
export function Overview({
  viewer,
  data,
  outcome,
}: {
  viewer: Viewer;
  data: OverviewData;
  outcome?: FormOutcome;
}) {
  return (
    <>
      {data.tenants ? <TenantPicker tenants={data.tenants} /> : null}
      {data.tenant ? <TenantQuota viewer={viewer} shown={data.tenant} outcome={outcome} /> : null}
      {data.tenant ? (
        <Spaces
          viewer={viewer}
          spaces={data.tenant.spaces}
          developers={data.tenant.developers}
          outcome={outcome}
        />
      ) : null}
    </>
  );
}

function TenantPicker({ tenants }: { tenants: Tenant[] }) {
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      {tenants.length === 0 ? <p>No tenants yet: create one with `grove tenants create`.</p> : null}
      <ul>
        {tenants.map((tenant) => (
          <li>
            <a href={`/console?tenant=${encodeURIComponent(tenant.name)}`}>{tenant.name}</a>{" "}
            <span class="hint">
              since <When at={tenant.created_at} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function TenantQuota({
  viewer,
  shown,
  outcome,
}: {
  viewer: Viewer;
  shown: ShownQuota;
  outcome?: FormOutcome;
}) {
  const form = "tenant-quota";
  return (
    <section aria-labelledby="tenant-title">
      <h1 id="tenant-title">Tenant {shown.quota.tenant}</h1>
      <h2>Usage against the tenant quota</h2>
      <QuotaBars id="tenant" quota={shown.quota} />
      {viewer.role === "operator" ? (
        <details open={outcome?.form === form}>
          <summary>Change the tenant quota</summary>
          <QuotaForm
            form={form}
            action={`/console/tenants/${encodeURIComponent(shown.quota.tenant)}/quota`}
            legend="Save tenant quota"
            quota={shown.quota}
            etag={shown.etag}
            viewer={viewer}
            outcome={outcome}
          />
        </details>
      ) : null}
    </section>
  );
}

function Spaces(props: {
  viewer: Viewer;
  spaces: SpaceShown[];
  developers: TokenListing[];
  outcome: FormOutcome | undefined;
}) {
  const { viewer, outcome } = props;
  const typed = valuesFor(outcome, "new-space");
  return (
    <section aria-labelledby="spaces-title">
      <h2 id="spaces-title">Spaces</h2>
      <p class="hint">A space's quota and its tenant's both bind.</p>
      {props.spaces.map(({ space, quota, etag, roles }) => {
        const form = `space-quota-${space.name}`;
        return (
          <article aria-labelledby={`space-${space.name}`}>
            <h3 id={`space-${space.name}`}>Space {space.name}</h3>
            <QuotaBars id={`space-${space.name}`} quota={quota} />
            {administers(viewer) ? (
              <details open={outcome?.form === form}>
                <summary>Change space {space.name}'s quota</summary>
                <QuotaForm
                  form={form}
                  action={`/console/spaces/${encodeURIComponent(space.name)}/quota`}
                  legend={`Save space ${space.name}'s quota`}
                  quota={quota}
                  etag={etag}
                  viewer={viewer}
                  outcome={outcome}
                />
              </details>
            ) : null}
            <SpaceRoles
              viewer={viewer}
              space={space.name}
              roles={roles}
              developers={props.developers}
              outcome={outcome}
            />
          </article>
        );
      })}
      {administers(viewer) ? (
        <form method="post" action="/console/spaces" class="fields" id="new-space">
          <h3 class="actions">New space</h3>
          <FormContext viewer={viewer} />
          <input type="hidden" name="idempotency_key" value={crypto.randomUUID()} />
          <ProblemNote outcome={outcome} form="new-space" />
          <div class="field">
            <label for="new-space-name">Name</label>
            <input
              id="new-space-name"
              name="name"
              required
              autocomplete="off"
              value={typed?.name ?? ""}
              aria-describedby="new-space-hint"
            />
          </div>
          <p class="hint actions" id="new-space-hint">
            Lowercase letters, digits and '-'.
          </p>
          <div class="actions">
            <button type="submit">Create space</button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
