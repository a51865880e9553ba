/**
 * A consumer that stops a stream at its first chunk closes the provider's stream (and so its
 * socket and timers) through every stage: retry and fallback hand the first part on and must
 * still close what is below them.
 */
import { LLMClient, type Provider, type StreamPart } from "@rephysco/core";
import { createFakeProvider } from "@rephysco/testing";
import { describe, expect, it } from "vitest";

/** A provider whose stream records whether it was closed. */
function closable(name: string): Provider & { closed: number; started: number } {
  const base = createFakeProvider({ name });
  const p = {
    ...base,
    closed: 0,
    started: 0,
    async *stream(): AsyncGenerator<StreamPart, void, undefined> {
      p.started++;
      try {
        for (let i = 0; i < 100; i++) {
          yield { type: "text", text: `t${i}` };
          await new Promise((r) => setTimeout(r, 1));
        }
        yield { type: "finish", reason: "stop" };
      } finally {
        p.closed++;
      }
    },
  };
  return p;
}

describe("stopping a stream at its first chunk", () => {
  type Case = { retry: false | { maxRetries: number }; fallback: boolean; listen?: boolean };
  const cases: [string, Case][] = [
    ["no retry, no fallback", { retry: false, fallback: false }],
    ["with retries", { retry: { maxRetries: 2 }, fallback: false }],
    ["with a fallback", { retry: false, fallback: true }],
    ["with retries and a fallback", { retry: { maxRetries: 2 }, fallback: true }],
    ["with a listener (the event stage)", { retry: false, fallback: false, listen: true }],
    [
      "with a listener, retries and a fallback",
      { retry: { maxRetries: 2 }, fallback: true, listen: true },
    ],
  ];
  it.each(cases)("closes the provider's stream (%s)", async (_name, o) => {
    const primary = closable("primary");
    const c = new LLMClient({
      provider: primary,
      retry: o.retry,
      ...(o.fallback && { fallbacks: [{ provider: closable("backup") }] }),
      ...(o.listen && { onEvent: () => {} }),
    });
    for await (const chunk of c.stream("x")) {
      expect(chunk.content).toBe("t0");
      break;
    }
    expect(primary.started).toBe(1);
    expect(primary.closed).toBe(1);
  });
});
