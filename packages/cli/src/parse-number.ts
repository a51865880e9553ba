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

/**
 * Longest `--timeout`, in milliseconds: Node's timers hold a signed 32-bit count, and a longer
 * delay fires after about 1 ms (with a TimeoutOverflowWarning) instead of never.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Commander parser for a count such as `--retries`: an integer >= 0. */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("Expected a whole number >= 0.");
  return n;
}

/** Commander parser for `--max-tokens`: an integer >= 1. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError("Expected a whole number >= 1.");
  return n;
}

/** Commander parser for `--timeout`: whole milliseconds from 1 to {@link MAX_TIMEOUT_MS}. */
export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!INTEGER.test(value.trim()) || n < 1 || n > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      `Expected whole milliseconds from 1 to ${MAX_TIMEOUT_MS} (about 24.8 days, the most Node's timers can wait).`,
    );
  }
  return n;
}

/** Commander parser for a wait that may be 0, such as `--drain-timeout`: whole ms up to {@link MAX_TIMEOUT_MS}. */
export function parseDelay(value: string): number {
  const n = Number(value);
  if (!INTEGER.test(value.trim()) || n > MAX_TIMEOUT_MS)
    throw new InvalidArgumentError(`Expected whole milliseconds from 0 to ${MAX_TIMEOUT_MS}.`);
  return n;
}

/** Commander parser for an amount such as `--budget-usd`: a decimal number > 0. */
export function parsePositiveDecimal(value: string): number {
  const n = Number(value);
  if (!DECIMAL.test(value.trim()) || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("Expected a number > 0, such as 2.5.");
  return n;
}

/** Commander collector for repeatable options such as `--image`. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
