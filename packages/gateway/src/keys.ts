import { createHash, randomBytes } from "node:crypto";
import { unwatchFile, watchFile } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { isRecord } from "./config.js";

/** Budget periods of a key, as UTC calendar periods (weeks start Monday). */
export type KeyBudgetPeriod = "minute" | "hour" | "day" | "week" | "month" | "total";

/** What one virtual key may do. Every field is optional: a key without limits is only a key. */
export interface VirtualKeyPolicy {
  /**
   * Models the key may ask for, as clients write them: `"fast"`, `"openai/gpt-4.1-mini"`, a
   * prefix pattern `"openai/*"`, or `"*"`. Absent: every model.
   */
  readonly models?: readonly string[];
  /** Rate limit of the key: requests and/or tokens per window (default window 60 s). */
  readonly rateLimit?: {
    readonly requests?: number;
    readonly tokens?: number;
    readonly windowMs?: number;
  };
  /** Spending cap of the key, in USD or tokens (exactly one), per period (default `"total"`). */
  readonly budget?: {
    readonly usd?: number;
    readonly tokens?: number;
    readonly period?: KeyBudgetPeriod;
  };
  /**
   * Whether this key's requests share cached answers with other keys. Absent: the gateway's
   * `keys.shareCache` (default `true`).
   */
  readonly shareCache?: boolean;
}

/** A key as stored: its hash (never the key), when it was made, its policy. */
export interface VirtualKeyRecord extends VirtualKeyPolicy {
  /** `sha256:` and the hex SHA-256 of the key. */
  readonly hash: string;
  /** The key's last four characters, to tell keys apart in listings. */
  readonly hint: string;
  /** ISO 8601 time of creation. */
  readonly createdAt: string;
}

/** The keys file: `{ "version": 1, "keys": { NAME: record } }`, written 0600. */
export interface KeysFile {
  readonly version: 1;
  readonly keys: Readonly<Record<string, VirtualKeyRecord>>;
}

