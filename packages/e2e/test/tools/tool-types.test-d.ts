// Type-level test, checked by `pnpm typecheck` (tsc): tool arguments and objects are inferred.
import { jsonSchema, type LLMClient, tool } from "@rephysco/core";
import { z } from "zod";

declare const client: LLMClient;

const weather = tool({
  parameters: z.object({ city: z.string(), days: z.number().optional() }),
  execute: (args) => {
    const c: string = args.city;
    const d: number | undefined = args.days;
    // @ts-expect-error the schema has no `country`
    void args.country;
    return { c, d };
  },
});
const time = tool({
  parameters: jsonSchema<{ zone: string }>({ type: "object" }),
  execute: ({ zone }) => zone.toUpperCase(),
});

export async function calls() {
  const r = await client.generate("x", {
    tools: { weather, time },
    toolChoice: { name: "weather" },
    onToolCall: (call) => {
      if (call.name === "time") {
        const z: string = call.arguments.zone;
        return { arguments: { zone: z } };
      }
      return undefined;
    },
  });
  for (const call of r.toolCalls ?? []) {
    if (call.name === "weather") {
      const city: string = call.arguments.city;
      void city;
    } else {
      const zone: string = call.arguments.zone;
      void zone;
      // @ts-expect-error `time` calls have no city
      void call.arguments.city;
    }
  }
  // @ts-expect-error toolChoice names a tool that is not there
  await client.generate("x", { tools: { weather }, toolChoice: { name: "nope" } });
}

export async function objects() {
  const { object } = await client.generateObject("x", {
    schema: z.object({ name: z.string(), tags: z.array(z.string()) }),
  });
  const tags: string[] = object.tags;
  // @ts-expect-error not in the schema
  void object.population;
  for await (const item of client.streamObject("x", { schema: z.object({ n: z.number() }) })) {
    if (item.done) {
      const n: number = item.object.n;
      void n;
    } else {
      const n: number | undefined = item.partial.n;
      void n;
    }
  }
  return tags;
}
