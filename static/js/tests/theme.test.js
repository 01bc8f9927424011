import assert from "node:assert/strict";
import { test } from "node:test";

import { effectiveTheme, otherTheme } from "../theme.js";
import { plural } from "../ui.js";

test("the stored pick wins over the system's scheme, which is the default", () => {
  assert.equal(effectiveTheme(null, true), "dark");
  assert.equal(effectiveTheme(null, false), "light");
  assert.equal(effectiveTheme("light", true), "light");
  assert.equal(effectiveTheme("dark", false), "dark");
  assert.equal(effectiveTheme("purple", false), "light");
  assert.equal(otherTheme("dark"), "light");
  assert.equal(otherTheme("light"), "dark");
});

test("counts take the singular only for one", () => {
  assert.equal(plural(1, "follower"), "1 follower");
  assert.equal(plural(0, "follower"), "0 followers");
  assert.equal(plural(2, "reply", "replies"), "2 replies");
});
