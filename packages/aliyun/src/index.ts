/**
 * `@rephysco/aliyun`: Aliyun DashScope (Qwen). Importing it registers `"aliyun"` (and nothing else).
 *
 * @packageDocumentation
 */
import { registerProvider } from "@rephysco/core";
import { ALIYUN_CONFIG, AliyunProvider, type AliyunProviderSettings } from "./aliyun-provider.js";

export { DASHSCOPE_ERROR_CODES, mapDashScopeError } from "./aliyun-error.js";
export { type AliyunModelId, AliyunModels } from "./aliyun-models.js";
export {
  ALIYUN_CONFIG,
  AliyunProvider,
  type AliyunProviderSettings,
  createAliyun,
  DASHSCOPE_BASE_URLS,
} from "./aliyun-provider.js";
export { isDashScopeStreamOnly } from "./is-dashscope-stream-only.js";

declare module "@rephysco/core" {
  interface ProviderRegistry {
    /** Aliyun DashScope (`@rephysco/aliyun`). */
    aliyun: AliyunProviderSettings;
  }
}

registerProvider("aliyun", (settings) => new AliyunProvider(settings), {
  defaultModel: ALIYUN_CONFIG.defaultModel,
  apiKeyEnvVars: ALIYUN_CONFIG.apiKeyEnvVars,
  baseURLEnvVars: ALIYUN_CONFIG.baseURLEnvVars ?? [],
  packageName: "@rephysco/aliyun",
});
