/** The sign-in form: a token (a password field, never in the URL) and the sign-in CSRF value. */
export function SignIn({ csrf, problem }: { csrf: string; problem?: string }) {
  return (
    <section aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>Sign in with a Grove API token of a tenant admin, an operator or a developer.</p>
      {problem ? (
        <div class="problem" role="alert" id="sign-in-problem">
          {problem}
        </div>
      ) : null}
      <form method="post" action="/console/sign-in" class="fields">
        <input type="hidden" name="csrf" value={csrf} />
        <div class="field actions">
          <label for="token">API token</label>
          <input
            id="token"
            name="token"
            type="password"
            required
            autocomplete="current-password"
            autofocus
            aria-describedby={problem ? "sign-in-problem" : undefined}
          />
        </div>
        <div class="actions">
          <button type="submit">Sign in</button>
        </div>
      </form>
    </section>
  );
}
