import {
  type CacheEntry,
  type CacheStore,
  LLMClient,
  type StreamPart,
  type Usage,
} from "@rephysco/core";
import { vitest } from "./conformance/vitest-api.js";
import { createFakeProvider } from "./fake-provider.js";
import { drain } from "./test-utils.js";

/** Optional behaviour a store declares, so that the suite checks it. */
export interface StoreCapabilities {
  /** The store honours the `ttlMs` given to `set`. Default `true` (the `CacheStore` contract). */
  readonly ttl?: boolean;
  /** The store has a `clear()` that removes every entry. Default `false`. */
  readonly clear?: boolean;
}

/** What {@link describeStoreConformance} needs to know about a store. */
export interface StoreConformanceOptions<S extends CacheStore = CacheStore> {
  /** Title of the suite (usually the store's name). */
  readonly name: string;
  /** Makes a new, empty store; called once per test. */
  readonly create: () => S | Promise<S>;
  /** Releases what `create` made (a directory, a connection, a key prefix); called after each test. */
  readonly cleanup?: (store: S) => unknown;
  /** What the store supports beyond get, set and delete. */
  readonly capabilities?: StoreCapabilities;
}

const usage: Usage = { promptTokens: 12, completionTokens: 3, totalTokens: 15, reasoningTokens: 2 };

// Text that a careless serializer mangles: quotes, backslashes, line and paragraph separators,
// astral characters, a NUL.
const TRICKY = 'Say "hi" \\ to \u2028 the 🌍, then\nstop\u0000.';

/** Entries in the shapes the client writes, with every optional field set. */
function responseEntry(content = `Hello, ${TRICKY}`): CacheEntry {
  return {
    v: 1,
    kind: "response",
    response: {
      content,
      reasoning: "Think first.",
      model: "fake-model-2025-01",
      provider: "fake",
      usage: { ...usage },
      finishReason: "length",
    },
  };
}

function streamEntry(text = "Hello"): CacheEntry {
  return {
    v: 1,
    kind: "parts",
    provider: "fake",
    model: "fake-model-2025-01",
    parts: [
      { type: "metadata", model: "fake-model-2025-01" },
      { type: "reasoning", text: "Hmm." },
      { type: "text", text },
      { type: "text", text: TRICKY },
      { type: "finish", reason: "stop", usage: { ...usage }, model: "fake-model-2025-01" },
    ],
  };
}

const isMiss = (value: unknown) => value === undefined || value === null;

// What plain JavaScript callers see of an entry: nothing readonly.
interface Mutable {
  response?: { content: string; usage?: { totalTokens: number } };
  parts?: { type: string; text?: string }[];
}

/**
 * Declares the cache store conformance suite: one vitest `describe` block that checks the
 * `CacheStore` contract the client relies on, against a fresh store per test: a miss is
 * `undefined` or `null`; answers and streams round-trip exactly (every field, awkward text);
 * overwrite; delete; expiry by the `ttlMs` given to `set`; values isolated from what callers do
 * with them; keys with unusual characters; concurrent writes; a 1 MB entry; an `LLMClient` on
 * the store answering an identical call from it; and `clear()` when declared.
 *
 * Call it at the top level of a test file. Requires vitest in the calling project. Expiry is
 * checked with a 50 ms ttl, polled for at most 5 s.
 *
 * @example
 * ```ts
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { fileStore } from "@rephysco/core";
 * import { describeStoreConformance } from "@rephysco/testing";
 *
 * describeStoreConformance({
 *   name: "fileStore",
 *   create: async () => fileStore({ dir: await mkdtemp("/tmp/store-") }),
 *   cleanup: (store) => rm(store.dir, { recursive: true, force: true }),
 *   capabilities: { clear: true },
 * });
 * ```
 */
