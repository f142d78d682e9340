// Import rules, checked by `npm run deps` (part of `npm test` and CI). Each rule says why.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A module cycle makes load order matter and hides which layer owns what.",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-folder-cycles",
      severity: "error",
      comment: "Folders (domains, layers) depend on each other in one direction only.",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "builder-free-of-domain",
      severity: "error",
      comment:
        "builder.ts is the schema's foundation (context, scalars, plugins); domains build on it, not the reverse. modules/shared (ids, dates, errors) is not a domain.",
      from: { path: "^services/api/src/builder\\.ts$" },
      to: { path: "^services/api/src/modules/", pathNot: "^services/api/src/modules/shared/" },
    },
    {
      name: "services-only-through-packages",
      severity: "error",
      comment: "The API and the agent share code only through @ferry/protocol and @ferry/hyperv.",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/([^/]+)/", pathNot: "^services/$1/" },
    },
    {
      name: "demo-is-a-leaf",
      severity: "error",
      comment:
        "demo/ composes the API and a simulated fleet of agents for `npm start`; no service or package depends on it.",
      from: { path: "^(services|packages)/" },
      to: { path: "^demo/" },
    },
    {
      name: "outside-through-entry-points",
      severity: "error",
      comment:
        "Tests, benchmarks and the demo use a service through its package entry points (@ferry/api/server, @ferry/api/testing, @ferry/agent/simulator, @ferry/agent/testing: the exports of its package.json), never a relative path into services/*/src: what they need from a service is then listed in one place, and the service can move its files.",
      from: { path: "^(test|bench|demo)/" },
      to: { path: "^services/", dependencyTypesNot: ["aliased-workspace"] },
    },
    {
      name: "packages-below-services",
      severity: "error",
      comment: "Workspace packages are libraries; they never reach into a service.",
      from: { path: "^packages/" },
      to: { path: "^services/" },
    },
    {
      name: "domains-not-into-transport",
      severity: "error",
      comment:
        "Domain modules do not import the HTTP/WebSocket layer (security/, server wiring); they reach it through App.",
      from: { path: "^services/api/src/modules/" },
      to: { path: "^services/api/src/(security/|server\\.ts|http\\.ts|ws\\.ts|app\\.ts|main\\.ts)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // services/console is a browser app in TSX, which the swc parser below does not read; it imports no other
    // workspace (it talks to the API over GraphQL only) and `vite build` resolves its imports.
    exclude: { path: "(^|/)(node_modules|generated)/|^services/console/" },
    // `npm run deps` cruises twice: services, packages and demo with this includeOnly (a service's unit tests use
    // test/helpers, which use the service: that folder cycle is a test's, not the code's), then test and bench with
    // test and bench included (--include-only), which `outside-through-entry-points` is about.
    includeOnly: "^(services|packages|demo)/",
    // Type-only imports count: a cycle of types is still a cycle of knowledge.
    tsPreCompilationDeps: true,
    // TypeScript 7 (the native compiler) has no JavaScript API for dependency-cruiser; swc parses instead.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      extensions: [".ts", ".js", ".json"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
