import { InvalidArgumentError } from "commander";

// Number("") is 0 and Number("1e3") is 1000: require a plain decimal so that typos fail loudly.
const DECIMAL = /^[+]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const INTEGER = /^[+]?\d+$/;

/** Commander parser for `--temperature`: a decimal number >= 0. */
export function parseTemperature(value: string): number {
  const n = Number(value);
  if (!DECIMAL.test(value.trim()) || !Number.isFinite(n)) {
    throw new InvalidArgumentError("Expected a number >= 0, such as 0.7.");
  }
  return n;
}

/** Commander parser for a count such as `--retries`: an integer >= 0. */
export function parseCount(value: string): number {
  if (!INTEGER.test(value.trim())) throw new InvalidArgumentError("Expected a whole number >= 0.");
  return Number(value);
}

/** Commander parser for `--max-tokens` and `--timeout`: an integer >= 1. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!INTEGER.test(value.trim()) || n < 1)
    throw new InvalidArgumentError("Expected a whole number >= 1.");
  return n;
}

/** Commander collector for repeatable options such as `--image`. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
