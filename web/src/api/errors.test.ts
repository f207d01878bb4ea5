import { describe, expect, it } from "vitest";
import { ApiError, describeError, formatDuration, parseResetHeader, parseRetryAfter } from "./errors";

describe("rate-limit times", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
  it("reads x-ratelimit-reset as a duration or an epoch time", () => {
    expect(parseResetHeader("1m30s", now)).toBe(90);
    expect(parseResetHeader("250ms", now)).toBe(1);
    expect(parseResetHeader("45", now)).toBe(45);
    expect(parseResetHeader(String(now / 1000 + 600), now)).toBe(600);
    expect(parseResetHeader(String(now + 5_000), now)).toBe(5);
  });
  it("formats durations for people", () => {
    expect(formatDuration(5)).toBe("5 s");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(3900)).toBe("1 h 5 min");
  });
  it("says when a rate-limited person can send again", () => {
    const err = new ApiError(429, "rate_limited", "limit reached; try again in 754 s", true, 754);
    expect(describeError(err)).toBe("You have reached your message limit for now. You can send again in 12 min 34 s.");
    err.limit = 10;
    expect(describeError(err, 59)).toBe("You have reached your limit of 10 messages for now. You can send again in 59 s.");
  });
});
