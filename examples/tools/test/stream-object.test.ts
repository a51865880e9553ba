import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { InvalidOutputError, LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { renderForecast, streamForecast } from "../src/forecast.mjs";
import { forecastReply, OSLO_FORECAST } from "../src/scripted-model.mjs";

let server: MockServer;
let client: LLMClient;

beforeAll(async () => {
  server = await createMockServer();
  client = new LLMClient({
    provider: "openai",
    apiKey: "test-key",
    baseURL: `${server.url}/v1`,
    retry: false,
  });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

interface WireBody {
  stream?: boolean;
  response_format?: {
    type: string;
    json_schema?: { name: string; strict?: boolean; schema: Record<string, unknown> };
  };
}

describe("streamObject: the forecast", () => {
  it("yields growing partial objects, then the validated one", async () => {
    server.enqueue(forecastReply(OSLO_FORECAST, { pieceLength: 10 }));
    const items = [];
    // Partial objects are updated in place: keep copies to look at them afterwards.
    for await (const item of streamForecast(client, "Oslo")) items.push(structuredClone(item));

    const last = items.at(-1)!;
    expect(last.done).toBe(true);
    if (!last.done) throw new Error("unreachable");
    expect(last.object).toEqual(OSLO_FORECAST);
    expect(last.finishReason).toBe("stop");
    expect(last.text).toBe(JSON.stringify(OSLO_FORECAST));

    const partials = items.slice(0, -1);
    expect(partials.every((i) => !i.done)).toBe(true);
    expect(partials.length).toBeGreaterThan(10);
    // The object grows: days appear one by one before the advice.
    const dayCounts = partials.map((i) => (i.done ? 0 : (i.partial.days?.length ?? 0)));
    expect(dayCounts).toEqual([...dayCounts].sort((a, b) => a - b));
    expect(new Set(dayCounts)).toEqual(new Set([0, 1, 2, 3]));
    expect(partials.some((i) => !i.done && i.partial.city === "Oslo" && !i.partial.advice)).toBe(
      true,
    );
    // The deltas add up to the answer.
    expect(partials.map((i) => (i.done ? "" : i.textDelta)).join("")).toBe(last.text);

    const body = server.requests[0]!.body as WireBody;
    expect(body.stream).toBe(true);
    expect(body.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "forecast", strict: true },
    });
    expect(body.response_format!.json_schema!.schema).toMatchObject({
      type: "object",
      required: ["city", "days", "advice"],
      additionalProperties: false,
    });
  });

  it("an answer that fails the schema is an InvalidOutputError with the raw text and where it failed", async () => {
    const bad = { ...OSLO_FORECAST, days: [{ day: "Monday", sky: "hail", highC: 1, lowC: 0 }] };
    server.enqueue(forecastReply(bad as never));
    const error = await (async () => {
      for await (const _ of streamForecast(client, "Oslo"));
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOutputError);
    const invalid = error as InvalidOutputError;
    expect(invalid.reason).toBe("invalid_object");
    expect(invalid.text).toBe(JSON.stringify(bad));
    expect(invalid.issues?.map((i) => i.path)).toEqual([["days", 0, "sky"]]);
  });

  it("renders an object that is still incomplete", () => {
    expect(renderForecast({})).toBe("…: ");
    expect(renderForecast({ city: "Os" })).toBe("Os: ");
    expect(renderForecast({ city: "Oslo", days: [{ day: "Mo" }] })).toBe("Oslo: Mo …");
    expect(
      renderForecast({
        city: "Oslo",
        days: [
          { day: "Monday", sky: "snow", highC: -1, lowC: -6 },
          { day: "Tue", highC: 1 },
        ],
      }),
    ).toBe("Oslo: Mon ❄ -1°/-6° · Tue … 1°");
    expect(renderForecast(OSLO_FORECAST)).toBe(
      "Oslo: Mon ❄ -1°/-6° · Tue ☁ 1°/-4° · Wed ☀ 3°/-3° — Wear a warm coat and boots with a good grip.",
    );
  });

  it("runs as a script with no key and no network", async () => {
    const script = fileURLToPath(new URL("../stream-object.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script, "Bergen"], {
      env: { PATH: process.env.PATH ?? "" },
    });
    // Piped: no redrawn line, no escape sequences; the result, the object, the summary.
    expect(stdout).not.toContain("\u001b");
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe(
      "Bergen: Mon ❄ -1°/-6° · Tue ☁ 1°/-4° · Wed ☀ 3°/-3° — Wear a warm coat and boots with a good grip.",
    );
    const json = lines.slice(1, -1).join("\n");
    expect(JSON.parse(json)).toEqual({ ...OSLO_FORECAST, city: "Bergen" });
    expect(lines.at(-1)).toMatch(
      /^\(\d+ partial objects, then the validated one; finish: stop, \d+ tokens\)$/,
    );
  });
});
