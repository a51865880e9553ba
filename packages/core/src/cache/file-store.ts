import { createHash } from "node:crypto";
import { chmod, mkdir, readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type CacheEntry, type CacheStore, isCacheEntry } from "./cache-store.js";

/** An index entry as cacache reports it. */
interface IndexEntry {
  readonly integrity: string;
  readonly metadata?: unknown;
}

/**
 * The part of cacache this store uses, typed from cacache's documentation (the community typings
 * get `verify`'s `filter` and `rm.entry`'s options wrong).
 */
interface Cacache {
  get: {
    info(dir: string, key: string, opts: { memoize: false }): Promise<IndexEntry | null>;
    byDigest(dir: string, integrity: string, opts: { memoize: false }): Promise<Buffer>;
  };
  /** Resolves to the content's integrity (an ssri object that stringifies to `sha512-...`). */
  put(dir: string, key: string, data: string, opts: { metadata: EntryMetadata }): Promise<unknown>;
  rm: {
    entry(dir: string, key: string, opts: { removeFully: boolean }): Promise<unknown>;
    content(dir: string, integrity: string): Promise<unknown>;
    all(dir: string): Promise<unknown>;
  };
  verify(
    dir: string,
    opts: { filter: (entry: IndexEntry) => boolean },
  ): Promise<{ totalEntries?: number; rejectedEntries?: number }>;
}

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /** Cache directory. Default: {@link defaultCacheDir}, resolved when the store is created. */
  readonly dir?: string;
  /** Time to live in ms when `set` gets none. Default: no expiry. */
  readonly ttlMs?: number;
}

/** What {@link FileStore.prune} removed and kept. */
export interface PruneResult {
  /** Entries still in the cache. */
  readonly kept: number;
  /** Entries removed (expired, or whose content was missing or corrupt). */
  readonly removed: number;
}

/** A {@link CacheStore} on disk, as {@link fileStore} returns. */
export interface FileStore extends CacheStore {
  /** The absolute cache directory. */
  readonly dir: string;
  /** The entry for `key`; `undefined` when missing, expired, corrupt or unreadable. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores `value` under `key`, expiring after `ttlMs` (or the store's default) when given. */
  set(key: string, value: CacheEntry, ttlMs?: number): Promise<void>;
  /** Removes `key`; `true` when it was there. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry and every content file. */
  clear(): Promise<void>;
  /**
   * Removes expired entries, then collects content no entry refers to and compacts the index
   * (`cacache.verify`). Run it when no other process is writing: verification rewrites index
   * files and empties the temporary directory.
   */
  prune(): Promise<PruneResult>;
}

/** Where {@link defaultCacheDir} looks; every field defaults to the running process's. */
export interface CacheDirContext {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
}

/** What the index holds next to the content: the expiry, readable without reading the content. */
interface EntryMetadata {
  readonly expiresAt: number | null;
}

/** What the content file holds. The key makes every content file unique to one entry (see `set`). */
interface StoredRecord {
  readonly key: string;
  readonly entry: unknown;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value : undefined;
}

/**
 * The directory `cache: true` uses: `REPHYSCO_CACHE_DIR`, else `$XDG_CACHE_HOME/rephysco`, else
 * the platform's user cache directory (`~/.cache/rephysco`; `~/Library/Caches/rephysco` on macOS;
 * `%LOCALAPPDATA%\rephysco\Cache` on Windows).
 *
 * @example
 * ```ts
 * defaultCacheDir(); // "/home/ada/.cache/rephysco"
 * ```
 */
export function defaultCacheDir(context: CacheDirContext = {}): string {
  const env = context.env ?? process.env;
  const platform = context.platform ?? process.platform;
  const home = context.homedir ?? homedir();
  const explicit = nonEmpty(env.REPHYSCO_CACHE_DIR);
  if (explicit) return resolve(explicit);
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  // The XDG spec says a relative path in these variables is invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "rephysco");
  if (platform === "darwin") return join(home, "Library", "Caches", "rephysco");
  if (platform === "win32") {
    const local = nonEmpty(env.LOCALAPPDATA) ?? join(home, "AppData", "Local");
    return join(local, "rephysco", "Cache");
  }
  return join(home, ".cache", "rephysco");
}

