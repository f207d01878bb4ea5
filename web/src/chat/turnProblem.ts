// What a person is told when a turn goes wrong, and whether Retry is offered: pure, so that each
// kind of failure (a stream error, a lost connection, a refused request) is tested on its own.

import type { StreamOutcome } from "../api/client";
import { ApiError, describeError, rateLimitText } from "../api/errors";
import { refusalHint } from "./uploads";

export interface TurnProblem {
  text: string;
  retry?: () => void;
  /** Epoch ms when a rate limit resets. */
  until?: number;
  rateLimited?: boolean;
}

/** The problem a finished stream reports (null when it ended well). */
export function outcomeProblem(outcome: StreamOutcome, retry: (() => void) | undefined): TurnProblem | null {
  if (outcome.kind === "error") {
    const e = outcome.error;
    const rateLimited = e.code === "rate_limited";
    return { text: e.message || "The answer failed.", retry: e.retryable || rateLimited ? retry : undefined, rateLimited };
  }
  if (outcome.kind === "disconnected") {
    return { text: "The connection was lost. The answer is still being saved; it appears here when you reopen the chat." };
  }
  return null;
}

/** The problem of a request that failed before or while streaming; `withFiles`: the message carried files. */
export function requestProblem(err: unknown, retry: (() => void) | undefined, withFiles: boolean, now: number = Date.now()): TurnProblem {
  if (err instanceof ApiError && err.rateLimited) {
    return {
      text: rateLimitText(err),
      until: err.retryAfterS != null ? now + err.retryAfterS * 1000 : undefined,
      retry,
      rateLimited: true,
    };
  }
  const hint = withFiles ? refusalHint(err) : null;
  const text = describeError(err);
  return { text: hint ? `${text} ${hint}` : text, retry: err instanceof ApiError && !err.retryable ? undefined : retry };
}

/** Refused outright (blocked, limited, invalid) before any answer started: the chat made for it is not kept. */
export function refusedOutright(err: unknown, started: boolean): boolean {
  return !started && err instanceof ApiError && err.status >= 400 && err.status < 500;
}
