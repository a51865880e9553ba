import type { MockDialect } from "./recorded-request.js";

/** Where a request goes: its dialect and, for Gemini, the model and method named in the path. */
export interface Route {
  dialect: MockDialect;
  /** Gemini model from `/models/{model}:method`. */
  model?: string;
  /** Gemini: true for `:streamGenerateContent`. */
  geminiStream?: boolean;
}

// Any prefix is allowed so that tests can mount a provider under `${url}/v1`, `${url}/compatible-mode/v1`, ...
const GEMINI_PATH =
  /\/(?:v1|v1beta|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** Picks the dialect that serves `method path`. */
export function routeRequest(method: string, path: string): Route {
  if (method !== "POST") return { dialect: "unknown" };
  const gemini = GEMINI_PATH.exec(path);
  if (gemini) {
    return {
      dialect: "gemini",
      model: decodeURIComponent(gemini[1]!),
      geminiStream: gemini[2] === "streamGenerateContent",
    };
  }
  if (path.endsWith("/chat/completions")) return { dialect: "openai" };
  if (path.endsWith("/messages")) return { dialect: "anthropic" };
  return { dialect: "unknown" };
}
