/**
 * The plan beside its wish: a read-only view of the plan file (`wishcraft-plan:` + its path)
 * whose text comes from `wishcraft/planUpdated` as the server streams it, and from the file
 * on disk otherwise. The view opens once per run in the group beside the wish without taking
 * focus; the server's closing `window/showDocument` for the plan file reveals the same view,
 * so a run ends with one plan editor, not two.
 */
import * as vscode from "vscode";

import { PLAN_SCHEME } from "./names";

/** The params of `wishcraft/planUpdated` (server/wishcraft/lsp/runner.py). */
export interface PlanUpdate {
  /** The wish's uri, as the client sent it. */
  readonly uri: string;
  /** The plan Markdown file's uri. */
  readonly planUri: string;
  /** The whole plan as it stands. */
  readonly markdown: string;
  /** False while the model is still writing. */
  readonly done: boolean;
}

/** Tell whether a notification's params look like a plan update. */
export function isPlanUpdate(value: unknown): value is PlanUpdate {
  const v = value as Partial<PlanUpdate> | null;
  return typeof v === "object" && v !== null && typeof v.uri === "string" &&
    typeof v.planUri === "string" && typeof v.markdown === "string" &&
    typeof v.done === "boolean";
}

const MEMORY_KEY = "wishcraft.plans";

/** Read a file's text, or undefined when it cannot be read. */
export type ReadText = (file: vscode.Uri) => Promise<string | undefined>;

export class PlanView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fired when a plan's text changed; VS Code then asks for the content again. */
  readonly onDidChange: vscode.Event<vscode.Uri> = this.changed.event;
  /** The latest streamed text of each plan, by plan file uri. */
  private readonly texts = new Map<string, string>();
  /** Plans already opened during their current run, so closing the view is respected. */
  private readonly shownThisRun = new Set<string>();
  /** Opening editors one after another, so two quick requests cannot open two editors. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param memory remembers each wish's plan uri across sessions (workspace state)
   * @param readText reads the plan file when no text was streamed in this session
   */
  constructor(private readonly memory: vscode.Memento, private readonly readText: ReadText) {}

  /** The uri of the view of a plan file. */
  static viewUri(planFile: vscode.Uri): vscode.Uri {
    return planFile.with({ scheme: PLAN_SCHEME });
  }

  private static key(uri: string | vscode.Uri): string {
    const parsed = typeof uri === "string" ? vscode.Uri.parse(uri) : uri;
    return parsed.with({ scheme: "file" }).toString();
  }

  /** The view's text: the streamed plan, else the file, else a line saying there is none. */
  async provideTextDocumentContent(view: vscode.Uri): Promise<string> {
    const file = view.with({ scheme: "file" });
    const streamed = this.texts.get(PlanView.key(file));
    if (streamed !== undefined) {
      return streamed;
    }
    return await this.readText(file) ??
      "_No plan yet: run “Wishcraft: Plan This Wish” on the wish._\n";
  }

  /** The plan file the server last reported for a wish, if any. */
  planFor(wish: vscode.Uri): vscode.Uri | undefined {
    const plans = this.memory.get<Record<string, string>>(MEMORY_KEY, {});
    const plan = plans[wish.toString()];
    return plan !== undefined ? vscode.Uri.parse(plan) : undefined;
  }

  private async remember(wish: string, plan: vscode.Uri): Promise<void> {
    const plans = this.memory.get<Record<string, string>>(MEMORY_KEY, {});
    const key = vscode.Uri.parse(wish).toString();
    if (plans[key] !== plan.toString()) {
      await this.memory.update(MEMORY_KEY, { ...plans, [key]: plan.toString() });
    }
  }

  /** Tell whether a uri is the file of a plan this view knows. */
  isKnownPlan(uri: string): boolean {
    const key = PlanView.key(uri);
    if (this.texts.has(key)) {
      return true;
    }
    const plans = this.memory.get<Record<string, string>>(MEMORY_KEY, {});
    return Object.values(plans).some((plan) => PlanView.key(plan) === key);
  }

  /** A plan started (the server's answer to `wishcraft.planWish`): show its view now. */
  async started(wish: string, planUri: string): Promise<void> {
    const plan = vscode.Uri.parse(planUri);
    await this.remember(wish, plan);
    await this.show(plan);
  }

  /** Take `wishcraft/planUpdated`: refresh the view, and open it once per run. */
  async update(update: PlanUpdate): Promise<void> {
    const plan = vscode.Uri.parse(update.planUri);
    const key = PlanView.key(plan);
    this.texts.set(key, update.markdown);
    this.changed.fire(PlanView.viewUri(plan));
    await this.remember(update.uri, plan);
    const first = !this.shownThisRun.has(key);
    if (update.done) {
      this.shownThisRun.delete(key);
    } else {
      this.shownThisRun.add(key);
    }
    if (first) {
      await this.show(plan);
    }
  }

  /**
   * Answer the server's `window/showDocument` for a plan file by revealing the view; return
   * false for any other document, which then opens as usual.
   */
  async showDocument(uri: string, external: boolean | undefined): Promise<boolean> {
    if (external === true || !this.isKnownPlan(uri)) {
      return false;
    }
    await this.show(vscode.Uri.parse(uri));
    return true;
  }

  /** Reveal a plan's view where it already is, else open it beside the active editor. */
  show(plan: vscode.Uri): Promise<void> {
    const next = this.queue.then(() => this.reveal(plan));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reveal(plan: vscode.Uri): Promise<void> {
    const view = PlanView.viewUri(plan);
    const target = view.toString();
    if (vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === target)) {
      return;
    }
    const group = vscode.window.tabGroups.all.find((g) => g.tabs.some((tab) =>
      tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === target));
    const document = await vscode.workspace.openTextDocument(view);
    await vscode.window.showTextDocument(document, {
      viewColumn: group?.viewColumn ?? vscode.ViewColumn.Beside,
      preserveFocus: true,
      preview: false,
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
