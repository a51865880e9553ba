/**
 * `@rephysco/siliconflow`: SiliconFlow. Importing it registers `"silicon_flow"` and its alias
 * `"siliconflow"` (and nothing else).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { providerInfoOf } from "@rephysco/core/http";
import {
  SILICONFLOW_CONFIG,
  SiliconFlowProvider,
  type SiliconFlowProviderSettings,
} from "./siliconflow-provider.js";

export { type SiliconFlowModelId, SiliconFlowModels } from "./siliconflow-models.js";
export { SILICONFLOW_PRICES } from "./siliconflow-prices.js";
export {
  createSiliconFlow,
  SiliconFlowProvider,
  type SiliconFlowProviderSettings,
} from "./siliconflow-provider.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** SiliconFlow (`@rephysco/siliconflow`). */
    silicon_flow: SiliconFlowProviderSettings;
    /** Alias of `silicon_flow`. */
    siliconflow: SiliconFlowProviderSettings;
  }
}

const info = providerInfoOf(SILICONFLOW_CONFIG, "@rephysco/siliconflow");
registerProvider("silicon_flow", (settings) => new SiliconFlowProvider(settings), info);
registerProvider("siliconflow", (settings) => new SiliconFlowProvider(settings), {
  ...info,
  aliasOf: "silicon_flow",
});
