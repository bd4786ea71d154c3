import { Command } from "commander";
import { registerAppsList } from "./commands/apps-list";
import { registerAppsShow } from "./commands/apps-show";
import { registerCellsDrain } from "./commands/cells-drain";
import { registerCellsList } from "./commands/cells-list";
import { registerCellsRemove } from "./commands/cells-remove";
import { registerCellsShow } from "./commands/cells-show";
import { registerCellsToken } from "./commands/cells-token";
import { registerCellsTokensList } from "./commands/cells-tokens-list";
import { registerCellsTokensRevoke } from "./commands/cells-tokens-revoke";
import { registerCellsUndrain } from "./commands/cells-undrain";
import { registerDelete } from "./commands/delete";
import { registerEgressAdd } from "./commands/egress-add";
import { registerEgressList } from "./commands/egress-list";
import { registerEgressRemove } from "./commands/egress-remove";
import { registerEvents } from "./commands/events";
import { registerExec } from "./commands/exec";
import { registerLogin } from "./commands/login";
import { registerLogs } from "./commands/logs";
import { registerPoliciesAdd } from "./commands/policies-add";
import { registerPoliciesList } from "./commands/policies-list";
import { registerPoliciesRemove } from "./commands/policies-remove";
import { registerPush } from "./commands/push";
import { registerQuota } from "./commands/quota";
import { registerQuotaSet } from "./commands/quota-set";
import { registerRestart } from "./commands/restart";
import { registerScale } from "./commands/scale";
import { registerSpacesCreate } from "./commands/spaces-create";
import { registerSpacesList } from "./commands/spaces-list";
import { registerSpacesRoles } from "./commands/spaces-roles";
import { registerSpacesSetRole } from "./commands/spaces-set-role";
import { registerSpacesUnsetRole } from "./commands/spaces-unset-role";
import { registerStart } from "./commands/start";
import { registerStop } from "./commands/stop";
import { registerTarget } from "./commands/target";
import { registerTenantsCreate } from "./commands/tenants-create";
import { registerTenantsList } from "./commands/tenants-list";
import { registerTokensCreate } from "./commands/tokens-create";
import { registerTokensList } from "./commands/tokens-list";
import { registerTokensRevoke } from "./commands/tokens-revoke";
import { registerVolumesCreate } from "./commands/volumes-create";
import { registerVolumesDelete } from "./commands/volumes-delete";
import { registerVolumesList } from "./commands/volumes-list";
import { registerVolumesRestore } from "./commands/volumes-restore";
import { registerVolumesShow } from "./commands/volumes-show";
import { registerVolumesSnapshot } from "./commands/volumes-snapshot";
import { registerVolumesSnapshots } from "./commands/volumes-snapshots";
import { noun } from "./context";
import { UsageError } from "./errors";

/** a top-level command without nouns */
const alone =
  (register: (program: Command) => unknown) =>
  (program: Command): Command[] => {
    register(program);
    return [];
  };

