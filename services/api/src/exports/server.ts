// `@ferry/api/server`: start the API in this process (the demo, test helpers and benchmarks do), with its
// configuration and logger. Outside code imports it by package name and never reaches into services/api/src (the
// dependency rule `outside-through-entry-points` checks it).
export { type Config, ConfigError, loadConfig, loadDemoConfig, redisNamespaceFor } from "../config.ts";
export { createLogger, type Logger } from "../logger.ts";
export { type ApiServer, startApiServer } from "../server.ts";
