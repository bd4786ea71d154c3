import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiEnv } from "../http/env";
import { type ApiProblem, ApiRefused, type ConsoleApi } from "./api-caller";
import type { NewToken } from "./api-types";
import { loadApps, loadCells, loadNetwork, loadOverview, loadTokens, loadVolumes } from "./load";
import { endSession, issueSignInCsrf, takeFlash } from "./session";
import { Apps } from "./views/apps";
import { Cells } from "./views/cells";
import { Layout } from "./views/layout";
import { Network } from "./views/network";
import { Overview } from "./views/overview";
import { SignIn } from "./views/sign-in";
import { Tokens } from "./views/tokens";
import type { FormOutcome, Viewer } from "./views/viewer";
import { Volumes } from "./views/volumes";

/** A signed-in request: who is looking, and the public API acting as them. */
export interface Session {
  token: string;
  viewer: Viewer;
  api: ConsoleApi;
}

/** What a page shows besides its data: a refused form's outcome, or a token just made. */
export interface PageExtra {
  outcome?: FormOutcome;
  created?: NewToken;
}

export type PageId = "overview" | "apps" | "volumes" | "network" | "tokens" | "cells";

function PickTenant() {
  return (
    <p>
      Pick a tenant on the <a href="/console">tenants page</a> first.
    </p>
  );
}

function ProblemPage({ problem }: { problem: ApiProblem }) {
  return (
    <div class="problem" role="alert">
      <strong>{problem.title}:</strong> {problem.detail}
    </div>
  );
}

/** Each page: its path, title, and body from the API's data. */
export const PAGES: Record<
  PageId,
  { path: string; title(viewer: Viewer): string; body(s: Session, extra: PageExtra): Promise<Child> }
> = {
  overview: {
    path: "/console",
    title: (viewer) => (viewer.tenant ? `Tenant ${viewer.tenant}` : "Tenants"),
    async body(s, { outcome }) {
      const data = await loadOverview(s.api, s.viewer);
      return <Overview viewer={s.viewer} data={data} outcome={outcome} />;
    },
  },
  apps: {
    path: "/console/apps",
    title: () => "Apps",
    async body(s, { outcome }) {
      if (!s.viewer.tenant) return <PickTenant />;
      return <Apps viewer={s.viewer} data={await loadApps(s.api)} outcome={outcome} />;
    },
  },
  volumes: {
    path: "/console/volumes",
    title: () => "Volumes",
    async body(s, { outcome }) {
      if (!s.viewer.tenant) return <PickTenant />;
      return <Volumes viewer={s.viewer} data={await loadVolumes(s.api, s.viewer)} outcome={outcome} />;
    },
  },
  network: {
    path: "/console/network",
    title: () => "Network policies",
    async body(s, { outcome }) {
      if (!s.viewer.tenant) return <PickTenant />;
      return <Network viewer={s.viewer} data={await loadNetwork(s.api, s.viewer)} outcome={outcome} />;
    },
  },
  tokens: {
    path: "/console/tokens",
    title: () => "Tokens",
    async body(s, { outcome, created }) {
      if (!s.viewer.tenant) return <PickTenant />;
      const tokens = await loadTokens(s.api, s.viewer);
      return <Tokens viewer={s.viewer} tokens={tokens} created={created} outcome={outcome} />;
    },
  },
  cells: {
    path: "/console/cells",
    title: () => "Cells",
    async body(s) {
      return <Cells cells={await loadCells(s.api)} />;
    },
  },
};

/** A whole page as HTML5; `page` is a rendered `Layout` (JSX of synchronous components only). */
async function htmlPage(
  c: Context<ApiEnv>,
  page: string | Promise<string>,
  status: number,
): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status as ContentfulStatusCode);
}

/** The sign-in page, with a fresh sign-in CSRF value and, after a failure, why. */
export function signInPage(c: Context<ApiEnv>, problem?: string, status = 200): Promise<Response> {
  return htmlPage(
    c,
    <Layout title="Sign in">
      <SignIn csrf={issueSignInCsrf(c)} problem={problem} />
    </Layout>,
    status,
  );
}

/** The sign-in page after the API stopped taking the session's token (revoked, expired). */
export function signedOut(c: Context<ApiEnv>): Promise<Response> {
  endSession(c);
  return signInPage(c, "Your token no longer works; sign in again.", 401);
}

/**
 * Page `id` for a session, under `status`; when the API refuses one of the page's reads, the
 * page shows what it said under its status instead (and a 401 signs the session out).
 */
export async function renderPage(
  c: Context<ApiEnv>,
  s: Session,
  id: PageId,
  extra: PageExtra,
  status: number,
): Promise<Response> {
  let content: Child;
  try {
    content = await PAGES[id].body(s, extra);
  } catch (error) {
    if (!(error instanceof ApiRefused)) throw error;
    if (error.problem.status === 401) return signedOut(c);
    content = <ProblemPage problem={error.problem} />;
    status = error.problem.status;
  }
  let main = content == null ? "" : String(await content.toString());
  const { outcome } = extra;
  // a refusal of a form this viewer is not shown (a crafted post) is shown above the page
  if (outcome && !main.includes(`id="${outcome.form}-problem"`)) {
    main = String(await (<ProblemPage problem={outcome.problem} />).toString()) + main;
  }
  const current = id === "overview" && !s.viewer.tenant ? "tenants" : id;
  return htmlPage(
    c,
    <Layout title={PAGES[id].title(s.viewer)} viewer={s.viewer} current={current} flash={takeFlash(c)}>
      {raw(main)}
    </Layout>,
    status,
  );
}
