import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import { ACME_CONFIG, AcmeProvider } from "./acme-provider.js";

// The provider class, its settings and a factory: the wire types, the converters and the config
// are implementation, not exported.
export { AcmeProvider, type AcmeProviderSettings, createAcme } from "./acme-provider.js";

// Registering on import is this package's one side effect; package.json declares it in `sideEffects`.
// What `listProviders()` shows comes from the config the provider is built from.
registerProvider(
  ACME_CONFIG.id,
  (settings) => new AcmeProvider(settings),
  providerInfoOf(ACME_CONFIG, "rephysco-provider-example"),
);
