// What the person has used and what is left; every field is optional on the wire.

import type { Usage, UsageWindow } from "../api/types";
import { formatDuration } from "../api/errors";
import { compact, money, toEpochMs } from "./format";

function windowLine(label: string, w: UsageWindow | undefined, fmt: (n: number) => string): string | null {
  if (!w) return null;
  const used = typeof w.used === "number" ? w.used : null;
  const limit = typeof w.limit === "number" ? w.limit : null;
  if (used === null && limit === null) return null;
  let line = limit !== null ? `${label}: ${fmt(used ?? 0)} of ${fmt(limit)}` : `${label}: ${fmt(used ?? 0)}`;
  const reset = toEpochMs(w.resetAt);
  if (reset !== null && reset > Date.now()) line += ` · resets in ${formatDuration((reset - Date.now()) / 1000, true)}`;
  return line;
}

function ratio(w: UsageWindow | undefined): number | null {
  if (!w || typeof w.limit !== "number" || w.limit <= 0) return null;
  const used = typeof w.used === "number" ? w.used : typeof w.remaining === "number" ? w.limit - w.remaining : null;
  return used === null ? null : Math.min(1, Math.max(0, used / w.limit));
}

export function UsagePanel({ usage }: { usage: Usage | null }) {
  if (!usage) return null;
  const req = windowLine("Messages", usage.requests, (n) => String(n));
  const tok = windowLine("Tokens", usage.tokens, compact);
  const cost = usage.cost;
  const costLine =
    cost && typeof cost.monthToDate === "number"
      ? `Cost this month: ${money(cost.monthToDate)}${typeof cost.cap === "number" ? ` of ${money(cost.cap)}` : ""}`
      : null;
  const r = ratio(usage.requests);
  if (!req && !tok && !costLine) return null;
  return (
    <section class="usage" aria-label="Usage">
      {usage.tier && <div class="usage-tier">{usage.tier === "plus" ? "Plus plan" : "Free plan"}</div>}
      {req && <div>{req}</div>}
      {r !== null && (
        <div class="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(r * 100)} aria-label="Messages used">
          <span style={{ width: `${r * 100}%` }} class={r > 0.9 ? "high" : ""} />
        </div>
      )}
      {tok && <div>{tok}</div>}
      {costLine && <div>{costLine}</div>}
    </section>
  );
}
