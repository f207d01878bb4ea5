import { describe, expect, it } from "vitest";

import { avatarColor, initials } from "./LivePanel";

describe("presence avatars", () => {
  it("show up to two letters of the user id", () => {
    expect(initials("alice-1f3a")).toBe("A1");
    expect(initials("bob")).toBe("BO");
    expect(initials("jane.doe@example.com")).toBe("JD");
    expect(initials("---")).toBe("--");
  });

  it("give each person one colour, and different people different ones", () => {
    expect(avatarColor("alice")).toBe(avatarColor("alice"));
    expect(avatarColor("alice")).not.toBe(avatarColor("bob"));
  });
});
