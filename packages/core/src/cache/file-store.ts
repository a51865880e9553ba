import { constants as fsConstants, type Stats } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readdir, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { nodeCrypto } from "../lazy.js";
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
   *
   * It maintains only what the store writes: the folders `index-v5`, `content-v2` and `tmp` and
   * the `_lastverified` stamp of a directory the current user owns; it never follows a symbolic
   * link and leaves every other file in the directory as it is. It rejects, removing nothing,
   * when the directory belongs to another user, or when those folders hold anything the store
   * did not write (a symbolic link, a pipe or device, a file with other hard links, an entry of
   * another user); the error names them.
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
  const hex = nodeCrypto().createHash("sha256").update(key).digest("hex");
  return join(dir, "index-v5", hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/** The folders cacache writes in the cache directory: maintenance touches nothing else there. */
const CACACHE_FOLDERS = ["index-v5", "content-v2", "tmp"] as const;
/** The timestamp file `cacache.verify` writes in the cache directory. */
const VERIFY_STAMP = "_lastverified";

// Modes mean little on Windows (chmod only toggles read-only), and Node has no O_NOFOLLOW there.
const POSIX_MODES = process.platform !== "win32";
// Opened only to change the mode through the handle: never through a link (O_NOFOLLOW), never
// blocking on a pipe, never becoming a controlling terminal.
const OPEN_TO_CHMOD =
  fsConstants.O_RDONLY |
  (fsConstants.O_NOFOLLOW ?? 0) |
  (fsConstants.O_NONBLOCK ?? 0) |
  (fsConstants.O_NOCTTY ?? 0);

/** An entry in the store's folders that the store did not write, and why it is not the store's. */
interface Foreign {
  readonly path: string;
  readonly why: string;
}

/** Why `stats` (from `lstat`) cannot be something the store wrote; `undefined` when it can be. */
function foreignReason(stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) return "a symbolic link";
  if (!stats.isFile() && !stats.isDirectory()) return "not a regular file or directory";
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return `owned by uid ${stats.uid}`;
  // cacache's files have one name once a write is done; another name may be anyone's file.
  if (stats.isFile() && stats.nlink > 1) return "a file with other hard links";
  return undefined;
}

/** What {@link claim} found: gone, one of ours (now tightened), or something to leave alone. */
type Claim = "gone" | "dir" | "file" | { readonly foreign: string };

/**
 * Looks at `path` without following a link and, when it is a directory or a regular file of the
 * current user, sets it to 0700 / 0600 through a handle opened with O_NOFOLLOW and checked to be
 * the same inode, so a link or another file swapped in after the look is never changed.
 * Anything else is left exactly as it is and reported.
 */
async function claim(path: string): Promise<Claim> {
  let seen: Stats;
  try {
    seen = await lstat(path);
  } catch (error) {
    // Another process may have removed it in the meantime.
    if (errorCode(error) === "ENOENT") return "gone";
    throw error;
  }
  const why = foreignReason(seen);
  if (why) return { foreign: why };
  const kind = seen.isDirectory() ? "dir" : "file";
  const mode = kind === "dir" ? DIR_MODE : FILE_MODE;
  if (!POSIX_MODES || (seen.mode & 0o7777) === mode) return kind;
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_TO_CHMOD);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return "gone";
    if (code === "ELOOP") return { foreign: "a symbolic link" };
    // One of ours that we may not even read (it was not written by cacache): leave its mode.
    if (code === "EACCES") return kind;
    throw error;
  }
  try {
    const now = await handle.stat();
    if (now.dev !== seen.dev || now.ino !== seen.ino) return { foreign: "replaced while checked" };
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
  return kind;
}

/**
 * Claims `path` and, when it is a directory of ours, everything under it, depth first; collects
 * what is not ours without going into it. A directory is tightened before it is read, so that
 * (inside a 0700 root of ours) no other user can change what is under it while we walk it.
 */
