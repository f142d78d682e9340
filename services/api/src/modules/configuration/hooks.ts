// Keeps drift current: recomputed after every inventory report of a host.
import { onInventoryIngested } from "../agents/inventory.ts";
import { recomputeDrift } from "./drift.ts";

onInventoryIngested((app, hostId) => recomputeDrift(app, { id: hostId, profileId: { not: null } }));
