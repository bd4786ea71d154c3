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

/**
 * The `grove` command line. Errors are not printed here: parsing throws, and `main` prints one
 * line and picks the exit code.
 */
export function buildProgram(version: string): Command {
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

  registerLogin(program);
  registerTarget(program);
  registerPush(program);
  const apps = noun(program, "apps", "list and show apps");
  registerAppsList(apps);
  registerAppsShow(apps);
  registerScale(program);
  registerStart(program);
  registerStop(program);
  registerRestart(program);
  registerDelete(program);
  registerEvents(program);
  registerLogs(program);
  registerExec(program);
  const policies = noun(program, "policies", "allow traffic between apps (default deny)");
  registerPoliciesAdd(policies);
  registerPoliciesList(policies);
  registerPoliciesRemove(policies);
  const egress = noun(
    program,
    "egress",
    "where containers may connect beyond the platform (default: DNS only)",
  );
  registerEgressAdd(egress);
  registerEgressList(egress);
  registerEgressRemove(egress);
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
  const tenants = noun(program, "tenants", "create and list tenants (operators)");
  registerTenantsCreate(tenants);
  registerTenantsList(tenants);
  registerQuotaSet(registerQuota(program));
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
  const tokens = noun(program, "tokens", "issue, list and revoke API tokens");
  registerTokensCreate(tokens);
  registerTokensList(tokens);
  registerTokensRevoke(tokens);
  // set last, so verbs do not inherit it: `grove` alone prints help, `grove x` is unknown
  for (const group of [apps, policies, egress, volumes, cells, joinTokens, tenants, tokens, spaces])
    group.allowExcessArguments(true);
  program.allowExcessArguments(true).action(function helpOrUnknown(this: Command) {
    const [first] = this.args;
    if (first !== undefined) throw new UsageError(`unknown command '${first}' (see grove --help)`);
    this.outputHelp();
  });
  return program;
}
