import { ProviderError } from "@rephysco/core";
import {
  limitResponseBody,
  readLimitedText,
  readSseEvents,
  scrubError,
  scrubSecrets,
  scrubValue,
} from "@rephysco/core/http";
import { describe, expect, it } from "vitest";

function bodyOf(parts: (string | Uint8Array)[], headers: Record<string, string> = {}): Response {
  const enc = new TextEncoder();
  return new Response(
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(typeof p === "string" ? enc.encode(p) : p);
        c.close();
      },
    }),
    { headers },
  );
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    return e as ProviderError;
  }
  throw new Error("resolved");
}

describe("readLimitedText", () => {
  it("reads a body up to the cap exactly, and decodes like Response.text()", async () => {
    expect(await readLimitedText(bodyOf(["\uFEFFab", "c€"]), "p", 9)).toBe("abc€");
  });

  it("fails with response_too_large one byte past the cap", async () => {
    const e = await rejection(readLimitedText(bodyOf(["abcd", "e"]), "p", 4));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.reason).toBe("response_too_large");
    expect(e.retryable).toBe(false);
  });

  it("fails before reading when content-length is above the cap", async () => {
    const e = await rejection(readLimitedText(bodyOf(["x"], { "content-length": "100" }), "p", 10));
    expect(e.message).toContain("content-length 100");
  });
});

describe("limitResponseBody", () => {
  it("caps one event (up to its blank line), whatever the total", async () => {
    const ok = limitResponseBody(bodyOf(["d: 1\n\n", "d: 2\r\n\r\n", "d: 3\r\r"]), {
      provider: "p",
      maxEventBytes: 7,
    });
    expect(await ok.text()).toBe("d: 1\n\nd: 2\r\n\r\nd: 3\r\r");
    const line = limitResponseBody(bodyOf(["aa", "aa", "a\n"]), {
      provider: "p",
      maxEventBytes: 4,
    });
    expect((await rejection(line.text())).reason).toBe("response_too_large");
    const shortLines = limitResponseBody(bodyOf(["d: 1\n", "d: 2\n", "d: 3\n"]), {
      provider: "p",
      maxEventBytes: 12,
    });
    expect((await rejection(shortLines.text())).reason).toBe("response_too_large");
  });

  it("caps the total", async () => {
    const bad = limitResponseBody(bodyOf(["123", "456"]), { provider: "p", maxBytes: 5 });
    expect((await rejection(bad.text())).reason).toBe("response_too_large");
  });
});

describe("readSseEvents maxEventBytes", () => {
  it("an event of many short lines without its blank line is capped; normal events are not", async () => {
    const events: string[] = [];
    for await (const ev of readSseEvents(bodyOf(["data: 1\n\n", "data: 2\n\n"]), {
      maxEventBytes: 10,
    }))
      events.push(ev.data);
    expect(events).toEqual(["1", "2"]);
    const endless = bodyOf(Array.from({ length: 10 }, () => "data: xx\n"));
    const e = await rejection(
      (async () => {
        for await (const _ of readSseEvents(endless, { provider: "p", maxEventBytes: 30 })) {
          // none
        }
      })(),
    );
    expect(e.reason).toBe("response_too_large");
  });
});

describe("scrubbing", () => {
  it("URL credentials of any length, every query value of a URL, token-like parameters anywhere", () => {
    expect(
      scrubSecrets("see http://a:b@h/x?key=k&x=1#f and https://h2/?access_token=t; key=v"),
    ).toBe(
      "see http://[REDACTED]@h/x?key=[REDACTED]&x=[REDACTED]#f and https://h2/?access_token=[REDACTED]; key=v",
    );
    expect(scrubSecrets("form a=1&token=zz")).toBe("form a=1&token=[REDACTED]");
  });

  it("headers kept on an error, at any depth", () => {
    const key = "plain-secret-000000";
    const err = Object.assign(new Error("x"), {
      headers: new Headers({ "x-echo": key }),
      response: { deep: [[[[[[[[[[{ v: key }]]]]]]]]]] },
    });
    scrubError(err, [key]);
    expect((err.headers as Headers).get("x-echo")).toBe("[REDACTED]");
    expect(JSON.stringify(err.response)).not.toContain(key);
  });

  it("returns the same object when nothing changed, and keeps an own __proto__ key", () => {
    const clean = { a: [1, { b: "c" }] };
    expect(scrubValue(clean, ["zzzzzzzz"])).toBe(clean);
    const parsed = JSON.parse('{"__proto__":{"k":"sk-abcdefghijklmnop"}}') as object;
    const out = scrubValue(parsed);
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"k":"[REDACTED]"}}');
  });
});
