import type { EgressRule, Policy } from "../api-types";
import { Columns, FormContext, PostButton, ProblemNote, ScrollTable, TextField, When } from "./parts";
import { administers, type FormOutcome, type Viewer, valuesFor } from "./viewer";

export interface NetworkData {
  /** the tenant's policies, and other tenants' reaching its apps */
  policies: Policy[];
  /** the tenant's egress rules and the platform default */
  egress: EgressRule[];
  /** the apps the viewer sees, as `{ space, name }` */
  apps: { space: string; name: string }[];
  /** the spaces the viewer sees, by name */
  spaces: string[];
  /** the names of the spaces the viewer may change things in */
  changes: ReadonlySet<string>;
}

/** A policy form's app choice: `space/app`, as the form's select sends it. */
export const appChoice = (app: { space: string; name: string }) => `${app.space}/${app.name}`;

/** A port range as people read it: `8080`, `8000–8099`, or `every port`. */
export function portsText(ports: { start: number; end: number } | null): string {
  if (ports === null) return "every port";
  return ports.start === ports.end ? `port ${ports.start}` : `ports ${ports.start}–${ports.end}`;
}

/** A policy's end as people read it: the app, its space, and its tenant when not the viewer's. */
function endText(end: Policy["source"], tenant: string | null): string {
  return end.tenant === tenant
    ? `${end.app} (space ${end.space})`
    : `${end.app} (${end.space}, tenant ${end.tenant})`;
}

/**
 * Network policies between the tenant's apps (default deny: only what a policy allows), with a
 * remove button each and a form adding one, for the apps whose space the viewer changes; then the
 * egress rules, which tenant admins manage.
 */
export function Network({
  viewer,
  data,
  outcome,
}: {
  viewer: Viewer;
  data: NetworkData;
  outcome?: FormOutcome;
}) {
  return (
    <>
      <h1>Network policies</h1>
      <p>
        Apps cannot open connections to each other unless a policy allows it, and containers reach nothing
        outside but DNS unless an egress rule allows it. Changes take effect on every cell within seconds;
        removing one cuts the connections it allowed.
      </p>
      <Policies viewer={viewer} data={data} outcome={outcome} />
      <EgressRules viewer={viewer} data={data} outcome={outcome} />
    </>
  );
}

