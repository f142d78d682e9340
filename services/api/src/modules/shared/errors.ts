// The error classes live in src/errors.ts (below every domain, so any module and the builder can use them).
export * from "../../errors.ts";
