// @ts-check
// Stand-ins for a model, played by the local mock server from @rephysco/testing, so that the
// examples run with no key and no network. The client cannot tell: it speaks to the server over
// HTTP in the OpenAI wire format, exactly as it would to the real API.
import { CITIES } from "./weather-tools.mjs";

/**
 * @typedef {{ role: string; content?: string | null; tool_call_id?: string;
 *   tool_calls?: { id: string; function: { name: string; arguments: string } }[] }} WireMessage
 */

/**
 * The weather agent's model: asks for `get_weather` and `get_time` for every known city the
 * question names (in parallel, in one step), then answers from the tools' results.
 *
 * @param {import("@rephysco/testing").RecordedRequest} request
 * @returns {import("@rephysco/testing").MockReply}
 */
export function weatherModel(request) {
  const messages = /** @type {{ messages: WireMessage[] }} */ (request.body).messages;
  const results = messages.filter((m) => m.role === "tool");
  if (results.length === 0) {
    const question = String(messages.findLast((m) => m.role === "user")?.content ?? "");
    const cities = Object.keys(CITIES).filter((c) =>
      question.toLowerCase().includes(c.toLowerCase()),
    );
    if (cities.length === 0) {
      return { text: `I only know the weather in ${Object.keys(CITIES).join(", ")}.` };
    }
    return {
      toolCalls: cities.flatMap((city) => [
        { name: "get_weather", arguments: { city } },
        { name: "get_time", arguments: { city } },
      ]),
    };
  }
  // Pair each result with the call it answers, as a model reads them.
  const calls = new Map(messages.flatMap((m) => m.tool_calls ?? []).map((c) => [c.id, c.function]));
  /** @type {Map<string, { weather?: { tempC: number; sky: string }; time?: string }>} */
  const byCity = new Map();
  for (const r of results) {
    const call = calls.get(r.tool_call_id ?? "");
    if (!call) continue;
    const { city } = JSON.parse(call.arguments);
    const entry = byCity.get(city) ?? {};
    // A string result arrives as it is, anything else as JSON.
    if (call.name === "get_weather") entry.weather = JSON.parse(String(r.content));
    else entry.time = String(r.content);
    byCity.set(city, entry);
  }
  const lines = [...byCity].map(
    ([city, { weather, time }]) =>
      `${city}: ${weather?.tempC} °C and ${weather?.sky}, ${time} local time.`,
  );
  return {
    text: lines.join(" "),
    usage: { promptTokens: 120, completionTokens: 12 * lines.length },
  };
}

/**
 * A streamed forecast answer for `streamForecast`: the JSON text in small pieces, as a model
 * writes it.
 *
 * @param {import("./forecast.mjs").Forecast} forecast
 * @param {{ pieceLength?: number; chunkDelayMs?: number }} [options]
 * @returns {import("@rephysco/testing").MockReply}
 */
export function forecastReply(forecast, { pieceLength = 12, chunkDelayMs = 0 } = {}) {
  const text = JSON.stringify(forecast);
  const chunks = [];
  for (let i = 0; i < text.length; i += pieceLength) chunks.push(text.slice(i, i + pieceLength));
  return { chunks, chunkDelayMs, usage: { promptTokens: 40, completionTokens: chunks.length } };
}

/** @type {import("./forecast.mjs").Forecast} */
export const OSLO_FORECAST = {
  city: "Oslo",
  days: [
    { day: "Monday", sky: "snow", highC: -1, lowC: -6 },
    { day: "Tuesday", sky: "cloudy", highC: 1, lowC: -4 },
    { day: "Wednesday", sky: "sunny", highC: 3, lowC: -3 },
  ],
  advice: "Wear a warm coat and boots with a good grip.",
};
