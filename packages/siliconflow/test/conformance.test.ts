import "@rephysco/siliconflow";
import { describeProviderConformance } from "@rephysco/testing";

describeProviderConformance({
  name: "@rephysco/siliconflow",
  providerId: "silicon_flow",
  dialect: "openai",
  model: "deepseek-ai/DeepSeek-R1",
  settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "sk-siliconflow-conformance" }),
  supportsImages: true,
  supportsReasoning: true,
});
