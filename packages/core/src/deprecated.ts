/**
 * Names that moved from `@rephysco/core` to `@rephysco/core/http` (the provider authors' entry),
 * kept here for one minor version so that existing imports still work. Import them from
 * `@rephysco/core/http`; these aliases go in 0.3.
 */
import {
  BaseProvider as BaseProviderClass,
  type BaseProviderConfig as Config,
} from "./base-provider.js";
import { isCacheEntry as isCacheEntryFn } from "./cache/cache-store.js";
import * as httpErrors from "./http-errors.js";
import * as images from "./images.js";
import { abortReason as abortReasonFn } from "./retry.js";
import { scrubError as scrubErrorFn, scrubSecrets as scrubSecretsFn } from "./scrub.js";
import { stableStringify as stableStringifyFn } from "./stable-stringify.js";

/** @deprecated Import `BaseProvider` from `@rephysco/core/http`. */
export const BaseProvider = BaseProviderClass;
/** @deprecated Import `BaseProvider` from `@rephysco/core/http`. */
export type BaseProvider<
  TMessages = unknown,
  TResponse = unknown,
  TChunk = unknown,
> = BaseProviderClass<TMessages, TResponse, TChunk>;
/** @deprecated Import `BaseProviderConfig` from `@rephysco/core/http`. */
export type BaseProviderConfig = Config;
/** @deprecated Import `createErrorFromResponse` from `@rephysco/core/http`. */
export const createErrorFromResponse = httpErrors.createErrorFromResponse;
/** @deprecated Import `ErrorClasses` from `@rephysco/core/http`. */
export const ErrorClasses = httpErrors.ErrorClasses;
/** @deprecated Import `ErrorClassName` from `@rephysco/core/http`. */
export type ErrorClassName = httpErrors.ErrorClassName;
/** @deprecated Import `errorClassForStatus` from `@rephysco/core/http`. */
export const errorClassForStatus = httpErrors.errorClassForStatus;
/** @deprecated Import `getHeader` from `@rephysco/core/http`. */
export const getHeader = httpErrors.getHeader;
/** @deprecated Import `HeaderSource` from `@rephysco/core/http`. */
export type HeaderSource = httpErrors.HeaderSource;
/** @deprecated Import `parseDurationMs` from `@rephysco/core/http`. */
export const parseDurationMs = httpErrors.parseDurationMs;
/** @deprecated Import `parseRetryAfter` from `@rephysco/core/http`. */
export const parseRetryAfter = httpErrors.parseRetryAfter;
/** @deprecated Import `ResponseErrorInput` from `@rephysco/core/http`. */
export type ResponseErrorInput = httpErrors.ResponseErrorInput;
/** @deprecated Import `imageToUrl` from `@rephysco/core/http`. */
export const imageToUrl = images.imageToUrl;
/** @deprecated Import `resolveImage` from `@rephysco/core/http`. */
export const resolveImage = images.resolveImage;
/** @deprecated Import `ResolvedImage` from `@rephysco/core/http`. */
export type ResolvedImage = images.ResolvedImage;
/** @deprecated Import `sniffImageType` from `@rephysco/core/http`. */
export const sniffImageType = images.sniffImageType;
/** @deprecated Import `abortReason` from `@rephysco/core/http`. */
export const abortReason = abortReasonFn;
/** @deprecated Import `scrubError` from `@rephysco/core/http`. */
export const scrubError = scrubErrorFn;
/** @deprecated Import `scrubSecrets` from `@rephysco/core/http`. */
export const scrubSecrets = scrubSecretsFn;
/** @deprecated Import `isCacheEntry` from `@rephysco/core/http`. */
export const isCacheEntry = isCacheEntryFn;
/** @deprecated Import `excerpt` from `@rephysco/core/http`. */
export const excerpt = httpErrors.excerpt;
/** @deprecated Import `stableStringify` from `@rephysco/core/http`. */
export const stableStringify = stableStringifyFn;
