/** A budget period: when it started and when it ends (ms since the epoch; no end for "total"). */
export interface Period {
  readonly start: number;
  readonly end: number | undefined;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The UTC calendar period of `kind` that holds `now` (weeks start on Monday, 00:00 UTC). */
export function periodOf(
  kind: "minute" | "hour" | "day" | "week" | "month" | "total",
  now: number,
): Period {
  switch (kind) {
    case "minute": {
      const start = now - (now % MINUTE);
      return { start, end: start + MINUTE };
    }
    case "hour": {
      const start = now - (now % HOUR);
      return { start, end: start + HOUR };
    }
    case "day": {
      const start = now - (now % DAY);
      return { start, end: start + DAY };
    }
    case "week": {
      const day = now - (now % DAY);
      // 1970-01-01 was a Thursday: days since the epoch + 3, mod 7, is days since Monday.
      const sinceMonday = (Math.floor(day / DAY) + 3) % 7;
      const start = day - sinceMonday * DAY;
      return { start, end: start + 7 * DAY };
    }
    case "month": {
      const d = new Date(now);
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    }
    default:
      return { start: 0, end: undefined };
  }
}
