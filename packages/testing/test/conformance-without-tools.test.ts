import { describeProviderConformance } from "../src/index.js";
import { PLAIN_ID } from "./support/plain-provider.js";

// A provider that declares neither tools nor structured output: the kit's tool and
// structured-output cases check that every such call is refused (unsupported_feature) before
// any request, and the rest of the suite runs as for any provider.
describeProviderConformance({
  name: "plain text-only provider",
  providerId: PLAIN_ID,
  dialect: "openai",
  model: "plain-1",
  settings: (server) => ({ baseURL: `${server.url}/v1`, apiKey: "plain-conformance-key" }),
});
