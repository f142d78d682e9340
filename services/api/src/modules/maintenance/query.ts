// What other domains ask about maintenance: which hosts are in maintenance now (implemented below the
// domains, shared/maintenance.ts, so placement can read it without a folder cycle).
export { hostsInMaintenance, isInMaintenance } from "../shared/maintenance.ts";
