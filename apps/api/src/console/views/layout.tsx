import type { Child } from "hono/jsx";
import { CONSOLE_CSS } from "../style";
import { FormContext } from "./parts";
import { consoleHref, type Viewer } from "./viewer";

const ROLE_NAMES = { operator: "operator", tenant_admin: "tenant admin", developer: "developer" } as const;

interface NavItem {
  id: string;
  href: string;
  label: string;
}

function navFor(viewer: Viewer): NavItem[] {
  const items: NavItem[] = [];
  if (viewer.role === "operator") items.push({ id: "tenants", href: "/console", label: "Tenants" });
  if (viewer.tenant) {
    items.push({ id: "overview", href: consoleHref(viewer, "/console"), label: "Overview" });
    items.push({ id: "apps", href: consoleHref(viewer, "/console/apps"), label: "Apps" });
    items.push({ id: "volumes", href: consoleHref(viewer, "/console/volumes"), label: "Volumes" });
    items.push({ id: "network", href: consoleHref(viewer, "/console/network"), label: "Network" });
    if (viewer.role !== "developer") {
      items.push({ id: "tokens", href: consoleHref(viewer, "/console/tokens"), label: "Tokens" });
    }
  }
  if (viewer.role === "operator") items.push({ id: "cells", href: "/console/cells", label: "Cells" });
  return items;
}

function whoIs(viewer: Viewer): string {
  const role = ROLE_NAMES[viewer.role];
  if (viewer.role === "operator") return viewer.tenant ? `${role}, in tenant ${viewer.tenant}` : role;
  return `${role} of ${viewer.tenant}`;
}

/**
 * Every console page: head (own style only), skip link, header with navigation and sign-out, and
 * the page's main content with a one-shot status message above it.
 */
export function Layout(props: {
  title: string;
  viewer?: Viewer;
  /** the page's id, marked in the navigation */
  current?: string;
  flash?: string;
  children: Child;
}) {
  const { viewer } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Grove console`}</title>
        <style dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <strong>Grove console</strong>
          {viewer ? (
            <>
              <span class="who">Signed in as {whoIs(viewer)}</span>
              <nav aria-label="Console">
                <ul>
                  {navFor(viewer).map((item) => (
                    <li>
                      <a href={item.href} aria-current={item.id === props.current ? "page" : undefined}>
                        {item.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
              <form method="post" action="/console/sign-out">
                <FormContext viewer={viewer} />
                <button type="submit">Sign out</button>
              </form>
            </>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          {props.flash ? (
            <p class="done" role="status">
              {props.flash}
            </p>
          ) : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}
