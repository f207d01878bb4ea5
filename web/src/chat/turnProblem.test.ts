import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { outcomeProblem, refusedOutright, requestProblem } from "./turnProblem";

const retry = () => undefined;

describe("outcomeProblem", () => {
  it("a finished answer is no problem", () => {
    expect(outcomeProblem({ kind: "end", end: { messageId: "a", finishReason: "stop" } }, retry)).toBeNull();
  });

  it("offers Retry for a retryable or rate-limited stream error only", () => {
    const err = (code: string, retryable: boolean) => outcomeProblem({ kind: "error", error: { code, message: "", retryable } }, retry);
    expect(err("model_error", true)).toEqual({ text: "The answer failed.", retry, rateLimited: false });
    expect(err("model_error", false)?.retry).toBeUndefined();
    expect(err("rate_limited", false)).toMatchObject({ retry, rateLimited: true });
  });

  it("a lost connection says the answer is still being saved, without Retry", () => {
    const p = outcomeProblem({ kind: "disconnected", messageId: "a", lastEventId: "3" }, retry);
    expect(p?.text).toMatch(/connection was lost/);
    expect(p?.retry).toBeUndefined();
  });
});

describe("requestProblem", () => {
  it("a rate limit counts down from its Retry-After and can be retried", () => {
    const p = requestProblem(new ApiError(429, "rate_limited", "", true, 30), retry, false, 1_000);
    expect(p).toEqual({ text: "You have reached your message limit for now.", until: 31_000, retry, rateLimited: true });
  });

  it("a refusal that will not change is not offered again; one that may is", () => {
    expect(requestProblem(new ApiError(400, "content_blocked", "Blocked.", false), retry, false).retry).toBeUndefined();
    expect(requestProblem(new ApiError(503, "unavailable", "Busy.", true), retry, false).retry).toBe(retry);
    expect(requestProblem(new TypeError("fetch failed"), retry, false)).toEqual({ text: "Cannot reach the server. Check your connection.", retry });
  });

  it("says what to do about a refused file only when the message carried files", () => {
    const err = new ApiError(400, "no_capable_model", "No model reads that file.", false);
    expect(requestProblem(err, retry, true).text).toBe("No model reads that file. Choose Auto to let Parley pick a model that can, or remove the file.");
    expect(requestProblem(err, retry, false).text).toBe("No model reads that file.");
  });
});

describe("refusedOutright", () => {
  it("is a client error before any answer started", () => {
    expect(refusedOutright(new ApiError(403, "content_blocked", "", false), false)).toBe(true);
    expect(refusedOutright(new ApiError(403, "content_blocked", "", false), true)).toBe(false);
    expect(refusedOutright(new ApiError(500, "internal", "", true), false)).toBe(false);
    expect(refusedOutright(new TypeError("offline"), false)).toBe(false);
  });
});
