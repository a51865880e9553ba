import Keyv from "keyv";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isCacheEntry } from "../src/http.js";
import type { CacheEntry, CacheStore } from "../src/index.js";

const entry: CacheEntry = {
  v: 1,
  kind: "parts",
  provider: "fake",
  parts: [
    { type: "text", text: "Hi!" },
    { type: "finish", reason: "stop" },
  ],
};

afterEach(() => {
  vi.useRealTimers();
});

describe("a Keyv instance as a CacheStore", () => {
  it("type-checks as a store and round-trips entries with its default in-memory map", async () => {
    // The assignment is the type test: it fails `tsc` if Keyv's shape drifts from CacheStore.
    const store: CacheStore = new Keyv();
    expect(await store.get("k")).toBeUndefined();
    await store.set("k", entry);
    const got = await store.get("k");
    expect(isCacheEntry(got)).toBe(true);
    expect(got).toEqual(entry);
    await store.delete("k");
    expect(await store.get("k")).toBeUndefined();
  });

  it("honours the ttl the client passes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const store: CacheStore = new Keyv();
    await store.set("k", entry, 1000);
    vi.setSystemTime(start + 999);
    expect(await store.get("k")).toEqual(entry);
    vi.setSystemTime(start + 1001);
    expect(await store.get("k")).toBeUndefined();
  });
});