async function claimTree(path: string, foreign: Foreign[], expected?: "dir" | "file") {
  const found = await claim(path);
  if (found === "gone") return;
  if (typeof found === "object") {
    foreign.push({ path, why: found.foreign });
    return;
  }
  if (expected && found !== expected) {
    foreign.push({ path, why: expected === "dir" ? "not a directory" : "not a regular file" });
    return;
  }
  if (found !== "dir") return;
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    throw error;
  }
  for (const name of names) await claimTree(join(path, name), foreign);
}

/** Tightens what the store writes under `root` (see {@link CACACHE_FOLDERS}); returns the rest. */
async function claimStoreFiles(root: string): Promise<Foreign[]> {
  const foreign: Foreign[] = [];
  for (const name of CACACHE_FOLDERS) await claimTree(join(root, name), foreign, "dir");
  await claimTree(join(root, VERIFY_STAMP), foreign, "file");
  return foreign;
}

/**
 * Tightens every directory from `root` down to `file`, then `file`, each only if it is ours and
 * not a link; stops at the first that is not (nothing under a link or a foreign directory is the
 * store's to change). `seen` remembers directories across calls of one write.
 */
async function tighten(root: string, file: string, seen: Map<string, Claim>): Promise<void> {
  const rel = relative(root, file);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return;
  let current = root;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    let found = seen.get(current);
    if (found === undefined) {
      found = await claim(current);
      seen.set(current, found);
    }
    if (found !== "dir") return;
  }
}

function notOurs(root: string, found: Exclude<Claim, "dir">): Error {
  const why =
    typeof found === "object"
      ? found.foreign
      : found === "gone"
        ? "removed while checked"
        : "not a directory";
  const uid = process.getuid?.();
  const runAs = uid === undefined ? "" : ` (this process runs as uid ${uid})`;
  return new Error(
    `fileStore.prune: not maintaining ${root}: it is ${why}${runAs}. ` +
      "Run prune as the user who owns the cache directory.",
  );
}

function refusal(root: string, foreign: readonly Foreign[]): Error {
  const shown = foreign
    .slice(0, 5)
    .map((f) => `${relative(root, f.path)} (${f.why})`)
    .join(", ");
  const more = foreign.length > 5 ? ` and ${foreign.length - 5} more` : "";
  return new Error(
    `fileStore.prune: not maintaining ${root}: its cache folders hold ${foreign.length} ` +
      `${foreign.length === 1 ? "entry" : "entries"} the store did not write: ${shown}${more}. ` +
      "Nothing was removed; move them out of the directory, then prune again.",
  );
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

  // Creates the directory and makes it 0700 when it is ours (mkdir leaves an existing directory
  // as it was, and its mode is filtered by the umask). `dir` may be a link the user configured;
  // its target is the directory. Returns the target's path and what claim found there.
  async function ensureRoot(): Promise<{ root: string; found: Claim }> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const root = await realpath(dir);
    return { root, found: await claim(root) };
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
      const seen = new Map<string, Claim>();
      await tighten(dir, contentPath(dir, integrity), seen);
      await tighten(dir, bucketPath(dir, key), seen);
      await tighten(dir, join(dir, "tmp"), seen);
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
      const { root, found } = await ensureRoot();
      // Another user could swap anything in their directory for a link at any moment, and
      // cacache.verify works by path (it truncates and appends to index files, writes its stamp,
      // removes tmp/): only a directory of ours, now 0700, holds still while it runs.
      if (found !== "dir") throw notOurs(root, found);
      // verify would write through a link planted in the index (truncate, appendFile), overwrite
      // what a linked _lastverified points to, and remove a tmp/ that is not ours with all it
      // holds; it has no option to skip entries, so it runs only when there are none to skip.
      const foreign = await claimStoreFiles(root);
      if (foreign.length > 0) throw refusal(root, foreign);
      const now = Date.now();
      const stats = await cacache.verify(root, {
        filter: (entry) => isExpired(entry.metadata, now) === false,
      });
      // verify rewrote index files and wrote its stamp with the umask's modes. Anything foreign
      // now appeared while verify ran, so was put there by this same user: it is left alone.
      await claimStoreFiles(root);
      return { kept: stats.totalEntries ?? 0, removed: stats.rejectedEntries ?? 0 };
    },
  };
}
