import { registerProvider } from "@rephysco/core";
import { AcmeProvider } from "./acme-provider.js";

export type { AcmeChunk, AcmeMessage, AcmeResponse } from "./acme-api-types.js";
export { AcmeProvider, type AcmeProviderSettings } from "./acme-provider.js";

// Registering on import is this package's one side effect; package.json declares it in `sideEffects`.
registerProvider("acme", (settings) => new AcmeProvider(settings), {
  defaultModel: "acme-1",
  apiKeyEnvVars: ["ACME_API_KEY"],
  baseURLEnvVars: ["ACME_BASE_URL"],
  packageName: "rephysco-provider-example",
});
