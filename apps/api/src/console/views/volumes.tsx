import type { Snapshot, Volume } from "../api-types";
import { Columns, FormContext, PostButton, ProblemNote, ScrollTable, TextField, When } from "./parts";
import { type FormOutcome, type Viewer, valuesFor } from "./viewer";

export interface VolumesData {
  /** the first volumes by name, each with the apps that mount it and its snapshots */
  volumes: { volume: Volume; usedBy: string[]; snapshots: Snapshot[] }[];
  /** how many volumes the tenant has (only the first ones are shown) */
  total: number;
  /** the names of the spaces the viewer may change things in */
  changes: ReadonlySet<string>;
}

const number = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** The form id of a volume's actions (snapshot, restore, delete): their refusals show there. */
export const volumeFormOf = (name: string) => `volume-${name}`;

/** A size in bytes as people read it: bytes, KB below a megabyte, MB above. */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  return bytes < 1048576 ? `${number.format(bytes / 1024)} KB` : `${number.format(bytes / 1048576)} MB`;
}

/** A volume's state as people read it: what moving and restoring mean for its instances. */
export function stateText(volume: Pick<Volume, "state" | "cell">): string {
  if (volume.state === "moving")
    return volume.cell === null
      ? "moving… (copied off its cell: its instance starts on another cell once the data is there)"
      : `moving… (its cell ${volume.cell} is draining: its instances stop, the data is copied to another cell)`;
  if (volume.state === "restoring")
    return "restoring… (a snapshot is copied onto the cell its next instance lands on)";
  return "ready";
}

function cellText(volume: Volume): string {
  if (volume.cell) return volume.cell;
  return volume.state === "ready"
    ? "none yet (made where its first instance lands)"
    : "none (its data is on its way)";
}

/**
 * The tenant's volumes: size, space, state, cell and the apps that mount each; their snapshots
 * with restore and delete; a snapshot form and delete button per volume and a form for a new one,
 * where the viewer changes the volume's space.
 */
export function Volumes({
  viewer,
  data,
  outcome,
}: {
  viewer: Viewer;
  data: VolumesData;
  outcome?: FormOutcome;
}) {
  return (
    <>
      <h1>Volumes</h1>
      {data.volumes.length === 0 ? <p>No volumes yet.</p> : null}
      {data.total > data.volumes.length ? (
        <p class="hint">
          Showing the first {data.volumes.length} of {data.total} volumes by name; `grove volumes list` shows
          all.
        </p>
      ) : null}
      {data.volumes.map((shown) => (
        <VolumeShown
          viewer={viewer}
          shown={shown}
          changes={data.changes.has(shown.volume.space)}
          outcome={outcome}
        />
      ))}
      {data.changes.size > 0 ? (
        <NewVolume viewer={viewer} spaces={[...data.changes]} outcome={outcome} />
      ) : (
        <p class="hint">Your role changes no space here: volumes are shown read-only.</p>
      )}
    </>
  );
}

