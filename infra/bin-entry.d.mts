/** the bundle's path when it exists and none of its sources (under `sourcesRoot`, the repository by default) changed after it was built */
export function currentBundle(bundle: string, sourcesRoot?: string): string | undefined;
/** imports the bundle when current, else registers tsx and imports the source entry */
export function start(bundle: string, source: string): Promise<void>;
/** Node's arguments to run a process's entry point (`apps/api/src/main.ts`, say): its bundle when current */
export function nodeArgsFor(source: string): string[];
