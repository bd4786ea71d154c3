import type { App, AppEvent, Instance } from "../api-types";
import { FormContext, isInvalid, ProblemNote, ScrollTable, When } from "./parts";
import { type FormOutcome, type Viewer, valuesFor } from "./viewer";

export interface AppsData {
  apps: { app: App; instances: Instance[] }[];
  /** the tenant's latest app events, newest first */
  events: { app: string; space: string; event: AppEvent }[];
  /** how many apps the tenant has (only the first ones are shown in detail) */
  total: number;
}

const number = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** An instance's usage as the API reports it (cpu %, memory), or "not reported". */
export function usageText(
  usage: Pick<NonNullable<Instance["usage"]>, "cpu_percent" | "memory_bytes"> | null | undefined,
): { cpu: string; memory: string } {
  const cpu = usage?.cpu_percent;
  const memoryMb = typeof usage?.memory_bytes === "number" ? usage.memory_bytes / 1048576 : null;
  return {
    cpu: typeof cpu === "number" ? `${number.format(cpu)}%` : "not reported",
    memory: typeof memoryMb === "number" ? `${number.format(memoryMb)} MB` : "not reported",
  };
}

/** Apps with their instances (state, cell, cpu, memory) and a scale form, then the latest events. */
export function Apps({ viewer, data, outcome }: { viewer: Viewer; data: AppsData; outcome?: FormOutcome }) {
  return (
    <>
      <h1>Apps</h1>
      {data.apps.length === 0 ? <p>No apps yet.</p> : null}
      {data.total > data.apps.length ? (
        <p class="hint">
          Showing the first {data.apps.length} of {data.total} apps by name; `grove apps list` shows all.
        </p>
      ) : null}
      {data.apps.map(({ app, instances }) => (
        <section aria-labelledby={`app-${app.name}`}>
          <h2 id={`app-${app.name}`}>{app.name}</h2>
          <p>
            Space {app.space} · {app.state} · {app.instances} × {app.memory_mb} MB memory, {app.disk_mb} MB
            disk · revision {app.revision}
          </p>
          <ScaleForm viewer={viewer} app={app} outcome={outcome} />
          {instances.length === 0 ? (
            <p class="hint">No instances.</p>
          ) : (
            <ScrollTable label={`Instances of ${app.name}`}>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">State</th>
                  <th scope="col">Cell</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Memory</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {instances.map((instance) => {
                  const usage = usageText(instance.usage);
                  return (
                    <tr>
                      <td>{instance.index}</td>
                      <td>
                        {instance.state}
                        {instance.reason ? <div class="hint">{instance.reason}</div> : null}
                      </td>
                      <td>{instance.cell?.name ?? "none"}</td>
                      <td>{usage.cpu}</td>
                      <td>{usage.memory}</td>
                      <td>
                        <When at={instance.since} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </ScrollTable>
          )}
        </section>
      ))}
      <section aria-labelledby="events-title">
        <h2 id="events-title">Recent events</h2>
        {data.events.length === 0 ? (
          <p>No events yet.</p>
        ) : (
          <ScrollTable label="Table of recent events">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">App (space)</th>
                <th scope="col">Event</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {data.events.map(({ app, space, event }) => (
                <tr>
                  <td>
                    <When at={event.at} />
                  </td>
                  <td>
                    {app} <span class="hint">({space})</span>
                  </td>
                  <td>{event.kind}</td>
                  <td>{eventDetails(event.data)}</td>
                </tr>
              ))}
            </tbody>
          </ScrollTable>
        )}
      </section>
    </>
  );
}

/** An event's data as `key: value` pairs on one line. */
export function eventDetails(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

/** The form id of an app's scale form (app names are unique per space only). */
export const scaleFormOf = (app: { name: string; space: string }) => `scale-${app.space}-${app.name}`;

/** Sets an app's instance count through the API, which admits it against the space's and tenant's quotas. */
function ScaleForm({ viewer, app, outcome }: { viewer: Viewer; app: App; outcome?: FormOutcome }) {
  const form = scaleFormOf(app);
  const inputId = `${form}-instances`;
  return (
    <form
      method="post"
      action={`/console/apps/${encodeURIComponent(app.name)}/scale`}
      class="fields"
      id={form}
    >
      <FormContext viewer={viewer} />
      <input type="hidden" name="space" value={app.space} />
      <ProblemNote outcome={outcome} form={form} />
      <div class="field">
        <label for={inputId}>Instances of {app.name}</label>
        <input
          id={inputId}
          name="instances"
          inputmode="numeric"
          autocomplete="off"
          value={valuesFor(outcome, form)?.instances ?? String(app.instances)}
          aria-invalid={isInvalid(outcome, form, "instances") ? "true" : undefined}
        />
      </div>
      <div class="field">
        <button type="submit">Scale {app.name}</button>
      </div>
    </form>
  );
}
