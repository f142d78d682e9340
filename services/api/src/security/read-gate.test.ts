import { createSchema, createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { createGate, useReadGate } from "./read-gate.ts";

/** A schema whose `hosts` resolver waits until the test lets it finish, counting how many run at once. */
function fixture(concurrency: number, share = true) {
  let running = 0;
  let maxRunning = 0;
  const started: string[] = [];
  const finish: (() => void)[] = [];
  const schema = createSchema<{ principal: unknown }>({
    typeDefs: /* GraphQL */ `
      type Query { hosts(first: Int, tag: String): HostConnection! ping: String! }
      type Mutation { touch: String! }
      type HostConnection { edges: [HostEdge!]! }
      type HostEdge { node: Host! }
      type Host { name: String! }
    `,
    resolvers: {
      Query: {
        hosts: async (_: unknown, args: { tag: string }) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          started.push(args.tag);
          await new Promise<void>((resolve) => finish.push(resolve));
          running--;
          return { edges: [{ node: { name: args.tag } }] };
        },
        ping: () => "pong",
      },
      Mutation: { touch: () => "done" },
    },
  });
  const yoga = createYoga({
    schema,
    // The principal as the API's context carries it; the test names the token in a header.
    context: ({ request }): { principal: unknown } => ({
      principal: { kind: "user", tokenId: request.headers.get("x-token") ?? "t1", name: "n", role: "ADMIN" },
    }),
    plugins: [useReadGate({ concurrency, minCost: 1000, share })],
  });
  const post = async (query: string, token = "t1"): Promise<Response> =>
    await yoga.fetch("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-token": token },
      body: JSON.stringify({ query }),
    });
  const heavy = async (tag: string, token = "t1") =>
    (await (
      await post(`{ hosts(first: 500, tag: "${tag}") { edges { node { name } } } }`, token)
    ).json()) as {
      data: { hosts: { edges: { node: { name: string } }[] } };
    };
  return { post, heavy, started, finish, max: () => maxRunning };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
};

describe("heavy reads take turns", () => {
  it("runs heavy queries one at a time, first come first served, while cheap queries and mutations pass", async () => {
    const f = fixture(1);
    const answers = ["a", "b", "c"].map((tag) => f.heavy(tag));
    await until(() => f.started.length === 1);
    // While "a" runs and "b", "c" wait: a cheap query and a mutation are answered at once.
    expect(await (await f.post("{ ping }")).json()).toEqual({ data: { ping: "pong" } });
    expect(await (await f.post("mutation { touch }")).json()).toEqual({ data: { touch: "done" } });
    expect(f.started).toEqual(["a"]);
    f.finish.shift()!();
    await until(() => f.started.length === 2);
    f.finish.shift()!();
    await until(() => f.started.length === 3);
    f.finish.shift()!();
    const results = await Promise.all(answers);
    expect(results.map((r) => r.data.hosts.edges[0].node.name)).toEqual(["a", "b", "c"]);
    expect(f.started).toEqual(["a", "b", "c"]);
    expect(f.max()).toBe(1);
  });

  it("identical heavy queries of one principal waiting for a turn execute once; one identical to a running query executes again", async () => {
    const f = fixture(1);
    const a1 = f.heavy("a");
    await until(() => f.started.length === 1);
    // While "a" runs: three identical "b" wait (one execution), another token's "b" waits on its own,
    // and an "a" identical to the running one must not take its result (read before it arrived).
    const bs = [f.heavy("b"), f.heavy("b"), f.heavy("b")];
    const other = f.heavy("b", "t2");
    const a2 = f.heavy("a");
    for (let turn = 1; turn <= 3; turn++) {
      f.finish.shift()!();
      await until(() => f.started.length === turn + 1);
    }
    expect(f.started).toEqual(["a", "b", "b", "a"]);
    f.finish.shift()!();
    const names = async (r: Promise<{ data: { hosts: { edges: { node: { name: string } }[] } } }>) =>
      (await r).data.hosts.edges[0]!.node.name;
    expect(await Promise.all([a1, ...bs, other, a2].map(names))).toEqual(["a", "b", "b", "b", "b", "a"]);
    expect(f.max()).toBe(1);
  });

  it("without sharing, every waiting query executes", async () => {
    const f = fixture(1, false);
    const answers = [f.heavy("a"), f.heavy("b"), f.heavy("b")];
    for (let turn = 1; turn <= 3; turn++) {
      await until(() => f.started.length === turn);
      f.finish.shift()!();
    }
    await Promise.all(answers);
    expect(f.started).toEqual(["a", "b", "b"]);
  });

  it("concurrency 0 turns the gate off", async () => {
    const f = fixture(0);
    const answers = ["a", "b"].map((tag) => f.heavy(tag));
    await until(() => f.started.length === 2);
    for (const done of f.finish) done();
    await Promise.all(answers);
    expect(f.max()).toBe(2);
  });

  it("a slot freed twice is freed once", async () => {
    const gate = createGate(1);
    const release = await gate.acquire();
    const second = gate.acquire();
    const third = gate.acquire();
    release();
    release();
    await second;
    expect(gate.waiting()).toBe(1);
    (await second)();
    (await third)();
    expect(gate.waiting()).toBe(0);
  });
});
