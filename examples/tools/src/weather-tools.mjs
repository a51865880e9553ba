// @ts-check
// The weather agent's two tools. Their data is made up so that the example runs offline: put a
// real weather API behind `get_weather` and nothing else changes.
import { jsonSchema, tool } from "@rephysco/core";
import { z } from "zod";

/** @typedef {{ tempC: number; sky: string; timeZone: string }} City */

/** The cities the made-up weather service knows. */
export const CITIES = /** @type {const} @satisfies {Record<string, City>} */ ({
  Paris: { tempC: 18, sky: "sunny", timeZone: "Europe/Paris" },
  Tokyo: { tempC: 24, sky: "light rain", timeZone: "Asia/Tokyo" },
  "New York": { tempC: 9, sky: "cloudy", timeZone: "America/New_York" },
  Oslo: { tempC: -2, sky: "snow", timeZone: "Europe/Oslo" },
});

/** @param {string} name */
function findCity(name) {
  const key = Object.keys(CITIES).find((c) => c.toLowerCase() === name.trim().toLowerCase());
  if (!key) {
    // A tool that throws is not the end of the loop: the model is told, and can try again.
    throw new Error(`Unknown city "${name}". Known cities: ${Object.keys(CITIES).join(", ")}.`);
  }
  return { name: key, ...CITIES[/** @type {keyof typeof CITIES} */ (key)] };
}

/**
 * `get_time`'s arguments as a plain JSON Schema, typed with `jsonSchema` (no schema library
 * needed). In TypeScript: `jsonSchema<{ city: string }>({...})`.
 */
const cityArguments = /** @type {import("@rephysco/core").TypedJsonSchema<{ city: string }>} */ (
  jsonSchema({
    type: "object",
    properties: { city: { type: "string", description: "City name, e.g. Paris" } },
    required: ["city"],
    additionalProperties: false,
  })
);

/**
 * The tools, keyed by the names the model sees.
 *
 * @param {{ now?: () => Date }} [options] - `now` fixes the clock (tests).
 */
export function createWeatherTools({ now = () => new Date() } = {}) {
  return {
    // Arguments described with zod: sent as JSON Schema, and the model's arguments are
    // validated before `execute` runs (arguments that fail are an InvalidOutputError carrying
    // the model's text), so `city` is a string here, typed too.
    get_weather: tool({
      description: "Current weather in a city: temperature in °C and the sky.",
      parameters: z.strictObject({ city: z.string().describe("City name, e.g. Paris") }),
      execute: async ({ city }) => {
        const found = findCity(city);
        return { city: found.name, tempC: found.tempC, sky: found.sky };
      },
    }),
    get_time: tool({
      description: "Local time in a city, as HH:MM (24 hours).",
      parameters: cityArguments,
      execute: ({ city }) => {
        const { timeZone } = findCity(city);
        return new Intl.DateTimeFormat("en-GB", {
          timeZone,
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
        }).format(now());
      },
    }),
  };
}
