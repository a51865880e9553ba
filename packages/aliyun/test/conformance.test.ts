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
  // Tool calls stream the way this API streams them (see @rephysco/testing's toolCallStyle).
  toolCallStyle: "dashscope",
});
