// Go time.ParseDuration for flags such as --retention-duration ("720h", "1h30m", "0s").
import { UsageError } from "../errors.ts";

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration into milliseconds; throws UsageError naming the flag. */
export function parseGoDuration(v: string, flag: string): number {
  const bad = () => new UsageError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  let s = v.trim();
  if (s === "") throw bad();
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw bad();
    total += parseFloat(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  return sign * total;
}
