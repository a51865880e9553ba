// @ts-check
import { z } from "zod";

/**
 * The answer's shape. `strictObject` closes every object (`additionalProperties: false`), which
 * lets OpenAI's strict structured-output mode guarantee the shape on its side too; Rephysco
 * validates the answer either way.
 */
export const forecastSchema = z.strictObject({
  city: z.string(),
  days: z.array(
    z.strictObject({
      day: z.string().describe("Weekday, e.g. Monday"),
      sky: z.enum(["sunny", "cloudy", "rain", "snow"]),
      highC: z.number(),
      lowC: z.number(),
    }),
  ),
  advice: z.string().describe("One sentence: what to wear or bring"),
});

/** @typedef {z.infer<typeof forecastSchema>} Forecast */

/**
 * Streams a three-day forecast for `city` as a validated object. Each item carries the object
 * parsed so far (`partial`); the last one (`done: true`) the whole object, checked by zod.
 *
 * @param {import("@rephysco/core").LLMClient} client
 * @param {string} city
 * @param {{ signal?: AbortSignal }} [options]
 */
export function streamForecast(client, city, options = {}) {
  return client.streamObject(`A three-day weather forecast for ${city}.`, {
    schema: forecastSchema,
    schemaName: "forecast",
    ...(options.signal && { signal: options.signal }),
  });
}

const SKY = { sunny: "☀", cloudy: "☁", rain: "☂", snow: "❄" };

/**
 * One line for an object that may still be incomplete: strings can be cut mid-word, and any
 * field can be missing yet.
 *
 * @param {import("@rephysco/core").DeepPartial<Forecast>} partial
 */
export function renderForecast(partial) {
  const days = (partial.days ?? []).map((d) => {
    const sky = d?.sky && d.sky in SKY ? SKY[/** @type {keyof typeof SKY} */ (d.sky)] : "…";
    const temps =
      d?.highC === undefined ? "" : ` ${d.highC}°${d.lowC === undefined ? "" : `/${d.lowC}°`}`;
    return `${d?.day?.slice(0, 3) ?? "…"} ${sky}${temps}`;
  });
  return `${partial.city ?? "…"}: ${days.join(" · ")}${partial.advice ? ` — ${partial.advice}` : ""}`;
}
