import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The `web:` command of `DIR/Procfile`, or undefined when there is no Procfile or no web line.
 * Lines are `type: command`; blank lines and `#` comments are skipped.
 */
export async function procfileWebCommand(dir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, "Procfile"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return webCommandOf(text);
}

/** The `web:` command of a Procfile's text. */
export function webCommandOf(text: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(line);
    if (match?.[1] === "web" && match[2]) return match[2];
  }
  return undefined;
}
