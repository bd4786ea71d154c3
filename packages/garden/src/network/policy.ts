/**
 * The cell's default network policy, in one place so the policy work can change it.
 *
 * - Containers reach the outside world (masqueraded as the cell's address), until the cell is given
 *   egress rules (`setPolicy`): then only DNS to its resolvers and what the rules allow, with the
 *   control plane's services refused first (see egress-rules.ts).
 * - Containers do NOT reach the cell host's own services (agent, NATS, Postgres…): anything a
 *   container sends to an address of the host is rejected unless a NetOut rule of that container
 *   accepts it first.
 * - Containers on the same bridge reach each other, unless the networker isolates them
 *   (`isolateContainers`): then only what its peer rules allow passes (see peer-rules.ts). Bridged
 *   frames meet the `forward` hook only while `net.bridge.bridge-nf-call-iptables=1` (br_netfilter)
 *   in the host namespace, which an isolating networker turns on.
 */

/** Verdict for container traffic leaving the cell (after NetOut rules had their say). */
export const OUTBOUND_VERDICT: "accept" | "drop" = "accept";
