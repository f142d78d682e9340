// `@ferry/agent/simulator`: the simulated Hyper-V world and fleet, for the demo, tests and benchmarks.
// This is the test/bench surface of the agent's simulator: outside code imports it by package name and never
// reaches into services/agent/src (the dependency rule `outside-through-entry-points` checks it). Add here only
// what tests, benchmarks or the demo need.
export { appendEvent } from "../backends/simulator/events.ts";
export { type Clock, type FaultCode, generateFleet, SimWorld } from "../backends/simulator/index.ts";
export { type HostDefinition, type WorldDefinition, worldToJson } from "../backends/world.ts";
export { type FleetOptions, startFleet } from "../fleet.ts";
