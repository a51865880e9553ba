import "@rephysco/aliyun";
import { describeProviderConformance } from "@rephysco/testing";

describeProviderConformance({
  name: "@rephysco/aliyun",
  providerId: "aliyun",
  dialect: "openai",
  model: "qwen-plus",
  settings: (server) => ({
    baseURL: `${server.url}/compatible-mode/v1`,
    apiKey: "sk-dashscope-conformance",
  }),
  supportsImages: true,
  supportsReasoning: true,
});
