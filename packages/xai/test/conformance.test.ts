import "@rephysco/xai";
import { describeProviderConformance } from "@rephysco/testing";

describeProviderConformance({
  name: "@rephysco/xai",
  providerId: "xai",
  dialect: "openai",
  model: "grok-3-mini",
  settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "xai-conformance-0123456789" }),
  supportsImages: true,
  supportsReasoning: true,
  // Tool calls stream the way this API streams them (see @rephysco/testing's toolCallStyle).
  toolCallStyle: "xai",
});