/** A keys file that cannot be read, or a key operation that cannot be done; says what to fix. */
export class KeysFileError extends Error {
  /** The keys file. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = "KeysFileError";
    this.path = path;
  }
}

/** Prefix of every virtual key: tells them apart from provider keys at a glance. */
export const VIRTUAL_KEY_PREFIX = "rk-";
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HASH_RE = /^sha256:[0-9a-f]{64}$/;
const PERIODS: readonly KeyBudgetPeriod[] = ["minute", "hour", "day", "week", "month", "total"];
/** Longest rate window (the longest timer Node.js keeps). */
const MAX_WINDOW_MS = 2 ** 31 - 1;
/** Largest USD budget (counted in nano-dollars, which must stay exact integers). */
const MAX_USD = 1_000_000;
/** Largest keys file read (a file of ~100 k keys). */
const MAX_KEYS_FILE_BYTES = 32 * 1024 * 1024;

/** The stored form of a key: `sha256:` + hex. A key is 32 random bytes, so a plain hash is enough. */
export function hashVirtualKey(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** Checks a key name: 1-64 characters, letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function checkKeyName(name: string): void {
  if (!NAME_RE.test(name))
    throw new TypeError(
      `Invalid key name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
}

const isPositiveInt = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * Checks a key's policy; returns the first problem as a sentence naming the field, or
 * `undefined` when it is valid.
 */
export function policyProblem(p: unknown, stored = false): string | undefined {
  if (!isRecord(p)) return "must be an object";
  const fields = ["models", "rateLimit", "budget", "shareCache"];
  if (stored) fields.push("hash", "hint", "createdAt");
  for (const k of Object.keys(p)) if (!fields.includes(k)) return `unknown field "${k}"`;
  if (p.models !== undefined) {
    if (!Array.isArray(p.models) || p.models.length === 0)
      return "models must be a non-empty list of model names or patterns";
    for (const m of p.models)
      if (
        typeof m !== "string" ||
        m === "" ||
        (m.includes("*") && m !== "*" && !/^[^*]+\*$/.test(m))
      )
        return `models: ${JSON.stringify(m)} is not a model name, "prefix*" or "*"`;
  }
  if (p.rateLimit !== undefined) {
    const r = p.rateLimit;
    if (!isRecord(r)) return "rateLimit must be an object { requests?, tokens?, windowMs? }";
    for (const k of Object.keys(r))
      if (!["requests", "tokens", "windowMs"].includes(k)) return `rateLimit: unknown field "${k}"`;
    if (r.requests === undefined && r.tokens === undefined)
      return "rateLimit needs requests and/or tokens";
    for (const k of ["requests", "tokens", "windowMs"] as const)
      if (r[k] !== undefined && !isPositiveInt(r[k]))
        return `rateLimit.${k} must be a positive integer`;
    if (r.windowMs !== undefined && (r.windowMs as number) > MAX_WINDOW_MS)
      return `rateLimit.windowMs must be at most ${MAX_WINDOW_MS} (about 24.8 days)`;
  }
  if (p.budget !== undefined) {
    const b = p.budget;
    if (!isRecord(b)) return "budget must be an object { usd | tokens, period? }";
    for (const k of Object.keys(b))
      if (!["usd", "tokens", "period"].includes(k)) return `budget: unknown field "${k}"`;
    if ((b.usd === undefined) === (b.tokens === undefined))
      return "budget needs exactly one of usd and tokens";
    if (
      b.usd !== undefined &&
      !(typeof b.usd === "number" && Number.isFinite(b.usd) && b.usd > 0 && b.usd <= MAX_USD)
    )
      return `budget.usd must be a positive number of at most ${MAX_USD}`;
    if (b.tokens !== undefined && !isPositiveInt(b.tokens))
      return "budget.tokens must be a positive integer";
    if (b.period !== undefined && !PERIODS.includes(b.period as KeyBudgetPeriod))
      return `budget.period must be one of ${PERIODS.join(", ")}`;
  }
  if (p.shareCache !== undefined && typeof p.shareCache !== "boolean")
    return "shareCache must be true or false";
  return undefined;
}

function checkFile(path: string, value: unknown): KeysFile {
  if (!isRecord(value) || value.version !== 1 || !isRecord(value.keys))
    throw new KeysFileError(path, 'not a keys file: expected { "version": 1, "keys": { ... } }.');
  for (const [name, record] of Object.entries(value.keys)) {
    if (!NAME_RE.test(name))
      throw new KeysFileError(path, `invalid key name ${JSON.stringify(name)}.`);
    const problem = policyProblem(record, true);
    if (problem) throw new KeysFileError(path, `key "${name}": ${problem}.`);
    const r = record as Record<string, unknown>;
    if (typeof r.hash !== "string" || !HASH_RE.test(r.hash))
      throw new KeysFileError(path, `key "${name}": hash must be "sha256:" and 64 hex digits.`);
  }
  return value as unknown as KeysFile;
}

/**
 * Reads a keys file. A missing file is `undefined` (no keys configured: the gateway does not
 * authenticate); an unreadable or invalid one throws.
 *
 * @throws {KeysFileError} when the file cannot be read, is too large or is not a keys file.
 */
export async function readKeysFile(path: string): Promise<KeysFile | undefined> {
  let text: string;
  try {
    const s = await stat(path);
    if (s.size > MAX_KEYS_FILE_BYTES)
      throw new KeysFileError(path, `the keys file is larger than ${MAX_KEYS_FILE_BYTES} bytes.`);
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (error instanceof KeysFileError) throw error;
    throw new KeysFileError(path, `cannot read the keys file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new KeysFileError(path, `invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  return checkFile(path, value);
}

/** Writes the keys file atomically (a temporary file renamed over it), readable by its owner only. */
async function writeKeysFile(path: string, file: KeysFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** How long a lock file may live before it is taken as left behind by a crashed writer. */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `fn` holding `path.lock` (created exclusively): concurrent `keys create` / `revoke` take
 * turns instead of overwriting each other's change. Waits up to 10 s; a lock older than 30 s is
 * taken as left behind and removed.
 */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: "wx", mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = await stat(lock).then(
        (st) => Date.now() - st.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > until)
        throw new KeysFileError(
          path,
          `another process holds ${lock}; if none is running, remove that file.`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/**
 * Creates a virtual key named `name` in the keys file (created if missing) and returns the key:
 * it is shown this once and only its hash is stored.
 *
 * @throws {KeysFileError} when a key of that name exists or the file cannot be written.
 * @throws {TypeError} for an invalid name or policy (the message names the field).
 */
export async function createVirtualKey(
  path: string,
  name: string,
  policy: VirtualKeyPolicy = {},
): Promise<{ readonly key: string; readonly record: VirtualKeyRecord }> {
  checkKeyName(name);
  const problem = policyProblem(policy);
  if (problem) throw new TypeError(`Invalid policy of key "${name}": ${problem}.`);
  return withLock(path, async () => {
    const file = (await readKeysFile(path)) ?? { version: 1 as const, keys: {} };
    if (file.keys[name])
      throw new KeysFileError(
        path,
        `a key named "${name}" exists; revoke it first or pick another name.`,
      );
    const key = `${VIRTUAL_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const record: VirtualKeyRecord = {
      ...policy,
      hash: hashVirtualKey(key),
      hint: key.slice(-4),
      createdAt: new Date().toISOString(),
    };
    await writeKeysFile(path, { version: 1, keys: { ...file.keys, [name]: record } });
    return { key, record };
  });
}

/**
 * Revokes (deletes) the key named `name`. Running gateways stop accepting it within about a
 * second (they watch the file).
 *
 * @returns `false` when there was no such key.
 * @throws {KeysFileError} when the file cannot be read or written.
 */
export async function revokeVirtualKey(path: string, name: string): Promise<boolean> {
  return withLock(path, async () => {
    const file = await readKeysFile(path);
    if (!file?.keys[name]) return false;
    const { [name]: _gone, ...rest } = file.keys;
    await writeKeysFile(path, { version: 1, keys: rest });
    return true;
  });
}

/** A key the gateway accepted: its name and policy. */
export interface KeyIdentity {
  readonly name: string;
  readonly record: VirtualKeyRecord;
}

/** Whether `model` (as the client wrote it) matches one of a key's model patterns. */
export function modelAllowed(patterns: readonly string[] | undefined, model: string): boolean {
  if (!patterns) return true;
  for (const p of patterns) {
    if (p === "*" || p === model) return true;
    if (p.endsWith("*") && model.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

/**
 * The keys a gateway accepts, read from the keys file and re-read when it changes (polled about
 * once a second, so revocations reach every gateway sharing the file). A file that turns invalid
 * keeps the last valid keys and reports the problem.
 */
export class KeyRing {
  readonly #path: string;
  #byHash = new Map<string, KeyIdentity>();
  #enabled = false;
  #watching = false;
  #reloading: Promise<void> | undefined;
  readonly #onChange: (() => void) | undefined;
  readonly #onError: (error: unknown) => void;

  /**
   * @param path - the keys file.
   * @param hooks.onChange - called after a reload changed the keys.
   * @param hooks.onError - called when a reload failed (the previous keys stay).
   */
  constructor(
    path: string,
    hooks: { onChange?: () => void; onError?: (error: unknown) => void } = {},
  ) {
    this.#path = path;
    this.#onChange = hooks.onChange;
    this.#onError = hooks.onError ?? (() => undefined);
  }

  /** The keys file. */
  get path(): string {
    return this.#path;
  }

  /** `true` once the keys file exists: every request then needs a key (even with no keys left). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Every key's name and policy. */
  identities(): KeyIdentity[] {
    return [...this.#byHash.values()];
  }

  /** Reads the file now. @throws {KeysFileError} when it is invalid. */
  async load(): Promise<void> {
    const file = await readKeysFile(this.#path);
    const next = new Map<string, KeyIdentity>();
    for (const [name, record] of Object.entries(file?.keys ?? {}))
      next.set(record.hash, { name, record });
    this.#byHash = next;
    // Once keys were on, a deleted file does not turn authentication off.
    this.#enabled = this.#enabled || file !== undefined;
  }

  /** Starts polling the file for changes (unref'd: it never keeps the process alive). */
  watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    watchFile(this.#path, { interval: 1000, persistent: false }, this.#changed);
  }

  // Called when the file's stat changed (a new inode after a rename, size, times): re-read it.
  // Not only on a new mtime: two writes within one timestamp tick have the same one.
  readonly #changed = (): void => {
    this.#reloading = this.load()
      .then(() => this.#onChange?.())
      .catch((error: unknown) => this.#onError(error));
  };

  /** Stops polling and waits for a reload in progress. */
  async close(): Promise<void> {
    if (this.#watching) unwatchFile(this.#path, this.#changed);
    this.#watching = false;
    await this.#reloading;
  }

  /** The key an `Authorization` header carries, or `undefined` for none or an unknown key. */
  authenticate(authorization: string | undefined): KeyIdentity | undefined {
    if (!authorization) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return undefined;
    return this.#byHash.get(hashVirtualKey(m[1]!));
  }
}
