import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import {
  chmod,
  chown,
  link,
  lstat,
  mkdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import cacache from "cacache";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type CacheEntry, defaultCacheDir, type FileStore, fileStore } from "../src/index.js";

const run = promisify(execFile);
const coreDir = fileURLToPath(new URL("..", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const answer = (content: string): CacheEntry => ({
  v: 1,
  kind: "response",
  response: {
    content,
    model: "m-1",
    provider: "p",
    usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
    finishReason: "stop",
  },
});

const streamed: CacheEntry = {
  v: 1,
  kind: "parts",
  provider: "openai",
  parts: [
    { type: "reasoning", text: "thinking" },
    { type: "text", text: "Hel" },
    { type: "text", text: "lo" },
    {
      type: "finish",
      reason: "stop",
      usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    },
  ],
};

/** Every path under `root` with its permission bits. */
function modes(root: string): { path: string; dir: boolean; mode: number }[] {
  return readdirSync(root, { recursive: true, withFileTypes: true }).map((e) => {
    const path = join(e.parentPath, e.name);
    return { path, dir: e.isDirectory(), mode: statSync(path).mode & 0o777 };
  });
}

function expectPrivate(root: string): void {
  expect(statSync(root).mode & 0o777).toBe(0o700);
  const all = modes(root);
  expect(all.some((e) => !e.dir)).toBe(true);
  for (const e of all)
    expect({ path: e.path, mode: e.mode.toString(8) }).toEqual({
      path: e.path,
      mode: e.dir ? "700" : "600",
    });
}

let dir: string;
let store: FileStore;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), "rephysco-fs-")), "cache");
  store = fileStore({ dir });
});

afterEach(async () => {
  vi.useRealTimers();
  await rm(join(dir, ".."), { recursive: true, force: true });
});

describe("defaultCacheDir", () => {
  it("prefers REPHYSCO_CACHE_DIR, then an absolute XDG_CACHE_HOME, then the platform's cache directory", () => {
    const home = "/home/ada";
    expect(
      defaultCacheDir({
        env: { REPHYSCO_CACHE_DIR: "/srv/c", XDG_CACHE_HOME: "/x" },
        homedir: home,
      }),
    ).toBe("/srv/c");
    expect(
      defaultCacheDir({ env: { XDG_CACHE_HOME: "/x" }, platform: "linux", homedir: home }),
    ).toBe("/x/rephysco");
    expect(
      defaultCacheDir({ env: { XDG_CACHE_HOME: "relative" }, platform: "linux", homedir: home }),
    ).toBe("/home/ada/.cache/rephysco");
    expect(
      defaultCacheDir({ env: { REPHYSCO_CACHE_DIR: " " }, platform: "linux", homedir: home }),
    ).toBe("/home/ada/.cache/rephysco");
    expect(defaultCacheDir({ env: {}, platform: "darwin", homedir: home })).toBe(
      "/home/ada/Library/Caches/rephysco",
    );
    expect(defaultCacheDir({ env: { LOCALAPPDATA: "/L" }, platform: "win32", homedir: home })).toBe(
      join("/L", "rephysco", "Cache"),
    );
    expect(defaultCacheDir({ env: {}, platform: "win32", homedir: home })).toBe(
      join(home, "AppData", "Local", "rephysco", "Cache"),
    );
  });

  it("fileStore() resolves the directory when it is created", () => {
    const before = process.env.REPHYSCO_CACHE_DIR;
    try {
      process.env.REPHYSCO_CACHE_DIR = dir;
      const s = fileStore();
      process.env.REPHYSCO_CACHE_DIR = join(dir, "elsewhere");
      expect(s.dir).toBe(dir);
    } finally {
      if (before === undefined) delete process.env.REPHYSCO_CACHE_DIR;
      else process.env.REPHYSCO_CACHE_DIR = before;
    }
  });

  it("rejects a negative default ttl", () => {
    expect(() => fileStore({ dir, ttlMs: -1 })).toThrow(TypeError);
  });
});

