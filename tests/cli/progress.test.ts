// Progress output modes: spinner on a terminal, plain lines (after success only) otherwise,
// nothing with --hide-progress.
import { describe, expect, test } from "bun:test";
import { Progress } from "../../lib/cli/progress.ts";

function capture(tty: boolean, hide = false) {
  let out = "";
  return { p: new Progress({ tty, hide, write: (s) => void (out += s) }), out: () => out };
}

describe("Progress", () => {
  test("plain mode: one line per successful step, nothing for a failed one", async () => {
    const c = capture(false);
    expect(await c.p.step("Connecting to repository", async () => 42)).toBe(42);
    await expect(c.p.step("Doomed", async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    c.p.message("a message");
    expect(c.out()).toBe("Connecting to repository\na message\n");
  });
  test("hidden: nothing at all", async () => {
    const c = capture(true, true);
    await c.p.step("Connecting to repository", async () => 1);
    c.p.message("m");
    expect(c.out()).toBe("");
  });
  test("terminal: spinner redrawn in place, then a done line; cleared on failure", async () => {
    const c = capture(true);
    await c.p.step("Working", async (update) => {
      update("(1/2)");
      await Bun.sleep(250);
    });
    const out = c.out();
    expect(out).toContain("\r\x1b[2K");
    expect(out).toContain("Working (1/2)");
    expect(out.endsWith("\r\x1b[2KWorking done\n")).toBe(true);
    const c2 = capture(true);
    await expect(c2.p.step("Failing", async () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(c2.out().endsWith("\r\x1b[2K")).toBe(true);
  });
});
