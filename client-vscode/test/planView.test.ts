import { beforeEach, describe, expect, it, vi } from "vitest";

import { type PlanUpdate, PlanView, isPlanUpdate } from "../src/planView";
import { Uri, ViewColumn, window, workbench } from "./vscode";

const WISH = "file:///ws/data/wishes/lighthouse.wish.yaml";
const PLAN = "file:///ws/data/wishes/lighthouse.wish.plan.md";
const VIEW = "wishcraft-plan:///ws/data/wishes/lighthouse.wish.plan.md";

class Memory {
  readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, fallback?: T): T {
    return (this.values.has(key) ? this.values.get(key) : fallback) as T;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

function update(markdown: string, done = false): PlanUpdate {
  return { uri: WISH, planUri: PLAN, markdown, done };
}

let view: PlanView;
let readText: ReturnType<typeof vi.fn>;

/** The uris open in each group, left to right. */
function layout(): string[][] {
  return workbench.groups.map((g) => g.tabs.map((t) => t.input.uri.toString()));
}

beforeEach(() => {
  workbench.reset();
  workbench.place(Uri.parse(WISH), 1);
  readText = vi.fn(async () => undefined);
  view = new PlanView(new Memory(), readText);
});

describe("the plan view", () => {
  it("opens beside the wish without taking focus on the first update", async () => {
    await view.update(update("# Plan\n_Writing the plan…_"));
    expect(layout()).toEqual([[WISH], [VIEW]]);
    expect(workbench.opened).toEqual([{ uri: VIEW, viewColumn: 2, preserveFocus: true }]);
    expect(workbench.activeColumn).toBe(1);
    expect(window.showTextDocument.mock.calls[0]![1]).toMatchObject({
      viewColumn: ViewColumn.Beside, preserveFocus: true, preview: false,
    });
    expect(await view.provideTextDocumentContent(Uri.parse(VIEW) as never)).toBe(
      "# Plan\n_Writing the plan…_");
  });

  it("updates its text live and asks VS Code to re-read it, opening only once", async () => {
    const changed = vi.fn();
    view.onDidChange(changed);
    await view.update(update("one step"));
    await view.update(update("two steps"));
    await view.update(update("final plan", true));
    expect(changed).toHaveBeenCalledTimes(3);
    expect(changed.mock.calls[2]![0].toString()).toBe(VIEW);
    expect(workbench.opened).toHaveLength(1);
    expect(await view.provideTextDocumentContent(Uri.parse(VIEW) as never)).toBe("final plan");
  });

  it("stays closed when the user closes it during a run", async () => {
    await view.update(update("one step"));
    workbench.close(Uri.parse(VIEW));
    await view.update(update("two steps"));
    expect(layout()).toEqual([[WISH], []]);
  });

  it("answers the server's showDocument for the plan file with the same editor", async () => {
    await view.update(update("final plan", true));
    expect(await view.showDocument(PLAN, false)).toBe(true);
    expect(layout()).toEqual([[WISH], [VIEW]]);
    expect(workbench.opened).toHaveLength(1);
  });

  it("reopens on showDocument when the user closed it", async () => {
    await view.update(update("one step"));
    workbench.close(Uri.parse(VIEW));
    await view.update(update("final plan", true));
    expect(await view.showDocument(PLAN, false)).toBe(true);
    expect(layout()).toEqual([[WISH], [VIEW]]);
  });

  it("brings a hidden plan tab forward in its own group instead of opening another", async () => {
    await view.update(update("final plan", true));
    workbench.place(Uri.parse("file:///ws/notes.md"), 2);  // hides the plan behind a tab
    workbench.activeColumn = 2;
    await view.update(update("again"));
    expect(layout()).toEqual([[WISH], [VIEW, "file:///ws/notes.md"]]);
    expect(workbench.opened.at(-1)).toEqual({ uri: VIEW, viewColumn: 2, preserveFocus: true });
  });

  it("opens one editor when the notification and showDocument arrive together", async () => {
    await Promise.all([view.update(update("final plan", true)), view.showDocument(PLAN, false)]);
    expect(layout()).toEqual([[WISH], [VIEW]]);
  });

  it("leaves other documents and external ones to the default handler", async () => {
    expect(await view.showDocument("file:///ws/README.md", false)).toBe(false);
    await view.update(update("plan", true));
    expect(await view.showDocument(PLAN, true)).toBe(false);
  });

  it("opens a new run's plan again after the previous run ended", async () => {
    await view.update(update("plan", true));
    workbench.close(Uri.parse(VIEW));
    await view.update(update("second run"));
    expect(layout()).toEqual([[WISH], [VIEW]]);
  });

  it("shows the plan as soon as the server says it started", async () => {
    await view.started(WISH, PLAN);
    expect(layout()).toEqual([[WISH], [VIEW]]);
    expect(view.planFor(Uri.parse(WISH) as never)?.toString()).toBe(PLAN);
  });

  it("remembers each wish's plan, and reads the file when nothing was streamed", async () => {
    expect(view.planFor(Uri.parse(WISH) as never)).toBeUndefined();
    await view.update(update("plan", true));
    expect(view.planFor(Uri.parse(WISH) as never)?.toString()).toBe(PLAN);

    const later = new PlanView(new Memory(), async () => "# from disk");
    expect(await later.provideTextDocumentContent(Uri.parse(VIEW) as never)).toBe("# from disk");
    expect(await view.provideTextDocumentContent(
      Uri.parse("wishcraft-plan:///ws/other.plan.md") as never)).toContain("No plan yet");
    expect(readText.mock.calls[0]![0].toString()).toBe("file:///ws/other.plan.md");
  });

  it("matches a plan uri however the server percent-encodes it", async () => {
    await view.update({ ...update("plan", true), planUri: "file:///ws/a%20b.plan.md" });
    expect(view.isKnownPlan("file:///ws/a b.plan.md")).toBe(true);
  });
});

describe("isPlanUpdate", () => {
  it.each([
    [{ uri: WISH, planUri: PLAN, markdown: "x", done: false }, true],
    [{ uri: WISH, planUri: PLAN, markdown: "x" }, false],
    [{ uri: WISH, planUri: 3, markdown: "x", done: true }, false],
    [null, false],
    ["text", false],
  ])("%j → %s", (value, expected) => {
    expect(isPlanUpdate(value)).toBe(expected);
  });
});
