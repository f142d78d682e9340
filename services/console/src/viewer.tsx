// Who is signed in, and what their role lets them do: the console shows an action only to roles the
// API would allow it for (the API still checks every mutation).
import { createContext, useContext } from "react";

export type Role = "ADMIN" | "OPERATOR" | "VIEWER" | "AGENT";

export interface Viewer {
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { AGENT: 0, VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

export const ViewerContext = createContext<Viewer>({ name: "", role: "VIEWER" });
export const useViewer = () => useContext(ViewerContext);

/** True when the signed-in role is at least `role`. */
export function useCan(role: Role): boolean {
  return RANK[useViewer().role] >= RANK[role];
}