export function describeStoreConformance<S extends CacheStore>(
  options: StoreConformanceOptions<S>,
): void {
  const { describe, it, expect, afterEach } = vitest("describeStoreConformance");
  const capabilities = { ttl: true, clear: false, ...options.capabilities };

  describe(`${options.name} store conformance`, () => {
    const made: S[] = [];
    const use = async (): Promise<S> => {
      const store = await options.create();
      made.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of made.splice(0)) await options.cleanup?.(store);
    });

    it("get of a key never set is a miss (undefined or null)", async () => {
      const store = await use();
      expect(isMiss(await store.get("never-set"))).toBe(true);
    });

    it("set then get returns a response entry exactly", async () => {
      const store = await use();
      await store.set("answer", responseEntry());
      expect(await store.get("answer")).toStrictEqual(responseEntry());
    });

    it("set then get returns a stream entry exactly", async () => {
      const store = await use();
      await store.set("stream", streamEntry());
      expect(await store.get("stream")).toStrictEqual(streamEntry());
    });

    it("a second set of a key replaces the entry, of either kind", async () => {
      const store = await use();
      await store.set("k", responseEntry("first"));
      await store.set("k", responseEntry("second"));
      expect(await store.get("k")).toStrictEqual(responseEntry("second"));
      await store.set("k", streamEntry("third"));
      expect(await store.get("k")).toStrictEqual(streamEntry("third"));
    });

    it("delete removes the key and only that key; deleting a missing key resolves", async () => {
      const store = await use();
      await store.set("a", responseEntry("a"));
      await store.set("b", responseEntry("b"));
      const removed = await store.delete("a");
      // The contract leaves the result open; a store that reports one must report it truly.
      if (typeof removed === "boolean") expect(removed).toBe(true);
      expect(isMiss(await store.get("a"))).toBe(true);
      expect(await store.get("b")).toStrictEqual(responseEntry("b"));
      const missing = await store.delete("a");
      if (typeof missing === "boolean") expect(missing).toBe(false);
    });

    if (capabilities.ttl) {
      it("an entry set with ttlMs expires; one with a long ttl or none stays", async () => {
        const store = await use();
        await store.set("short", responseEntry("short"), 50);
        await store.set("long", responseEntry("long"), 600_000);
        // The client passes `undefined` when no ttl is configured.
        await store.set("forever", streamEntry("forever"), undefined);
        let expired = false;
        for (let i = 0; i < 250 && !expired; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          expired = isMiss(await store.get("short"));
        }
        expect(expired, "the entry set with ttlMs 50 was still there after 5 s").toBe(true);
        expect(await store.get("long")).toStrictEqual(responseEntry("long"));
        expect(await store.get("forever")).toStrictEqual(streamEntry("forever"));
      });
    }

    it("changing what get returned, or what was given to set, never changes the stored entry", async () => {
      const store = await use();
      const given = responseEntry();
      await store.set("a", given);
      const g = given as unknown as Mutable;
      g.response!.content = "changed after set";
      g.response!.usage!.totalTokens = -1;
      const first = (await store.get("a")) as Mutable;
      first.response!.content = "changed after get";
      first.response!.usage!.totalTokens = -2;
      expect(await store.get("a")).toStrictEqual(responseEntry());

      await store.set("s", streamEntry());
      const parts = ((await store.get("s")) as Mutable).parts!;
      (parts[2] as { text: string }).text = "changed";
      parts.push({ type: "text", text: "more" });
      expect(await store.get("s")).toStrictEqual(streamEntry());
    });

    it("keys with unusual characters are kept apart and round-trip", async () => {
      const store = await use();
      // Near twins too: a store that trims, folds case, normalizes Unicode or URL-decodes keys
      // would serve one entry for the other.
      const keys = [
        "key",
        "Key",
        " key ",
        "a b",
        "a_b",
        "a%20b",
        "a+b",
        "caf\u00e9",
        "cafe\u0301",
        "with spaces and\ttabs",
        "line\nbreak",
        "glob*?[chars]{a,b}",
        "a/b/../c\\d",
        "percent%20and+plus&amp;",
        "quotes\"'`",
        "ключ-鍵-🔑",
        ":colons:and:prefix:",
        "k".repeat(1000),
      ];
      for (const [i, key] of keys.entries()) await store.set(key, responseEntry(`value ${i}`));
      for (const [i, key] of keys.entries())
        expect(await store.get(key), JSON.stringify(key)).toStrictEqual(
          responseEntry(`value ${i}`),
        );
      await store.delete("key");
      expect(isMiss(await store.get("key"))).toBe(true);
      expect(await store.get("Key")).toStrictEqual(responseEntry("value 1"));
    });

    it("concurrent sets of different keys all land", async () => {
      const store = await use();
      const keys = Array.from({ length: 50 }, (_, i) => `concurrent-${i}`);
      await Promise.all(keys.map((key) => store.set(key, responseEntry(key))));
      const got = await Promise.all(keys.map((key) => store.get(key)));
      expect(got).toStrictEqual(keys.map((key) => responseEntry(key)));
    });

    it("round-trips a 1 MB answer and a 1 MB stream", async () => {
      const store = await use();
      const big = "0123456789abcdé\n".repeat(65_536);
      await store.set("big", responseEntry(big));
      expect(await store.get("big")).toStrictEqual(responseEntry(big));
      const parts: StreamPart[] = Array.from({ length: 1024 }, (_, i) => ({
        type: "text",
        text: big.slice(i * 1024, (i + 1) * 1024),
      }));
      parts.push({ type: "finish", reason: "stop" });
      const stream: CacheEntry = { v: 1, kind: "parts", provider: "fake", parts };
      await store.set("big-stream", stream);
      expect(await store.get("big-stream")).toStrictEqual(stream);
    });

    it("an LLMClient on the store answers an identical call from it", async () => {
      const store = await use();
      const fake = createFakeProvider({
        replies: [
          { text: "Hello", usage },
          { chunks: ["Str", "eamed"], usage },
        ],
      });
      const writer = new LLMClient({ provider: fake, cache: store, retry: false });
      // Two prompts: a stored answer also replays to a stream of the same prompt.
      await writer.generate("Hi");
      await drain(writer.stream("Stream it"));
      await writer.flush();
      // A second client has no pending writes: its hits come from the store itself.
      const reader = new LLMClient({ provider: fake, cache: store, retry: false });
      const answer = await reader.generate("Hi");
      const { chunks, text, error } = await drain(reader.stream("Stream it"));
      expect(error).toBeUndefined();
      expect(fake.calls).toHaveLength(2);
      expect(answer).toMatchObject({ content: "Hello", cached: true, provider: "fake", usage });
      expect(text).toBe("Streamed");
      expect(chunks.every((c) => c.cached === true)).toBe(true);
      expect(chunks.at(-1)).toMatchObject({ finishReason: "stop", usage });
    });

    if (capabilities.clear) {
      it("clear removes every entry, and the store works after it", async () => {
        const store = await use();
        const clear = (store as unknown as { clear?: () => Promise<unknown> }).clear;
        expect(typeof clear, "capabilities.clear is set but the store has no clear()").toBe(
          "function",
        );
        for (const key of ["a", "b", "c"]) await store.set(key, responseEntry(key));
        await clear!.call(store);
        for (const key of ["a", "b", "c"]) expect(isMiss(await store.get(key))).toBe(true);
        await store.set("a", streamEntry());
        expect(await store.get("a")).toStrictEqual(streamEntry());
      });
    }
  });
}
