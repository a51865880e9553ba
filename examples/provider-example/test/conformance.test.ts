import "rephysco-provider-example";
import { describeProviderConformance } from "@rephysco/testing";

describeProviderConformance({
  name: "rephysco-provider-example",
  providerId: "acme",
  dialect: "openai",
  model: "acme-1",
  settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "acme-conformance-key-123" }),
});
