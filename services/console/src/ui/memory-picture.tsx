// The evacuation what-if as a picture: every host's memory in use before and after the planned moves, as
// two bars per host (SVG). The same numbers are in the text beside each bar and in the plan's table.
import { bytes, percent } from "../format.ts";
import type { Plan } from "../pages/Maintenance.tsx";

interface HostMemory {
  id: string;
  name: string;
  memoryCapacityBytes: string;
  memoryAvailableBytes: string;
}

export interface MemoryRow {
  name: string;
  capacity: number;
  before: number;
  after: number;
}

/** Memory in use per host before and after the plan's moves (the source loses them, destinations gain). */
export function memoryRows(plan: Plan, source: string, hosts: HostMemory[]): MemoryRow[] {
  return hosts.map((h) => {
    const capacity = Number(h.memoryCapacityBytes);
    const before = capacity - Number(h.memoryAvailableBytes);
    let delta = 0;
    for (const s of plan.steps) {
      const size = Number(s.vm.memoryAssignedBytes);
      if (h.id === source) delta -= size;
      if (s.destination.id === h.id) delta += size;
    }
    return { name: h.name, capacity, before, after: before + delta };
  });
}

const ROW = 46;
const LABEL = 90;
const WIDTH = 640;
const BAR = WIDTH - LABEL - 10;

export function MemoryPicture(props: { plan: Plan; source: string; hosts: HostMemory[] }) {
  const rows = memoryRows(props.plan, props.source, props.hosts);
  const height = rows.length * ROW + 8;
  return (
    <figure className="picture">
      <figcaption id="picture-title">
        Memory in use per host: <span className="key key-before">before</span> and{" "}
        <span className="key key-after">after</span> the moves
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="picture-title picture-desc">
        <title>Memory in use per host, before and after the moves</title>
        <desc id="picture-desc">
          {rows
            .map(
              (r) => `${r.name}: ${bytes(r.before)} before, ${bytes(r.after)} after, of ${bytes(r.capacity)}`,
            )
            .join("; ")}
        </desc>
        {rows.map((r, i) => {
          const y = i * ROW + 4;
          const before = (percent(r.before, r.capacity) / 100) * BAR;
          const after = (percent(r.after, r.capacity) / 100) * BAR;
          return (
            <g key={r.name} data-memory-host={r.name} data-before={r.before} data-after={r.after}>
              <text x={0} y={y + 24} className="picture-label">
                {r.name}
              </text>
              <rect x={LABEL} y={y} width={BAR} height={18} className="picture-track" />
              <rect x={LABEL} y={y} width={before} height={18} className="picture-before" />
              <text x={LABEL + 4} y={y + 13} className="picture-text">
                {bytes(r.before)} of {bytes(r.capacity)}
              </text>
              <rect x={LABEL} y={y + 20} width={BAR} height={18} className="picture-track" />
              <rect x={LABEL} y={y + 20} width={after} height={18} className="picture-after" />
              <text x={LABEL + 4} y={y + 33} className="picture-text">
                {bytes(r.after)} after
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
