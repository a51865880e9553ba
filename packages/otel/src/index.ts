/**
 * `@rephysco/otel`: OpenTelemetry traces and metrics for Rephysco calls, following the GenAI
 * semantic conventions. Depends on `@opentelemetry/api` only.
 *
 * @packageDocumentation
 */
export * from "./attributes.js";
export { type OtelOptions, otel } from "./otel.js";