/** Each top-level command by name: registers it (with its verbs) and returns its nouns. */
const COMMANDS: [string, (program: Command) => Command[]][] = [
  ["login", alone(registerLogin)],
  ["target", alone(registerTarget)],
  ["push", alone(registerPush)],
  [
    "apps",
    (program) => {
      const apps = noun(program, "apps", "list and show apps");
      registerAppsList(apps);
      registerAppsShow(apps);
      return [apps];
    },
  ],
  ["scale", alone(registerScale)],
  ["start", alone(registerStart)],
  ["stop", alone(registerStop)],
  ["restart", alone(registerRestart)],
  ["delete", alone(registerDelete)],
  ["events", alone(registerEvents)],
  ["logs", alone(registerLogs)],
  ["exec", alone(registerExec)],
  [
    "policies",
    (program) => {
      const policies = noun(program, "policies", "allow traffic between apps (default deny)");
      registerPoliciesAdd(policies);
      registerPoliciesList(policies);
      registerPoliciesRemove(policies);
      return [policies];
    },
  ],
  [
    "egress",
    (program) => {
      const egress = noun(
        program,
        "egress",
        "where containers may connect beyond the platform (default: DNS only)",
      );
      registerEgressAdd(egress);
      registerEgressList(egress);
      registerEgressRemove(egress);
      return [egress];
    },
  ],
  [
    "volumes",
    (program) => {
      const volumes = noun(
        program,
        "volumes",
        "create, list, show and delete the tenant's volumes; snapshot and restore them",
      );
      registerVolumesCreate(volumes);
      registerVolumesList(volumes);
      registerVolumesShow(volumes);
      registerVolumesDelete(volumes);
      registerVolumesSnapshot(volumes);
      registerVolumesSnapshots(volumes);
      registerVolumesRestore(volumes);
      return [volumes];
    },
  ],
  [
    "cells",
    (program) => {
      const cells = noun(
        program,
        "cells",
        "see, drain and undrain cells; make, list and revoke join tokens (operators)",
      );
      registerCellsList(cells);
      registerCellsShow(cells);
      registerCellsDrain(cells);
      registerCellsRemove(cells);
      registerCellsUndrain(cells);
      registerCellsToken(cells);
      const joinTokens = noun(cells, "tokens", "list and revoke join tokens (operators)");
      registerCellsTokensList(joinTokens);
      registerCellsTokensRevoke(joinTokens);
      return [cells, joinTokens];
    },
  ],
  [
    "tenants",
    (program) => {
      const tenants = noun(program, "tenants", "create and list tenants (operators)");
      registerTenantsCreate(tenants);
      registerTenantsList(tenants);
      return [tenants];
    },
  ],
  ["quota", alone((program) => registerQuotaSet(registerQuota(program)))],
  [
    "spaces",
    (program) => {
      const spaces = noun(
        program,
        "spaces",
        "list and create spaces, and give developer tokens roles in them (tenant admins change)",
      );
      registerSpacesList(spaces);
      registerSpacesCreate(spaces);
      registerSpacesRoles(spaces);
      registerSpacesSetRole(spaces);
      registerSpacesUnsetRole(spaces);
      return [spaces];
    },
  ],
  [
    "tokens",
    (program) => {
      const tokens = noun(program, "tokens", "issue, list and revoke API tokens");
      registerTokensCreate(tokens);
      registerTokensList(tokens);
      registerTokensRevoke(tokens);
      return [tokens];
    },
  ],
];

/** the global options that take a value */
const VALUED = new Set(["--api", "--token", "--tenant"]);

/**
 * The top-level command `argv` (as `process.argv`) runs, when it names one of `COMMANDS` and asks
 * for no help before it; undefined otherwise (no command, help, a typo: they need every command).
 */
export function commandNamed(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (VALUED.has(arg)) i++;
    else if (arg === "--" || arg === "-h" || arg === "--help") return undefined;
    else if (!arg.startsWith("-")) return COMMANDS.some(([name]) => name === arg) ? arg : undefined;
  }
  return undefined;
}

/**
 * The `grove` command line. Errors are not printed here: parsing throws, and `main` prints one
 * line and picks the exit code. Given the `argv` it will parse, only the command that names is
 * built (building all ~50, with their options, is most of what a command costs after Node's start).
 */
export function buildProgram(version: string, argv: string[] = []): Command {
  const program = new Command("grove")
    .description("Grove: push apps to a cluster of cells and run them")
    .version(version, "-V, --version")
    .option("--api <url>", "API URL (env GROVE_API; default http://127.0.0.1:7070)")
    .option("--token <token>", "API token (env GROVE_TOKEN)")
    .option("--tenant <tenant>", "tenant to act in, for operator tokens (env GROVE_TENANT)")
    .option("--json", "print JSON (NDJSON for streams) on stdout")
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true);

  const named = commandNamed(argv);
  const groups: Command[] = [];
  for (const [name, register] of COMMANDS) {
    if (named === undefined || named === name) groups.push(...register(program));
  }
  // set last, so verbs do not inherit it: `grove` alone prints help, `grove x` is unknown
  for (const group of groups) group.allowExcessArguments(true);
  program.allowExcessArguments(true).action(function helpOrUnknown(this: Command) {
    const [first] = this.args;
    if (first !== undefined) throw new UsageError(`unknown command '${first}' (see grove --help)`);
    this.outputHelp();
  });
  return program;
}
