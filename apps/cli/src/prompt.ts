// node:readline is imported when a command asks: loading it is a cost every other command would pay
const readline = () => import("node:readline/promises");

/**
 * Reads one line: from a terminal with a prompt on stderr, else the first line of stdin (so a
 * token can be piped in). Undefined when stdin is empty.
 */
export async function readSecret(prompt: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const line = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0]?.trim();
    return line || undefined;
  }
  const { createInterface } = await readline();
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(prompt)).trim() || undefined;
  } finally {
    rl.close();
  }
}

/** Asks a yes/no question on a terminal; false unless the answer starts with y. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await readline();
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return /^y/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
