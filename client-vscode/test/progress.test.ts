import { beforeEach, describe, expect, it, vi } from "vitest";

import { CancellableProgress, type ProgressValue } from "../src/progress";
import { CancellationTokenSource, ProgressLocation, window } from "./vscode";

interface Running {
  options: { location: ProgressLocation; title?: string; cancellable?: boolean };
  reports: unknown[];
  cancellation: CancellationTokenSource;
  settled: boolean;
}

let running: Running[];
let cancelled: (string | number)[];
let ended: [string, string | undefined][];
let progress: CancellableProgress;

beforeEach(() => {
  running = [];
  cancelled = [];
  ended = [];
  window.withProgress.mockImplementation(async (options, task) => {
    const entry: Running = { options, reports: [], cancellation: new CancellationTokenSource(),
      settled: false };
    running.push(entry);
    await task({ report: (update) => entry.reports.push(update) }, entry.cancellation.token);
    entry.settled = true;
  });
  progress = new CancellableProgress((token) => cancelled.push(token),
    (title, message) => ended.push([title, message]));
});

/** Feed values for one token; return how many went on to vscode-languageclient. */
async function feed(token: string, ...values: ProgressValue[]): Promise<number> {
  const next = vi.fn();
  for (const value of values) {
    progress.handle(token, value, next);
    await Promise.resolve();
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
  return next.mock.calls.length;
}

describe("cancellable progress", () => {
  it("shows a cancellable progress as a notification with its messages", async () => {
    const passed = await feed("plan-1",
      { kind: "begin", title: "Planning “Lighthouse”", cancellable: true,
        message: "Connecting to Codex" },
      { kind: "report", message: "Writing the plan: 1 step so far" },
      { kind: "end", message: "2 steps · gpt-5-codex · 1.2 s" });
    expect(running).toHaveLength(1);
    expect(running[0]!.options).toEqual({
      location: ProgressLocation.Notification, title: "Planning “Lighthouse”", cancellable: true,
    });
    expect(running[0]!.reports).toEqual([{ message: "Connecting to Codex" },
      { message: "Writing the plan: 1 step so far" }]);
    expect(running[0]!.settled).toBe(true);
    expect(passed).toBe(1);  // only the end, so vscode-languageclient forgets the token
    expect(ended).toEqual([["Planning “Lighthouse”", "2 steps · gpt-5-codex · 1.2 s"]]);
  });

  it("sends window/workDoneProgress/cancel for the token when the user cancels", async () => {
    await feed("plan-2", { kind: "begin", title: "Planning", cancellable: true });
    running[0]!.cancellation.cancel();
    expect(cancelled).toEqual(["plan-2"]);
    await feed("plan-2", { kind: "end", message: "Cancelled: kept 1 step(s)" });
    expect(running[0]!.settled).toBe(true);
  });

  it("leaves progress that cannot be cancelled to the default status bar display", async () => {
    const passed = await feed("index",
      { kind: "begin", title: "Indexing", cancellable: false },
      { kind: "report", percentage: 50 }, { kind: "end" });
    expect(passed).toBe(3);
    expect(window.withProgress).not.toHaveBeenCalled();
  });

  it("turns percentages into increments", async () => {
    await feed("p", { kind: "begin", title: "T", cancellable: true, percentage: 10 },
      { kind: "report", percentage: 40 }, { kind: "report", percentage: 30 },
      { kind: "report", percentage: 120 });
    expect(running[0]!.reports).toEqual([{ increment: 10 }, { increment: 30 }, { increment: 0 },
      { increment: 60 }]);
  });

  it("ends what it shows when disposed", async () => {
    await feed("p", { kind: "begin", title: "T", cancellable: true });
    progress.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(running[0]!.settled).toBe(true);
  });
});
