import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createTerminal } from "../src/terminal.js";
import { canSpin, startSpinner } from "../src/wait-spinner.js";

/** A fake stderr that claims to be a terminal of the given width. */
function tty(columns: number | undefined): PassThrough & { isTTY: boolean; columns?: number } {
  return Object.assign(new PassThrough(), { isTTY: true, columns });
}

const TERMINAL_ENV = { TERM: "xterm" };

describe("canSpin", () => {
  it("spins on a sized terminal with a terminal on fd 1", () => {
    expect(canSpin(tty(80), TERMINAL_ENV, true)).toBe(true);
  });

  it("does not spin when the terminal reports no width (nanospinner would loop forever)", () => {
    expect(canSpin(tty(0), TERMINAL_ENV, true)).toBe(false);
    expect(canSpin(tty(undefined), TERMINAL_ENV, true)).toBe(false);
  });

  it("does not spin when stderr is not a terminal", () => {
    expect(canSpin(Object.assign(new PassThrough(), { columns: 80 }), TERMINAL_ENV, true)).toBe(
      false,
    );
  });

  it("does not spin where nanospinner would print plain lines instead", () => {
    // Set at all counts, even empty: that is what nanospinner checks.
    expect(canSpin(tty(80), { ...TERMINAL_ENV, CI: "" }, true)).toBe(false);
    expect(canSpin(tty(80), { ...TERMINAL_ENV, CI: "true" }, true)).toBe(false);
    expect(canSpin(tty(80), { TERM: "dumb" }, true)).toBe(false);
    expect(canSpin(tty(80), TERMINAL_ENV, false)).toBe(false);
  });
});

describe("startSpinner", () => {
  it("writes nothing to a terminal that reports 0 columns", () => {
    const stderr = tty(0);
    let written = "";
    stderr.setEncoding("utf8").on("data", (d: string) => {
      written += d;
    });
    const spinner = startSpinner(createTerminal({ stderr }), "Waiting…");
    spinner.update("Thinking…");
    spinner.stop();
    expect(written).toBe("");
  });
});
