import { type CacheEntry, type CacheStore, type MemoryStore, memoryStore } from "@rephysco/core";

/** A promise that never settles: a reply gated on it waits until the call's signal aborts. */
export const never: Promise<never> = new Promise<never>(() => {});

/** A promise with its resolve function, to open a gate or to learn that something started. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** One operation a {@link recordingStore} saw. */
export interface StoreOp {
  readonly op: "get" | "set" | "delete";
  readonly key: string;
  readonly ttlMs?: number;
}

/** A memory store that records every operation, so that tests see the keys the client uses. */
export function recordingStore(
  inner: MemoryStore = memoryStore(),
): CacheStore & { readonly ops: StoreOp[]; readonly inner: MemoryStore } {
  const ops: StoreOp[] = [];
  return {
    ops,
    inner,
    get(key) {
      ops.push({ op: "get", key });
      return inner.get(key);
    },
    set(key: string, value: CacheEntry, ttlMs?: number) {
      ops.push({ op: "set", key, ...(ttlMs !== undefined && { ttlMs }) });
      return inner.set(key, value, ttlMs);
    },
    delete(key) {
      ops.push({ op: "delete", key });
      return inner.delete(key);
    },
  };
}
