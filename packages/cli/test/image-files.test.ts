import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MockServer } from "@rephysco/testing";
import { describe, expect, it } from "vitest";
import { MAX_IMAGE_FILE_BYTES, readImages } from "../src/read-images.js";
import { UsageError } from "../src/usage-error.js";
import { PNG_1X1, runBin, tempDir, useMockServer } from "./run-bin.js";

let server: MockServer;
let base: string[];
const KEY = { OPENAI_API_KEY: "test-key" };

useMockServer((started) => {
  server = started;
  base = ["--base-url", `${server.url}/v1`];
});

describe("--image files", () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ["/dev/zero", () => "/dev/zero", /character device, not a regular file/],
    [
      "a FIFO",
      () => {
        const fifo = join(tempDir(), "pipe.png");
        execFileSync("mkfifo", [fifo]);
        return fifo;
      },
      /FIFO \(named pipe\), not a regular file/,
    ],
    [
      "a directory",
      () => {
        const dir = join(tempDir(), "photos.png");
        mkdirSync(dir);
        return dir;
      },
      /it is a directory/,
    ],
    [
      "a sparse file one byte over the limit",
      () => {
        const file = join(tempDir(), "huge.png");
        writeFileSync(file, PNG_1X1);
        truncateSync(file, MAX_IMAGE_FILE_BYTES + 1);
        return file;
      },
      /it is 20971521 bytes, above the limit of 20 MiB/,
    ],
  ];

  it.each(cases)("refuses %s (exit 2, nothing sent)", async (_name, make, reason) => {
    const path = make();
    const r = await runBin(["generate", "hi", "--image", path, ...base], { env: KEY });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Cannot read image "${path}"`);
    expect(lines[0]).toMatch(reason);
    expect(server.requests).toHaveLength(0);
  });

  it("reads a file of exactly the limit, and follows a symlink to a regular file", async () => {
    const dir = tempDir();
    const file = join(dir, "big.png");
    writeFileSync(file, PNG_1X1);
    truncateSync(file, MAX_IMAGE_FILE_BYTES);
    const link = join(dir, "link.png");
    symlinkSync(file, link);
    const images = await readImages([file, link]);
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image).toMatchObject({ mediaType: "image/png" });
      expect((image as { data: Uint8Array }).data.byteLength).toBe(MAX_IMAGE_FILE_BYTES);
    }
  });

  it("bounds the read itself, not only the size the file reported", async () => {
    // Files under /proc report a size of 0 and yet have content: the size check passes, the read
    // must still stop at the limit.
    const error = await readImages(["/proc/self/status"], 16).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /Cannot read image "\/proc\/self\/status": it is larger than the limit of 16 bytes/,
    );
  });
});
