import { mkdtempSync } from "node:fs";
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FileStore, fileStore } from "@rephysco/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { flushClients, openaiClient, useMockServer } from "../helpers.js";

// `fileStore().prune()` is meant to run unattended (a cron job), possibly with more privileges
// than whoever can write into the directory. Whatever is planted in the cache directory, it must
// never change anything outside it, nor anything in it that the store did not write.

const ctx = useMockServer();

let base: string;
let dir: string;
let store: FileStore;
// Victims outside the cache: a setuid file and a world-writable folder with a file in it.
let victimFile: string;
let victimFolder: string;
let victimInner: string;

beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), "rephysco-maint-"));
  dir = join(base, "cache");
  store = fileStore({ dir });
  victimFile = join(base, "setuid-tool");
  await writeFile(victimFile, "#!/bin/sh\necho precious\n");
  await chmod(victimFile, 0o4755);
  victimFolder = join(base, "shared");
  await mkdir(victimFolder);
  await chmod(victimFolder, 0o777);
  victimInner = join(victimFolder, "notes.txt");
  await writeFile(victimInner, "kept");
  await chmod(victimInner, 0o644);
});

afterEach(async () => {
  await flushClients();
  await rm(base, { recursive: true, force: true });
});

const modeOf = async (path: string) => ((await stat(path)).mode & 0o7777).toString(8);

async function expectVictimsUntouched(): Promise<void> {
  expect(await modeOf(victimFile)).toBe("4755");
  expect(await modeOf(victimFolder)).toBe("777");
  expect(await modeOf(victimInner)).toBe("644");
  expect(await readFile(victimFile, "utf8")).toBe("#!/bin/sh\necho precious\n");
  expect(await readFile(victimInner, "utf8")).toBe("kept");
}

/** Two answers cached through a client, as an application would leave them. */
async function fillCache(): Promise<void> {
  const { server } = ctx;
  server.enqueue([{ text: "first answer" }, { text: "second answer" }]);
  const { client } = openaiClient(server, { cache: store });
  await client.generate("first question");
  await client.generate("second question");
  await client.flush();
}

/** Some directory of `folder` (index-v5 or content-v2) that holds store files. */
async function someSubfolder(folder: string): Promise<string> {
  const [first] = await readdir(join(dir, folder));
  if (!first) throw new Error(`${folder} is empty`);
  return join(dir, folder, first);
}

describe("fileStore().prune() with planted entries", () => {
  it("links in index-v5, content-v2 and as tmp/: prune rejects and changes nothing they point to", async () => {
    await fillCache();
    await rm(join(dir, "tmp"), { recursive: true, force: true });
    const links = [
      [join(await someSubfolder("index-v5"), "to-file"), victimFile],
      [join(await someSubfolder("index-v5"), "to-folder"), victimFolder],
      [join(await someSubfolder("content-v2"), "to-file"), victimFile],
      [join(await someSubfolder("content-v2"), "to-folder"), victimFolder],
      [join(dir, "tmp"), victimFolder],
    ] as const;
    for (const [path, target] of links) await symlink(target, path);

    await expect(store.prune()).rejects.toThrow(/5 entries the store did not write/);

    await expectVictimsUntouched();
    for (const [path] of links) expect((await lstat(path)).isSymbolicLink()).toBe(true);
    // The cache still answers.
    const { client } = openaiClient(ctx.server, { cache: store });
    expect(await client.generate("first question")).toMatchObject({
      content: "first answer",
      cached: true,
    });

    // Once the links are gone, maintenance runs again.
    for (const [path] of links) await rm(path);
    expect(await store.prune()).toEqual({ kept: 2, removed: 0 });
    await expectVictimsUntouched();
  });

  it("a file in the cache directory that the store did not write keeps its mode", async () => {
    await fillCache();
    const script = join(dir, "cleanup.sh");
    await writeFile(script, "#!/bin/sh\n");
    await chmod(script, 0o755);
    const folder = join(dir, "hooks");
    await mkdir(folder);
    await chmod(folder, 0o755);
    const hook = join(folder, "post-prune.sh");
    await writeFile(hook, "#!/bin/sh\n");
    await chmod(hook, 0o4755);

    expect(await store.prune()).toEqual({ kept: 2, removed: 0 });

    expect(await modeOf(script)).toBe("755");
    expect(await modeOf(folder)).toBe("755");
    expect(await modeOf(hook)).toBe("4755");
  });

  it("a tmp/ holding another user's files is not emptied (the test runs as root to chown)", async () => {
    await fillCache();
    await mkdir(join(dir, "tmp"), { recursive: true });
    const theirs = join(dir, "tmp", "upload-in-progress");
    await writeFile(theirs, "their bytes");
    await chown(theirs, 1, 1);
    await chmod(theirs, 0o755);

    await expect(store.prune()).rejects.toThrow(/tmp\/upload-in-progress \(owned by uid 1\)/);

    expect(await readFile(theirs, "utf8")).toBe("their bytes");
    expect(await modeOf(theirs)).toBe("755");
    expect((await stat(theirs)).uid).toBe(1);
  });

  it("run by root over another user's cache directory, prune changes nothing (the reported incident)", async () => {
    await fillCache();
    await symlink(victimFile, join(await someSubfolder("index-v5"), "to-file"));
    await symlink(victimFolder, join(await someSubfolder("content-v2"), "to-folder"));
    // Hand the whole directory to another user, as if root ran a cron job over their cache.
    const entries = await readdir(dir, { recursive: true });
    for (const path of [dir, ...entries.map((e) => join(dir, e))]) {
      if (!(await lstat(path)).isSymbolicLink()) await chown(path, 1, 1);
    }
    await chmod(dir, 0o750);

    await expect(store.prune()).rejects.toThrow(/owned by uid 1/);

    await expectVictimsUntouched();
    expect(await modeOf(dir)).toBe("750");
  });
});