describe("fileStore", () => {
  it("misses, then hits with the exact entry (answers and streams)", async () => {
    expect(await store.get("k1")).toBeUndefined();
    await store.set("k1", answer("hello"));
    await store.set("k2", streamed);
    expect(await store.get("k1")).toEqual(answer("hello"));
    expect(await store.get("k2")).toEqual(streamed);
    expect(await fileStore({ dir }).get("k2")).toEqual(streamed);
  });

  it("overwrites an entry, removing the replaced content", async () => {
    await store.set("k", answer("one"));
    const old = await cacache.get.info(dir, "k");
    await store.set("k", answer("two"));
    expect(await store.get("k")).toEqual(answer("two"));
    expect(await cacache.get.hasContent(dir, old!.integrity)).toBe(false);
    await store.set("k", answer("two"), 5000);
    expect(await store.get("k")).toEqual(answer("two"));
  });

  it("a missing directory is a miss and is not created by reads", async () => {
    expect(await store.get("k")).toBeUndefined();
    expect(await store.delete("k")).toBe(false);
    await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("delete removes the entry and its content", async () => {
    await store.set("k", answer("bye"));
    const info = await cacache.get.info(dir, "k");
    expect(await store.delete("k")).toBe(true);
    expect(await store.get("k")).toBeUndefined();
    expect(await cacache.get.hasContent(dir, info!.integrity)).toBe(false);
  });

  it("makes the directory 0700 and every file 0600", async () => {
    await store.set("a", answer("x"));
    await store.set("b", streamed);
    await store.get("a");
    expectPrivate(dir);
  });

  it("tightens an existing directory that was created with looser permissions", async () => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await store.set("a", answer("x"));
    expectPrivate(dir);
  });

  describe("expiry", () => {
    it("serves an entry until its ttl passes, then misses and removes it", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const start = Date.now();
      await store.set("k", answer("short-lived"), 1000);
      vi.setSystemTime(start + 999);
      expect(await store.get("k")).toEqual(answer("short-lived"));
      const info = await cacache.get.info(dir, "k");
      vi.setSystemTime(start + 1000);
      expect(await store.get("k")).toBeUndefined();
      expect(await cacache.get.info(dir, "k")).toBeNull();
      expect(await cacache.get.hasContent(dir, info!.integrity)).toBe(false);
    });

    it("uses the store's default ttl when set gets none, and the call's ttl when given", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const start = Date.now();
      const s = fileStore({ dir, ttlMs: 500 });
      await s.set("default", answer("d"));
      await s.set("explicit", answer("e"), 5000);
      vi.setSystemTime(start + 600);
      expect(await s.get("default")).toBeUndefined();
      expect(await s.get("explicit")).toEqual(answer("e"));
    });

    it("keeps entries without a ttl", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      await store.set("k", answer("forever"));
      vi.setSystemTime(Date.now() + 10 * 365 * 86_400_000);
      expect(await store.get("k")).toEqual(answer("forever"));
    });
  });

  describe("corrupt entries are misses and are removed", () => {
    async function contentFile(key: string): Promise<{ path: string; integrity: string }> {
      const info = await cacache.get.info(dir, key);
      if (!info) throw new Error(`no entry for ${key}`);
      return { path: info.path, integrity: info.integrity };
    }

    async function expectGone(key: string, integrity: string): Promise<void> {
      expect(await cacache.get.info(dir, key)).toBeNull();
      expect(await cacache.get.hasContent(dir, integrity)).toBe(false);
    }

    it("content changed on disk (integrity failure)", async () => {
      await store.set("k", answer("original"));
      const { path, integrity } = await contentFile("k");
      const bytes = await readFile(path, "utf8");
      await writeFile(path, bytes.replace("original", "tampered"));
      expect(await store.get("k")).toBeUndefined();
      await expectGone("k", integrity);
      await store.set("k", answer("again"));
      expect(await store.get("k")).toEqual(answer("again"));
    });

    it("content truncated", async () => {
      await store.set("k", answer("original"));
      const { path, integrity } = await contentFile("k");
      await truncate(path, 5);
      expect(await store.get("k")).toBeUndefined();
      await expectGone("k", integrity);
    });

    it("content file deleted", async () => {
      await store.set("k", answer("original"));
      const { path } = await contentFile("k");
      await rm(path);
      expect(await store.get("k")).toBeUndefined();
      expect(await cacache.get.info(dir, "k")).toBeNull();
    });

    it("content that is not JSON, not a cache entry, or filed under another key", async () => {
      await mkdir(dir, { recursive: true });
      const meta = { metadata: { expiresAt: null } };
      await cacache.put(dir, "not-json", "{ this is not json", meta);
      await cacache.put(
        dir,
        "not-entry",
        JSON.stringify({ key: "not-entry", entry: { v: 2, kind: "response" } }),
        meta,
      );
      await cacache.put(
        dir,
        "other-key",
        JSON.stringify({ key: "someone-else", entry: answer("x") }),
        meta,
      );
      for (const key of ["not-json", "not-entry", "other-key"]) {
        const { integrity } = await contentFile(key);
        expect(await store.get(key)).toBeUndefined();
        await expectGone(key, integrity);
      }
    });

    it("index metadata without a valid expiry", async () => {
      await mkdir(dir, { recursive: true });
      await cacache.put(dir, "k", JSON.stringify({ key: "k", entry: answer("x") }), {
        metadata: { expiresAt: "soon" },
      });
      expect(await store.get("k")).toBeUndefined();
      expect(await cacache.get.info(dir, "k")).toBeNull();
    });

    it("a garbled index file is a miss, not a crash", async () => {
      await store.set("k", answer("x"));
      const buckets = modes(join(dir, "index-v5")).filter((e) => !e.dir);
      expect(buckets).toHaveLength(1);
      await writeFile(buckets[0]!.path, "\n\u0000garbage\tnot an index line\n");
      expect(await store.get("k")).toBeUndefined();
      await store.set("k", answer("y"));
      expect(await store.get("k")).toEqual(answer("y"));
    });
  });

  it("a store whose directory cannot be used rejects (the client reports it), it does not throw synchronously", async () => {
    const file = join(dir, "..", "a-file");
    await writeFile(file, "not a directory");
    const s = fileStore({ dir: file });
    await expect(s.set("k", answer("x"))).rejects.toMatchObject({
      code: expect.stringMatching(/^E/),
    });
    await expect(s.get("k")).rejects.toBeInstanceOf(Error);
  });

  it("clear removes every entry and every content file", async () => {
    await store.set("a", answer("1"));
    await store.set("b", streamed);
    await store.clear();
    expect(await store.get("a")).toBeUndefined();
    expect(await store.get("b")).toBeUndefined();
    expect(
      readdirSync(dir).filter((n) => n.startsWith("content-") || n.startsWith("index-")),
    ).toEqual([]);
    await store.set("a", answer("after"));
    expect(await store.get("a")).toEqual(answer("after"));
    expectPrivate(dir);
  });

  it("clear on a directory that does not exist is a no-op", async () => {
    await expect(store.clear()).resolves.toBeUndefined();
  });

  it("prune removes expired entries and orphaned content, keeps the rest, and keeps modes private", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    await store.set("live", answer("live"));
    await store.set("later", answer("later"), 60_000);
    await store.set("dead", answer("dead"), 1000);
    const dead = await cacache.get.info(dir, "dead");
    // Content with no index entry, as a crashed writer would leave.
    const orphan = await cacache.put(dir, "orphan", "orphan bytes");
    await cacache.rm.entry(dir, "orphan");
    vi.setSystemTime(start + 2000);
    const result = await store.prune();
    expect(result).toEqual({ kept: 2, removed: 1 });
    expect(await cacache.get.info(dir, "dead")).toBeNull();
    expect(await cacache.get.hasContent(dir, dead!.integrity)).toBe(false);
    expect(await cacache.get.hasContent(dir, orphan)).toBe(false);
    expect(await store.get("live")).toEqual(answer("live"));
    expect(await store.get("later")).toEqual(answer("later"));
    expectPrivate(dir);
  });

  describe("maintenance touches only what the store wrote", () => {
    // Victims outside the cache directory, with modes a chmod would visibly change.
    let outside: { file: string; folder: string; inner: string };

    beforeEach(async () => {
      const base = join(dir, "..", "outside");
      const folder = join(base, "open");
      await mkdir(folder, { recursive: true });
      await chmod(folder, 0o777);
      const file = join(base, "setuid-tool");
      await writeFile(file, "#!/bin/sh\necho precious\n");
      await chmod(file, 0o4755);
      const inner = join(folder, "kept.sh");
      await writeFile(inner, "kept");
      await chmod(inner, 0o755);
      outside = { file, folder, inner };
    });

    const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

    async function expectOutsideUntouched(): Promise<void> {
      expect((await modeOf(outside.file)).toString(8)).toBe("4755");
      expect((await modeOf(outside.folder)).toString(8)).toBe("777");
      expect((await modeOf(outside.inner)).toString(8)).toBe("755");
      expect(await readFile(outside.file, "utf8")).toBe("#!/bin/sh\necho precious\n");
      expect(await readFile(outside.inner, "utf8")).toBe("kept");
    }

    /** Where cacache files the index of `key`. */
    function bucketOf(key: string): string {
      const hex = createHash("sha256").update(key).digest("hex");
      return join(dir, "index-v5", hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    }

    it("prune rejects, removing nothing, when a store folder holds links, and never changes what they point to", async () => {
      await store.set("a", answer("a"));
      await store.set("b", streamed);
      const fileLink = join(bucketOf("a"), "..", "planted");
      const dirLink = join(dir, "content-v2", "sha512", "planted");
      await symlink(outside.file, fileLink);
      await symlink(outside.folder, dirLink);
      await expect(store.prune()).rejects.toThrow(
        /2 entries the store did not write: .*planted \(a symbolic link\), .*planted \(a symbolic link\)/,
      );
      await expectOutsideUntouched();
      expect((await lstat(fileLink)).isSymbolicLink()).toBe(true);
      expect((await lstat(dirLink)).isSymbolicLink()).toBe(true);
      expect(await store.get("a")).toEqual(answer("a"));

      await rm(fileLink);
      await rm(dirLink);
      expect(await store.prune()).toEqual({ kept: 2, removed: 0 });
      expect(await store.get("b")).toEqual(streamed);
      expectPrivate(dir);
    });

    it("never writes through a link at an index file's own path (verify truncates and appends there)", async () => {
      await store.set("k", answer("x"));
      const bucket = bucketOf("k");
      // The entry's index line stays readable in a sibling file; its own path leads elsewhere.
      await rename(bucket, `${bucket}-moved`);
      const victim = join(dir, "..", "outside", "victim.txt");
      await writeFile(victim, "precious");
      await symlink(victim, bucket);
      await expect(store.prune()).rejects.toThrow(/a symbolic link/);
      expect(await readFile(victim, "utf8")).toBe("precious");
    });

    it("never writes through a linked _lastverified stamp", async () => {
      await store.set("k", answer("x"));
      const victim = join(dir, "..", "outside", "victim.txt");
      await writeFile(victim, "precious");
      await symlink(victim, join(dir, "_lastverified"));
      await expect(store.prune()).rejects.toThrow(/_lastverified \(a symbolic link\)/);
      expect(await readFile(victim, "utf8")).toBe("precious");
    });

    it("leaves a tmp/ that is a link, and what it points to, as they are", async () => {
      await store.set("k", answer("x"));
      await rm(join(dir, "tmp"), { recursive: true, force: true });
      await symlink(outside.folder, join(dir, "tmp"));
      await expect(store.prune()).rejects.toThrow(/tmp \(a symbolic link\)/);
      expect((await lstat(join(dir, "tmp"))).isSymbolicLink()).toBe(true);
      await expectOutsideUntouched();
    });

    it("leaves another user's file in tmp/, the index or the content as it is (needs root to chown)", async () => {
      await store.set("k", answer("x"));
      const planted = [
        join(dir, "tmp", "someone-elses"),
        join(bucketOf("k"), "..", "someone-elses"),
        join(dir, "content-v2", "sha512", "someone-elses"),
      ];
      for (const path of planted) {
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, "theirs");
        await chown(path, 1, 1);
        await chmod(path, 0o755);
      }
      await expect(store.prune()).rejects.toThrow(/3 entries .*\(owned by uid 1\)/);
      for (const path of planted) {
        const st = await stat(path);
        expect({ uid: st.uid, mode: (st.mode & 0o7777).toString(8) }).toEqual({
          uid: 1,
          mode: "755",
        });
        expect(await readFile(path, "utf8")).toBe("theirs");
      }
    });

    it("never changes the mode of a file hard-linked into the store", async () => {
      await store.set("k", answer("x"));
      await link(outside.file, join(dir, "content-v2", "sha512", "hard"));
      await expect(store.prune()).rejects.toThrow(/hard \(a file with other hard links\)/);
      await expectOutsideUntouched();
    });

    it("keeps the modes of files in the directory that are not the store's", async () => {
      await store.set("k", answer("x"));
      await writeFile(join(dir, "run.sh"), "#!/bin/sh\n");
      await chmod(join(dir, "run.sh"), 0o755);
      await mkdir(join(dir, "notes"));
      await chmod(join(dir, "notes"), 0o755);
      await writeFile(join(dir, "notes", "todo.sh"), "#!/bin/sh\n");
      await chmod(join(dir, "notes", "todo.sh"), 0o755);
      await symlink(outside.file, join(dir, "tool"));
      expect(await store.prune()).toEqual({ kept: 1, removed: 0 });
      expect((await modeOf(join(dir, "run.sh"))).toString(8)).toBe("755");
      expect((await modeOf(join(dir, "notes"))).toString(8)).toBe("755");
      expect((await modeOf(join(dir, "notes", "todo.sh"))).toString(8)).toBe("755");
      await expectOutsideUntouched();
      expect(await store.get("k")).toEqual(answer("x"));
    });

    it("prune rejects a cache directory owned by another user and changes nothing in it (needs root to chown)", async () => {
      await store.set("k", answer("x"));
      await symlink(outside.file, join(dir, "index-v5", "planted"));
      await chown(dir, 1, 1);
      await chmod(dir, 0o755);
      await expect(store.prune()).rejects.toThrow(
        /it is owned by uid 1 \(this process runs as uid 0\)/,
      );
      expect((await modeOf(dir)).toString(8)).toBe("755");
      await expectOutsideUntouched();
      expect(await store.get("k")).toEqual(answer("x"));
    });

    it("set never changes modes through a link where the store keeps files", async () => {
      await mkdir(dir, { recursive: true });
      await symlink(outside.folder, join(dir, "tmp"));
      await store.set("k", answer("x"));
      expect(await store.get("k")).toEqual(answer("x"));
      await expectOutsideUntouched();
    });

    it("a cache directory reached through a link the user configured is still made private", async () => {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await chmod(dir, 0o755);
      const configured = join(dir, "..", "configured-link");
      await symlink(dir, configured);
      const linked = fileStore({ dir: configured });
      await linked.set("k", answer("x"));
      expectPrivate(dir);
      expect(await linked.prune()).toEqual({ kept: 1, removed: 0 });
      expectPrivate(dir);
    });
  });

  it("several processes writing and reading the same keys in one directory all succeed", async () => {
    // Needs the built package (the child processes import @rephysco/core from dist).
    const writers = ["w0", "w1", "w2", "w3"];
    const results = await Promise.all(
      writers.map(async (w) => {
        const { stdout } = await run(
          process.execPath,
          [fixture("file-store-writer.mjs"), dir, w, "6", "5"],
          { cwd: coreDir },
        );
        return JSON.parse(stdout) as {
          writer: string;
          writes: number;
          hits: number;
          problems: unknown[];
        };
      }),
    );
    for (const r of results) {
      expect(r.problems).toEqual([]);
      expect(r.writes).toBe(30);
      expect(r.hits).toBeGreaterThan(0);
    }
    for (let k = 0; k < 5; k++) {
      const got = await store.get(`shared-key-${k}`);
      expect(got).toMatchObject({ v: 1, kind: "response" });
      expect(got?.kind === "response" && got.response.content).toMatch(
        new RegExp(`^answer ${k} from writer w[0-3] round \\d `),
      );
    }
    expectPrivate(dir);
  }, 30_000);

  it("importing @rephysco/core does not load cacache; using fileStore does", async () => {
    const { stdout } = await run(process.execPath, [fixture("lazy-cacache.mjs"), dir], {
      cwd: coreDir,
    });
    expect(JSON.parse(stdout)).toEqual({ afterImport: false, afterUse: true });
  }, 30_000);

  it("importing @rephysco/core loads neither lru-cache nor node:crypto; caching does", async () => {
    const { stdout } = await run(process.execPath, [fixture("lazy-lru.mjs")], { cwd: coreDir });
    expect(JSON.parse(stdout)).toEqual({
      afterImport: { lru: false, crypto: false },
      afterUse: { lru: true, crypto: true },
    });
  }, 30_000);
});
