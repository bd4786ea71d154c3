/** the bundle's path when it exists and none of its sources (under `sourcesRoot`, the repository by default) changed after it was built */
export function currentBundle(bundle: string, sourcesRoot?: string): string | undefined;
/** the `.inputs.json` beside a bundle */
export function manifestOf(bundle: string): string;
/** the V8 code cache beside a CommonJS bundle */
export function codeCacheOf(bundle: string): string;
/** runs a CommonJS bundle compiled with V8's code cache beside it (written at exit when missing or refused) */
export function runWithCodeCache(bundle: string): void;
/** runs the bundle when current (a `.cjs` one with V8's code cache), else registers tsx and imports the source entry */
export function start(bundle: string, source: string): Promise<void>;
/** Node's arguments to run a process's entry point (`apps/api/src/main.ts`, say): its bundle when current */
export function nodeArgsFor(source: string): string[];
