import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configDir, dataDir, ensurePrivateDir, writePrivateFile } from "../src/store/dirs.js";

const home = "/home/ada";

describe("data and config directories", () => {
  it("follow REPHYSCO_DATA_DIR and REPHYSCO_CONFIG_DIR first", () => {
    const env = {
      REPHYSCO_DATA_DIR: "/srv/rd",
      REPHYSCO_CONFIG_DIR: "/srv/rc",
      XDG_DATA_HOME: "/x/data",
      XDG_CONFIG_HOME: "/x/config",
    };
    expect(dataDir({ env, homedir: home, platform: "linux" })).toBe("/srv/rd");
    expect(configDir({ env, homedir: home, platform: "darwin" })).toBe("/srv/rc");
  });

  it("follow XDG, ignoring blank and relative values as the spec says", () => {
    const env = { XDG_DATA_HOME: "/x/data", XDG_CONFIG_HOME: "/x/config" };
    expect(dataDir({ env, homedir: home, platform: "linux" })).toBe("/x/data/rephysco");
    expect(configDir({ env, homedir: home, platform: "linux" })).toBe("/x/config/rephysco");
    const bad = { XDG_DATA_HOME: "relative/data", XDG_CONFIG_HOME: "  ", REPHYSCO_DATA_DIR: "" };
    expect(dataDir({ env: bad, homedir: home, platform: "linux" })).toBe(
      "/home/ada/.local/share/rephysco",
    );
    expect(configDir({ env: bad, homedir: home, platform: "linux" })).toBe(
      "/home/ada/.config/rephysco",
    );
  });

  it("use the platform's usual places on macOS and Windows", () => {
    expect(dataDir({ env: {}, homedir: home, platform: "darwin" })).toBe(
      "/home/ada/Library/Application Support/rephysco",
    );
    expect(configDir({ env: {}, homedir: home, platform: "darwin" })).toBe(
      "/home/ada/Library/Preferences/rephysco",
    );
    const win = { LOCALAPPDATA: "/w/Local", APPDATA: "/w/Roaming" };
    expect(dataDir({ env: win, homedir: home, platform: "win32" })).toBe("/w/Local/rephysco/Data");
    expect(configDir({ env: win, homedir: home, platform: "win32" })).toBe(
      "/w/Roaming/rephysco/Config",
    );
    expect(dataDir({ env: {}, homedir: home, platform: "win32" })).toBe(
      "/home/ada/AppData/Local/rephysco/Data",
    );
  });
});

describe("private files", () => {
  it("creates missing directories 0700 and files 0600, and leaves an existing directory's mode alone", () => {
    const root = mkdtempSync(join(tmpdir(), "rephysco-dirs-"));
    try {
      const shared = join(root, "shared");
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      writePrivateFile(join(shared, "rephysco", "settings.json"), "{}");
      expect(statSync(shared).mode & 0o777).toBe(0o755);
      expect(statSync(join(shared, "rephysco")).mode & 0o777).toBe(0o700);
      expect(statSync(join(shared, "rephysco", "settings.json")).mode & 0o777).toBe(0o600);
      ensurePrivateDir(shared);
      expect(statSync(shared).mode & 0o777).toBe(0o755);
      // One of ours that already existed wider is tightened.
      chmodSync(join(shared, "rephysco"), 0o755);
      ensurePrivateDir(join(shared, "rephysco"));
      expect(statSync(join(shared, "rephysco")).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
