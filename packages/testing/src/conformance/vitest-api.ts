import type * as Vitest from "vitest";

// The specifier lives in a variable so that bundlers (tsup/esbuild) leave the import alone: a
// bundled copy of vitest would not be connected to the runner executing the caller's tests. It is
// loaded once, at import, because suites must be declared synchronously during collection.
const VITEST_SPECIFIER = "vitest";

let api: typeof Vitest | undefined;
let loadError: unknown;
try {
  api = (await import(/* @vite-ignore */ VITEST_SPECIFIER)) as typeof Vitest;
} catch (error) {
  loadError = error;
}

/** The caller's vitest, or a clear error when it is not installed. */
export function vitest(caller = "describeProviderConformance"): typeof Vitest {
  if (!api) {
    throw new Error(
      `${caller} needs vitest: install it as a dev dependency (npm i -D vitest) and call it from a test file.`,
      { cause: loadError },
    );
  }
  return api;
}
