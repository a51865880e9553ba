import { findSecret } from "@rephysco/testing";
import { expect } from "vitest";

/** A key shaped like a real OpenAI key, so both exact-value and pattern scrubbing are exercised. */
export const KEY = "sk-test-0123456789abcdefSECRET";

export { caught, drain, TINY_PNG as PNG } from "@rephysco/testing";

/** Asserts a secret appears nowhere in an error: message, JSON, stack, body, cause chain. */
export function expectNoSecret(error: unknown, secret: string): void {
  expect(findSecret(error, secret)).toBeUndefined();
}

/** Streams through the provider as a caller does (see `clientStream` in @rephysco/testing). */
export { clientStream as streamOf } from "@rephysco/testing";
