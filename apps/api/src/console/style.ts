import { createHash } from "node:crypto";

/** The console's whole stylesheet: system fonts, readable at 375 px, visible focus, no assets. */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1b1b1b;background:#f6f6f4}
a{color:#1a4f9c}
:focus-visible{outline:3px solid #1a4f9c;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:1}
header{background:#20303f;color:#fff;padding:8px 16px;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
header a{color:#fff}
header .who{font-size:.9em;opacity:.9}
nav ul{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:bold}
header form{margin-left:auto}
main{max-width:960px;margin:0 auto;padding:16px}
section{background:#fff;border:1px solid #d8d8d4;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h1{font-size:1.5em;margin:0 0 12px}h2{font-size:1.2em;margin:0 0 8px}h3{font-size:1.05em;margin:12px 0 8px}
.bars{list-style:none;margin:0;padding:0;display:grid;gap:8px}
.bars label{display:block;font-weight:600}
.bars meter{width:100%;height:14px;display:block}
.bars .over{color:#a00}
.value{font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;border:0;padding:0;margin:0;background:none}
table{border-collapse:collapse;width:100%;font-size:.95em}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e4e0;vertical-align:top}
form.fields{display:grid;gap:8px;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));align-items:end}
form.fields .actions{grid-column:1/-1}
.field label{display:block;font-size:.9em;font-weight:600}
input,select{font:inherit;width:100%;padding:6px 8px;border:1px solid #8a8a86;border-radius:4px;background:#fff}
button{font:inherit;padding:6px 14px;border:1px solid #1a4f9c;border-radius:4px;background:#1a4f9c;color:#fff;cursor:pointer}
button.quiet{background:#fff;color:#1a4f9c}
header button{background:transparent;border-color:#fff}
.hint{font-size:.85em;color:#555;margin:4px 0}
.problem{border:2px solid #a00;background:#fff3f3;padding:8px 12px;border-radius:4px;margin:8px 0;grid-column:1/-1}
.problem ul{margin:4px 0 0;padding-left:20px}
input[aria-invalid=true]{border:2px solid #a00}
.done{border:2px solid #1d6b2f;background:#f0faf2;padding:8px 12px;border-radius:4px;margin:0 0 16px}
.secret{font-family:ui-monospace,monospace;word-break:break-all;background:#fffbe6;padding:8px;border:1px dashed #b08800}
.inline{display:inline}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
input[type=checkbox]{width:auto}
`;

/** The Content-Security-Policy of console pages: nothing loads from anywhere; only our own style runs. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(CONSOLE_CSS).digest("base64")}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");
