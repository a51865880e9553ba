import "@rephysco/openai";
import { describeProviderConformance } from "@rephysco/testing";

describeProviderConformance({
  name: "@rephysco/openai",
  providerId: "openai",
  dialect: "openai",
  model: "gpt-4o-mini",
  settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "sk-conformance-0123456789" }),
  supportsImages: true,
  supportsReasoning: false,
});