function Policies({ viewer, data, outcome }: { viewer: Viewer; data: NetworkData; outcome?: FormOutcome }) {
  const sources = data.apps.filter((app) => data.changes.has(app.space));
  const removable = (policy: Policy) =>
    policy.source.tenant === viewer.tenant && data.changes.has(policy.source.space);
  return (
    <section aria-labelledby="policies-title">
      <h2 id="policies-title">Policies between apps</h2>
      <ProblemNote outcome={outcome} form="remove-policy" />
      {data.policies.length === 0 ? (
        <p>No policies: no app can open connections to another.</p>
      ) : (
        <ScrollTable label="Policies">
          <Columns names={["Source app", "Destination app", "Protocol", "Ports", "Added"]} action />
          <tbody>
            {data.policies.map((policy) => (
              <tr>
                <td>{endText(policy.source, viewer.tenant)}</td>
                <td>{endText(policy.destination, viewer.tenant)}</td>
                <td>{policy.protocol}</td>
                <td>{portsText(policy.ports)}</td>
                <td>
                  <When at={policy.created_at} />
                </td>
                <td>
                  {removable(policy) ? (
                    <PostButton
                      viewer={viewer}
                      action={`/console/policies/${encodeURIComponent(policy.id)}/remove`}
                      label={`Remove the policy from ${policy.source.app} to ${policy.destination.app} on ${policy.protocol} ${portsText(policy.ports)}`}
                    >
                      Remove
                    </PostButton>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      )}
      {sources.length > 0 ? (
        <PolicyForm viewer={viewer} sources={sources} apps={data.apps} outcome={outcome} />
      ) : (
        <p class="hint">
          {data.apps.length === 0
            ? "Push an app to add policies."
            : "Your role changes no space here: policies are shown read-only."}
        </p>
      )}
    </section>
  );
}

function PolicyForm(props: {
  viewer: Viewer;
  sources: NetworkData["apps"];
  apps: NetworkData["apps"];
  outcome: FormOutcome | undefined;
}) {
  const form = "new-policy";
  const { outcome } = props;
  const typed = valuesFor(outcome, form);
  const options = (apps: NetworkData["apps"], field: string) =>
    apps.map((app) => (
      <option value={appChoice(app)} selected={typed?.[field] === appChoice(app)}>
        {app.name} ({app.space})
      </option>
    ));
  return (
    <form method="post" action="/console/policies" class="fields" id={form}>
      <h3 class="actions">Add a policy</h3>
      <FormContext viewer={props.viewer} />
      <ProblemNote outcome={outcome} form={form} />
      <div class="field">
        <label for={`${form}-source`}>Source app</label>
        <select id={`${form}-source`} name="source">
          {options(props.sources, "source")}
        </select>
      </div>
      <div class="field">
        <label for={`${form}-destination`}>Destination app</label>
        <select id={`${form}-destination`} name="destination">
          {options(props.apps, "destination")}
        </select>
      </div>
      <div class="field">
        <label for={`${form}-protocol`}>Protocol</label>
        <select id={`${form}-protocol`} name="protocol">
          {["tcp", "udp"].map((protocol) => (
            <option value={protocol} selected={(typed?.protocol ?? "tcp") === protocol}>
              {protocol.toUpperCase()}
            </option>
          ))}
        </select>
      </div>
      <PortFields form={form} outcome={outcome} required />
      <p class="hint actions" id={`${form}-hint`}>
        The source app's instances may then open connections to the destination's on these ports. Leave the
        last port empty for one port.
      </p>
      <div class="actions">
        <button type="submit">Add policy</button>
      </div>
    </form>
  );
}

/** A form's `port` and `end_port` inputs, marked invalid when the API's refusal names them. */
function PortFields({
  form,
  outcome,
  required,
}: {
  form: string;
  outcome?: FormOutcome;
  required?: boolean;
}) {
  return (
    <>
      <TextField form={form} name="port" label="Port" outcome={outcome} required={required} numeric hint />
      <TextField form={form} name="end_port" label="Last port" outcome={outcome} numeric hint />
    </>
  );
}

const SCOPES = { platform: "every tenant (platform default)", tenant: "the whole tenant" } as const;

function EgressRules({
  viewer,
  data,
  outcome,
}: {
  viewer: Viewer;
  data: NetworkData;
  outcome?: FormOutcome;
}) {
  const form = "new-egress-rule";
  const typed = valuesFor(outcome, form);
  return (
    <section aria-labelledby="egress-title">
      <h2 id="egress-title">Egress rules</h2>
      <ProblemNote outcome={outcome} form="remove-egress-rule" />
      {data.egress.length === 0 ? (
        <p>No egress rules: containers reach DNS alone.</p>
      ) : (
        <ScrollTable label="Egress rules">
          <Columns names={["Applies to", "Destination", "Protocol", "Ports", "Added"]} action />
          <tbody>
            {data.egress.map((rule) => (
              <tr>
                <td>{rule.scope === "space" ? `space ${rule.space}` : SCOPES[rule.scope]}</td>
                <td>
                  {rule.destination}
                  {rule.control_plane ? <div class="hint">includes the control plane's services</div> : null}
                </td>
                <td>{rule.protocol}</td>
                <td>{rule.protocol === "tcp" || rule.protocol === "udp" ? portsText(rule.ports) : "-"}</td>
                <td>
                  <When at={rule.created_at} />
                </td>
                <td>
                  {rule.scope !== "platform" && administers(viewer) ? (
                    <PostButton
                      viewer={viewer}
                      action={`/console/egress-rules/${encodeURIComponent(rule.id)}/remove`}
                      label={`Remove the egress rule to ${rule.destination} on ${rule.protocol}`}
                    >
                      Remove
                    </PostButton>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      )}
      {administers(viewer) ? (
        <form method="post" action="/console/egress-rules" class="fields" id={form}>
          <h3 class="actions">Add an egress rule</h3>
          <FormContext viewer={viewer} />
          <ProblemNote outcome={outcome} form={form} />
          <TextField
            form={form}
            name="destination"
            label="Destination network"
            outcome={outcome}
            required
            placeholder="203.0.113.0/24"
            hint
          />
          <div class="field">
            <label for={`${form}-protocol`}>Protocol</label>
            <select id={`${form}-protocol`} name="protocol">
              {["tcp", "udp", "icmp", "all"].map((protocol) => (
                <option value={protocol} selected={(typed?.protocol ?? "tcp") === protocol}>
                  {protocol === "all" ? "Any" : protocol.toUpperCase()}
                </option>
              ))}
            </select>
          </div>
          <PortFields form={form} outcome={outcome} />
          <div class="field">
            <label for={`${form}-space`}>Applies to</label>
            <select id={`${form}-space`} name="rule_space">
              <option value="">The whole tenant</option>
              {data.spaces.map((space) => (
                <option value={space} selected={typed?.rule_space === space}>
                  Space {space}
                </option>
              ))}
            </select>
          </div>
          <p class="hint actions" id={`${form}-hint`}>
            An IPv4 network a.b.c.d/n. Ports for TCP and UDP only; leave both empty for every port, the last
            one empty for one port.
          </p>
          <div class="actions">
            <button type="submit">Add egress rule</button>
          </div>
        </form>
      ) : (
        <p class="hint">Tenant admins manage egress rules.</p>
      )}
    </section>
  );
}
