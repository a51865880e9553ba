import {
  LLMClient,
  type LLMClientOptions,
  type Middleware,
  type Provider,
  type RephyscoEvent,
} from "@rephysco/core";
import type { LimitStore, SettleRequest } from "../src/index.js";

/** A client around `provider` with `middleware`, no retries unless asked, recording events. */
export function clientWith(
  provider: Provider,
  middleware: Middleware,
  options: Partial<LLMClientOptions> = {},
): { client: LLMClient; events: RephyscoEvent[] } {
  const events: RephyscoEvent[] = [];
  const client = new LLMClient({
    provider,
    retry: false,
    middleware: [middleware],
    onEvent: (e) => events.push(e),
    ...options,
  } as LLMClientOptions);
  return { client, events };
}

/** A store that records what is settled, around another. */
export function spyStore(inner: LimitStore): LimitStore & { settled: SettleRequest[] } {
  const settled: SettleRequest[] = [];
  return {
    settled,
    acquire: (r) => inner.acquire(r),
    settle: async (r) => {
      settled.push(r);
      await inner.settle(r);
    },
    cooldown: (k, u) => inner.cooldown(k, u),
    ...(inner.remote !== undefined && { remote: inner.remote }),
    ...(inner.failClosed !== undefined && { failClosed: inner.failClosed }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The most timestamps found in any span of `spanMs` (a half-open window sliding over them). */
export function maxInSpan(times: readonly number[], spanMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= spanMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
