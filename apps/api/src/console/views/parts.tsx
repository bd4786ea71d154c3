import type { Child } from "hono/jsx";
import { type FormOutcome, type Viewer, valuesFor } from "./viewer";

/** The fields every console form carries: its CSRF token and, for operators, the tenant acted in. */
export function FormContext({ viewer }: { viewer: Viewer }) {
  return (
    <>
      <input type="hidden" name="csrf" value={viewer.csrf} />
      {viewer.role === "operator" && viewer.tenant ? (
        <input type="hidden" name="tenant" value={viewer.tenant} />
      ) : null}
    </>
  );
}

/** The API's refusal of `form`, announced and focused: its field issues, or else its detail. */
export function ProblemNote({ outcome, form }: { outcome: FormOutcome | undefined; form: string }) {
  if (outcome?.form !== form) return null;
  const { problem } = outcome;
  const issues = problem.errors ?? [];
  return (
    <div class="problem" role="alert" id={`${form}-problem`} tabindex={-1} autofocus>
      <strong>{problem.title}:</strong>{" "}
      {issues.length === 0 ? (
        problem.detail
      ) : (
        <ul>
          {issues.map((issue) => (
            <li>
              {issue.field}: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Whether the refusal of `form` names `field`: its input is then marked invalid. */
export function isInvalid(outcome: FormOutcome | undefined, form: string, field: string): boolean {
  return outcome?.form === form && (outcome.problem.errors ?? []).some((issue) => issue.field === field);
}

/** A table that scrolls sideways on its own on a narrow screen (and by keyboard), not the page. */
export function ScrollTable({ label, children }: { label: string; children: Child }) {
  return (
    <section class="scroll" aria-label={label} tabindex={0}>
      <table>{children}</table>
    </section>
  );
}

/** A timestamp as UTC to the minute, in a `<time>` element carrying the exact value. */
export function When({ at }: { at: string | null }) {
  if (!at) return <>never</>;
  return <time datetime={at}>{at.slice(0, 16).replace("T", " ")} UTC</time>;
}

/** A table's header row: a column per name, then an unlabelled-looking "Action" one when `action`. */
export function Columns({ names, action }: { names: string[]; action?: boolean }) {
  return (
    <thead>
      <tr>
        {names.map((name) => (
          <th scope="col">{name}</th>
        ))}
        {action ? (
          <th scope="col">
            <span class="hint">Action</span>
          </th>
        ) : null}
      </tr>
    </thead>
  );
}

/** A form that is one button posting to `action` (remove, revoke, restore…); `label` names what it does. */
export function PostButton(props: { viewer: Viewer; action: string; label: string; children: Child }) {
  return (
    <form method="post" action={props.action} class="inline">
      <FormContext viewer={props.viewer} />
      <button type="submit" class="quiet" aria-label={props.label}>
        {props.children}
      </button>
    </form>
  );
}

/**
 * A labelled text input of `form`, showing what was typed after a refusal (else `value`), marked
 * invalid when the API's refusal names it; `hint` links it to the form's `${form}-hint` text.
 */
export function TextField(props: {
  form: string;
  name: string;
  label: string;
  outcome: FormOutcome | undefined;
  value?: string;
  required?: boolean;
  numeric?: boolean;
  placeholder?: string;
  hint?: boolean;
}) {
  const id = `${props.form}-${props.name}`;
  const typed = valuesFor(props.outcome, props.form)?.[props.name];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        required={props.required ? true : undefined}
        inputmode={props.numeric ? "numeric" : undefined}
        autocomplete="off"
        placeholder={props.placeholder}
        value={typed ?? props.value ?? ""}
        aria-describedby={props.hint ? `${props.form}-hint` : undefined}
        aria-invalid={isInvalid(props.outcome, props.form, props.name) ? "true" : undefined}
      />
    </div>
  );
}
