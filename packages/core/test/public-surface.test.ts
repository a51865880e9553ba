import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as deprecated from "../src/deprecated.js";
import * as http from "../src/http.js";
import * as main from "../src/index.js";

// The main entry is what an application uses. Adding a name here is a decision about the public
// API (and a changeset), not a side effect of an `export` somewhere: this list must be edited by
// hand. Provider and store authors' names belong in `@rephysco/core/http`.
const APPLICATION_API = [
  "AuthenticationError",
  "BudgetExceededError",
  "ConfigurationError",
  "ContentFilterError",
  "InvalidOutputError",
  "InvalidRequestError",
  "LLMClient",
  "ModelProvider",
  "ProviderError",
  "QuotaExceededError",
  "RateLimitError",
  "RephyscoError",
  "ServiceUnavailableError",
  "TimeoutError",
  "ToolExecutionError",
  "computeCost",
  "createProvider",
  "defaultCacheDir",
  "fileStore",
  "hasProvider",
  "isAbortError",
  "isProvider",
  "isRetryableError",
  "jsonSchema",
  "listProviders",
  "memoryStore",
  "registerProvider",
  "shouldFallbackByDefault",
  "tool",
];

// Aliases of names that moved to `@rephysco/core/http`, kept for one minor version. This list only
// shrinks.
const DEPRECATED_ALIASES = [
  "BaseProvider",
  "ErrorClasses",
  "abortReason",
  "createErrorFromResponse",
  "errorClassForStatus",
  "excerpt",
  "getHeader",
  "imageToUrl",
  "isCacheEntry",
  "parseDurationMs",
  "parseRetryAfter",
  "resolveImage",
  "scrubError",
  "scrubSecrets",
  "sniffImageType",
  "stableStringify",
];

describe("public surface of @rephysco/core", () => {
  it("the main entry exports exactly the application API and the deprecated aliases", () => {
    expect(Object.keys(main).sort()).toEqual([...APPLICATION_API, ...DEPRECATED_ALIASES].sort());
  });

  it("the deprecated aliases are exactly those of deprecated.ts", () => {
    expect(Object.keys(deprecated).sort()).toEqual(DEPRECATED_ALIASES);
  });

  it("every deprecated alias is the very value @rephysco/core/http exports", () => {
    const moved = http as Record<string, unknown>;
    const aliases = main as Record<string, unknown>;
    for (const name of DEPRECATED_ALIASES) {
      expect(moved[name], name).toBeDefined();
      expect(aliases[name], name).toBe(moved[name]);
    }
  });

  it("every export of deprecated.ts, values and types, is marked @deprecated with its new home", () => {
    const source = readFileSync(new URL("../src/deprecated.ts", import.meta.url), "utf8");
    const lines = source.split("\n");
    const exported = lines.flatMap((line, i) => {
      const name = /^export (?:const|type) (\w+)/.exec(line)?.[1];
      return name === undefined ? [] : [{ name, doc: lines[i - 1] ?? "" }];
    });
    expect(exported.length).toBeGreaterThanOrEqual(DEPRECATED_ALIASES.length);
    for (const { name, doc } of exported) {
      expect(doc, name).toContain("@deprecated");
      expect(doc, name).toContain("`@rephysco/core/http`");
    }
  });
});
