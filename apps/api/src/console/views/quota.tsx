import { type QuotaShown, quotaLines } from "../quota-fields";
import { FormContext, isInvalid, ProblemNote } from "./parts";
import { type FormOutcome, type Viewer, valuesFor } from "./viewer";

/**
 * A quota's usage as bars: each limited, counted field a `<meter>` labelled by the field, with
 * the values and percentage as text beside it (so nothing is told by the bar alone).
 */
export function QuotaBars({ id, quota }: { id: string; quota: QuotaShown }) {
  return (
    <ul class="bars">
      {quotaLines(quota).map((line) => {
        const meterId = `${id}-${line.field}`;
        return (
          <li>
            {line.bar ? (
              <>
                <label for={meterId}>{line.label}</label>
                <meter
                  id={meterId}
                  min={0}
                  max={line.bar.max}
                  value={line.bar.value}
                  low={line.bar.max * 0.75}
                  high={line.bar.max * 0.9}
                  optimum={0}
                  aria-describedby={`${meterId}-text`}
                >
                  {line.text}
                </meter>
              </>
            ) : (
              <strong>{line.label}</strong>
            )}{" "}
            <span id={`${meterId}-text`} class={line.over ? "value over" : "value"}>
              {line.text}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A form changing a quota's limits, prefilled with the current ones (or, after a refusal, with
 * what was typed). Empty = unlimited. The quota's ETag goes along, so a change made meanwhile
 * by someone else is refused rather than overwritten.
 */
export function QuotaForm(props: {
  form: string;
  action: string;
  legend: string;
  quota: QuotaShown;
  etag: string | null;
  viewer: Viewer;
  outcome: FormOutcome | undefined;
}) {
  const typed = valuesFor(props.outcome, props.form);
  return (
    <form method="post" action={props.action} class="fields" id={props.form}>
      <FormContext viewer={props.viewer} />
      {props.etag ? <input type="hidden" name="etag" value={props.etag} /> : null}
      <ProblemNote outcome={props.outcome} form={props.form} />
      {quotaLines(props.quota).map((line) => {
        const inputId = `${props.form}-${line.field}`;
        return (
          <div class="field">
            <label for={inputId}>{line.unit ? `${line.label} (${line.unit})` : line.label}</label>
            <input
              id={inputId}
              name={line.field}
              inputmode="numeric"
              autocomplete="off"
              value={typed?.[line.field] ?? (line.limit === null ? "" : String(line.limit))}
              aria-describedby={`${props.form}-hint`}
              aria-invalid={isInvalid(props.outcome, props.form, line.field) ? "true" : undefined}
            />
          </div>
        );
      })}
      <p class="hint actions" id={`${props.form}-hint`}>
        Whole numbers; leave a field empty for no limit.
      </p>
      <div class="actions">
        <button type="submit">{props.legend}</button>
      </div>
    </form>
  );
}
