// A problem with the last turn, with a retry when retrying can help; rate limits count down to reset.

import { useEffect, useState } from "preact/hooks";
import { formatDuration } from "../api/errors";
import type { TurnProblem } from "../chat/turnProblem";
import { Icon } from "./Icon";

export function Notice({ problem, onDismiss }: { problem: TurnProblem; onDismiss(): void }) {
  const [now, setNow] = useState(Date.now());
  const waiting = problem.until !== undefined && problem.until > now;
  useEffect(() => {
    if (problem.until === undefined) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [problem.until]);
  const left = problem.until !== undefined ? Math.max(0, (problem.until - now) / 1000) : 0;
  return (
    <div class={`notice ${problem.rateLimited ? "rate-limit" : "error"}`} role="alert">
      <span class="notice-text">{problem.text}</span>
      {problem.until !== undefined && (
        <span class="countdown" aria-live="polite">
          {waiting ? `You can send again in ${formatDuration(left)}.` : "You can send again now."}
        </span>
      )}
      <span class="notice-actions">
        {problem.retry && (
          <button type="button" disabled={waiting} onClick={problem.retry}>
            Retry
          </button>
        )}
        <button type="button" class="icon" aria-label="Dismiss" onClick={onDismiss}>
          <Icon name="close" />
        </button>
      </span>
    </div>
  );
}