function VolumeShown(props: {
  viewer: Viewer;
  shown: VolumesData["volumes"][number];
  changes: boolean;
  outcome: FormOutcome | undefined;
}) {
  const { viewer, outcome } = props;
  const { volume, usedBy, snapshots } = props.shown;
  const form = volumeFormOf(volume.name);
  const base = `/console/volumes/${encodeURIComponent(volume.name)}`;
  return (
    <section aria-labelledby={`${form}-title`}>
      <h2 id={`${form}-title`}>Volume {volume.name}</h2>
      <dl class="facts">
        <dt>Space</dt>
        <dd>{volume.space}</dd>
        <dt>Size</dt>
        <dd>
          {number.format(volume.size_mb)} MB,{" "}
          {volume.shared ? "shared (instances on its cell)" : "one instance at a time"}
        </dd>
        <dt>State</dt>
        <dd>{stateText(volume)}</dd>
        <dt>Cell</dt>
        <dd>{cellText(volume)}</dd>
        <dt>Used by</dt>
        <dd>{usedBy.length === 0 ? "no app" : usedBy.join(", ")}</dd>
        <dt>Created</dt>
        <dd>
          <When at={volume.created_at} />
        </dd>
      </dl>
      {volume.reason ? <p class="hint">Last copy failed (tried again): {volume.reason}</p> : null}
      <ProblemNote outcome={outcome} form={form} />
      {props.changes ? (
        <form method="post" action={`${base}/snapshots`} class="fields" id={`${form}-snapshot`}>
          <FormContext viewer={viewer} />
          <TextField form={form} name="name" label="Snapshot name" outcome={outcome} hint />
          <div class="field">
            <button type="submit">Snapshot {volume.name}</button>
          </div>
          <p class="hint actions" id={`${form}-hint`}>
            A point-in-time copy of its files in the cluster (writes wait while it is read). Leave the name
            empty for the time.
          </p>
        </form>
      ) : null}
      <h3>Snapshots</h3>
      {snapshots.length === 0 ? (
        <p class="hint">No snapshots.</p>
      ) : (
        <ScrollTable label={`Snapshots of ${volume.name}`}>
          <Columns names={["Name", "Stored", "Created"]} action={props.changes} />
          <tbody>
            {snapshots.map((snapshot) => (
              <tr>
                <td>{snapshot.name}</td>
                <td>{bytesText(snapshot.bytes)}</td>
                <td>
                  <When at={snapshot.created_at} />
                </td>
                {props.changes ? (
                  <td>
                    <PostButton
                      viewer={viewer}
                      action={`${base}/snapshots/${encodeURIComponent(snapshot.name)}/restore`}
                      label={`Restore ${volume.name} from ${snapshot.name}`}
                    >
                      Restore
                    </PostButton>{" "}
                    <PostButton
                      viewer={viewer}
                      action={`${base}/snapshots/${encodeURIComponent(snapshot.name)}/delete`}
                      label={`Delete snapshot ${snapshot.name} of ${volume.name}`}
                    >
                      Delete
                    </PostButton>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      )}
      {props.changes ? (
        <p class="hint">
          A restore is refused while an instance holds the volume: scale its apps to 0 first.{" "}
          <PostButton viewer={viewer} action={`${base}/delete`} label={`Delete volume ${volume.name}`}>
            Delete volume
          </PostButton>
        </p>
      ) : null}
    </section>
  );
}

function NewVolume({ viewer, spaces, outcome }: { viewer: Viewer; spaces: string[]; outcome?: FormOutcome }) {
  const form = "new-volume";
  const typed = valuesFor(outcome, form);
  return (
    <section aria-labelledby={`${form}-title`}>
      <h2 id={`${form}-title`}>New volume</h2>
      <form method="post" action="/console/volumes" class="fields" id={form}>
        <FormContext viewer={viewer} />
        <input type="hidden" name="idempotency_key" value={crypto.randomUUID()} />
        <ProblemNote outcome={outcome} form={form} />
        <TextField form={form} name="name" label="Name" outcome={outcome} required />
        <TextField form={form} name="size_mb" label="Size (MB)" outcome={outcome} required numeric />
        <div class="field">
          <label for={`${form}-space`}>Space</label>
          <select id={`${form}-space`} name="volume_space">
            {spaces.map((space) => (
              <option value={space} selected={(typed?.volume_space ?? "default") === space}>
                {space}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label>
            <input type="checkbox" name="shared" value="yes" checked={typed?.shared === "yes"} /> Shared
          </label>
        </div>
        <p class="hint actions">
          Only apps of its space may mount it. Shared: several instances on its cell at once; otherwise one at
          a time. It is made on a cell when an instance first mounts it.
        </p>
        <div class="actions">
          <button type="submit">Create volume</button>
        </div>
      </form>
    </section>
  );
}
