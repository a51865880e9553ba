// Type-level test, checked by `pnpm typecheck` (tsc): fallback settings are typed per provider id.
import { LLMClient } from "@rephysco/core";
import "@rephysco/openai";
import "@rephysco/gemini";
import "@rephysco/aliyun";

export const ok = () =>
  new LLMClient({
    provider: "openai",
    fallbacks: [
      { provider: "gemini", model: "gemini-2.5-flash", settings: { apiVersion: "v1" } },
      { provider: "aliyun", settings: { region: "intl" } },
      { provider: "my-runtime-provider", settings: { baseURL: "http://x" } },
    ],
  });
export const bad = () =>
  new LLMClient({
    provider: "openai",
    // @ts-expect-error region is not a Gemini setting
    fallbacks: [{ provider: "gemini", settings: { region: "intl" } }],
  });
