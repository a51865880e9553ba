import "@rephysco/anthropic";
import { describeProviderConformance } from "@rephysco/testing";

describeProviderConformance({
  name: "@rephysco/anthropic",
  providerId: "anthropic",
  dialect: "anthropic",
  model: "claude-haiku-4-5",
  settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "sk-ant-conformance-key-0001" }),
});