let cacachePromise: Promise<Cacache> | undefined;

// A specifier bundlers do not follow: apps that bundle core but never use the disk cache ship
// none of cacache and its dependencies. Node resolves it from core's own dependencies at run time.
const CACACHE = "cacache";

// Loaded on first use, so that importing @rephysco/core never loads cacache and its dependencies.
function loadCacache(): Promise<Cacache> {
  cacachePromise ??= import(/* @vite-ignore */ CACACHE).then(
    (mod) => ((mod as { default?: unknown }).default ?? mod) as Cacache,
  );
  return cacachePromise;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isExpired(metadata: unknown, now: number): boolean | "invalid" {
  if (!metadata || typeof metadata !== "object") return "invalid";
  const expiresAt = (metadata as Partial<EntryMetadata>).expiresAt;
  if (expiresAt === null) return false;
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) return "invalid";
  return expiresAt <= now;
}

function checkTtl(name: string, ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !(ttlMs >= 0)) {
    throw new TypeError(`fileStore: ${name} must be a number of ms >= 0, got ${ttlMs}.`);
  }
}

/**
 * Where cacache keeps the content of `integrity` (`content-v2/<algo>/<2 hex>/<2 hex>/<rest>`).
 * cacache has no option for file modes, so `set` tightens them on these paths after each write.
 */
function contentPath(dir: string, integrity: string): string {
  const [algorithm, base64] = integrity.split(/-(.*)/s, 2);
  const hex = Buffer.from(base64 ?? "", "base64").toString("hex");
  return join(dir, "content-v2", algorithm ?? "", hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/** Where cacache keeps the index bucket of `key` (`index-v5/<2 hex>/<2 hex>/<rest of sha256(key)>`). */
function bucketPath(dir: string, key: string): string {
  const hex = createHash("sha256").update(key).digest("hex");
  return join(dir, "index-v5", hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

async function chmodIfPresent(path: string, mode: number): Promise<void> {
  try {
    await chmod(path, mode);
  } catch (error) {
    // Another process may have removed or replaced it in the meantime; its own writer fixes its modes.
    if (errorCode(error) !== "ENOENT") throw error;
  }
}

/** Sets `file` to 0600 and every directory between it and `root` to 0700. */
async function tighten(root: string, file: string, done: Set<string>): Promise<void> {
  await chmodIfPresent(file, FILE_MODE);
  const rel = relative(root, dirname(file));
  if (rel.startsWith("..") || isAbsolute(rel)) return;
  let current = root;
  for (const part of rel === "" ? [] : rel.split(sep)) {
    current = join(current, part);
    if (done.has(current)) continue;
    done.add(current);
    await chmodIfPresent(current, DIR_MODE);
  }
}

/** Sets every directory under `root` to 0700 and every file to 0600 (after `verify` rewrote them). */
async function tightenTree(root: string): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  for (const e of entries) {
    const parent = (e as { parentPath?: string; path?: string }).parentPath ?? e.path;
    await chmodIfPresent(join(parent, e.name), e.isDirectory() ? DIR_MODE : FILE_MODE);
  }
}

/**
 * A {@link CacheStore} on disk, built on `cacache` (npm's content-addressable cache): atomic
 * writes, an integrity hash checked on every read, safe when several processes share the
 * directory. The directory is 0700 and its files 0600. An expired entry is not served and is
 * removed; a corrupt or unreadable one (integrity failure, bad JSON, not a cache entry) is a miss
 * and is removed. This is what `cache: true` uses.
 *
 * @example
 * ```ts
 * const client = new LLMClient({ provider: "openai", cache: fileStore({ ttlMs: 86_400_000 }) });
 * await fileStore().clear(); // empty the default cache directory
 * ```
 */
export function fileStore(options: FileStoreOptions = {}): FileStore {
  checkTtl("ttlMs", options.ttlMs);
  const dir = resolve(options.dir ?? defaultCacheDir());
  const defaultTtl = options.ttlMs;

  async function ensureRoot(): Promise<void> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    // mkdir leaves an existing directory as it was, and its mode is filtered by the umask.
    await chmod(dir, DIR_MODE);
  }

  // Removes a bad or expired entry: its content, then its index entry unless another writer
  // replaced the entry meanwhile (their fresh answer must not go with it). Content is unique to
  // its key (the stored record holds the key), so this never takes content from another key.
  // Returns whether a newer entry is there to read instead.
  async function discard(cacache: Cacache, key: string, integrity: string): Promise<boolean> {
    await cacache.rm.content(dir, integrity);
    const current = await cacache.get.info(dir, key, { memoize: false });
    if (current && current.integrity !== integrity) return true;
    if (current) await cacache.rm.entry(dir, key, { removeFully: true });
    return false;
  }

  // One read of the latest entry: the entry, or "bad" when it is expired or unusable.
  async function read(
    cacache: Cacache,
    key: string,
    info: IndexEntry,
  ): Promise<CacheEntry | "bad"> {
    if (isExpired(info.metadata, Date.now()) !== false) return "bad";
    let data: Buffer;
    try {
      data = await cacache.get.byDigest(dir, info.integrity, { memoize: false });
    } catch (error) {
      const code = errorCode(error);
      // Missing or tampered content is a miss; anything else (EACCES, EIO) is the store failing.
      if (code !== "ENOENT" && code !== "EINTEGRITY" && code !== "EBADSIZE") throw error;
      return "bad";
    }
    let record: Partial<StoredRecord> | undefined;
    try {
      record = JSON.parse(data.toString("utf8")) as Partial<StoredRecord>;
    } catch {
      return "bad";
    }
    return record && record.key === key && isCacheEntry(record.entry) ? record.entry : "bad";
  }

  return {
    dir,

    async get(key) {
      const cacache = await loadCacache();
      // A writer replacing the entry removes the old content: a reader that saw the old index
      // line then finds no content, and reads the new entry instead (a few times at most).
      for (let attempt = 0; attempt < 3; attempt++) {
        const info = await cacache.get.info(dir, key, { memoize: false });
        if (!info) return undefined;
        const entry = await read(cacache, key, info);
        if (entry !== "bad") return entry;
        if (!(await discard(cacache, key, info.integrity))) return undefined;
      }
      return undefined;
    },

    async set(key, value, ttlMs) {
      checkTtl("set ttlMs", ttlMs);
      const cacache = await loadCacache();
      const ttl = ttlMs || defaultTtl;
      const metadata: EntryMetadata = {
        expiresAt: ttl && Number.isFinite(ttl) ? Date.now() + ttl : null,
      };
      const record: StoredRecord = { key, entry: value };
      await ensureRoot();
      const previous = await cacache.get.info(dir, key, { memoize: false });
      const integrity = String(await cacache.put(dir, key, JSON.stringify(record), { metadata }));
      const done = new Set<string>();
      await tighten(dir, contentPath(dir, integrity), done);
      await tighten(dir, bucketPath(dir, key), done);
      await chmodIfPresent(join(dir, "tmp"), DIR_MODE);
      // The replaced answer's content belongs to this key alone: drop it now rather than leave
      // it for prune(). Should a concurrent writer have just stored that same content again, its
      // entry reads as a miss (content missing), never as a wrong answer.
      if (previous && previous.integrity !== integrity)
        await cacache.rm.content(dir, previous.integrity);
    },

    async delete(key) {
      const cacache = await loadCacache();
      const info = await cacache.get.info(dir, key, { memoize: false });
      if (!info) return false;
      await cacache.rm.entry(dir, key, { removeFully: true });
      await cacache.rm.content(dir, info.integrity);
      return true;
    },

    async clear() {
      const cacache = await loadCacache();
      await cacache.rm.all(dir);
    },

    async prune() {
      const cacache = await loadCacache();
      await ensureRoot();
      const now = Date.now();
      const stats = await cacache.verify(dir, {
        filter: (entry) => isExpired(entry.metadata, now) === false,
      });
      await tightenTree(dir);
      return { kept: stats.totalEntries ?? 0, removed: stats.rejectedEntries ?? 0 };
    },
  };
}
