/**
 * Cancellable work-done progress as a notification with a Cancel button.
 *
 * vscode-languageclient 9 shows every server progress in the status bar
 * (`ProgressLocation.Window`), where VS Code offers no Cancel, so a running plan could not be
 * stopped. This middleware shows the progresses that begin with `cancellable: true` as a
 * notification instead; its Cancel sends `window/workDoneProgress/cancel` with the token, as
 * the protocol says. Other progresses keep the default status bar display.
 */
import * as vscode from "vscode";
import type { WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport }
  from "vscode-languageclient";

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;
export type ProgressToken = string | number;

interface Update { message?: string; increment?: number }

interface Shown {
  progress: vscode.Progress<Update> | undefined;
  /** Updates that arrived before VS Code handed over the progress object. */
  readonly pending: Update[];
  reported: number;
  finish: () => void;
}

export class CancellableProgress implements vscode.Disposable {
  private readonly shown = new Map<ProgressToken, Shown>();
  private readonly titles = new Map<ProgressToken, string>();

  /**
   * @param cancel sends `window/workDoneProgress/cancel` for a token
   * @param ended receives the title and end message of a progress shown here
   */
  constructor(private readonly cancel: (token: ProgressToken) => void,
    private readonly ended: (title: string, message: string | undefined) => void) {}

  /** The `handleWorkDoneProgress` middleware of vscode-languageclient. */
  readonly handle = (token: ProgressToken, value: ProgressValue, next: () => void): void => {
    if (value.kind === "begin" && value.cancellable === true && !this.shown.has(token)) {
      this.begin(token, value);
      return;
    }
    const shown = this.shown.get(token);
    if (shown === undefined) {
      next();
      return;
    }
    if (value.kind === "report") {
      this.report(shown, value);
    } else if (value.kind === "end") {
      this.shown.delete(token);
      shown.finish();
      this.ended(this.titles.get(token) ?? "", value.message);
      this.titles.delete(token);
      next();  // lets vscode-languageclient forget the token
    }
  };

  private begin(token: ProgressToken, value: WorkDoneProgressBegin): void {
    const shown: Shown = { progress: undefined, pending: [], reported: 0, finish: () => {} };
    const done = new Promise<void>((resolve) => {
      shown.finish = resolve;
    });
    this.shown.set(token, shown);
    this.titles.set(token, value.title);
    this.report(shown, value);
    void vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification, title: value.title, cancellable: true,
    }, (progress, cancellation) => {
      const subscription = cancellation.onCancellationRequested(() => {
        this.cancel(token);
      });
      shown.progress = progress;
      for (const update of shown.pending.splice(0)) {
        progress.report(update);
      }
      return done.finally(() => {
        subscription.dispose();
      });
    });
  }

  private report(shown: Shown, value: WorkDoneProgressBegin | WorkDoneProgressReport): void {
    const update: Update = {};
    if (value.message !== undefined) {
      update.message = value.message;
    }
    if (value.percentage !== undefined) {
      const percentage = Math.max(0, Math.min(value.percentage, 100));
      update.increment = Math.max(0, percentage - shown.reported);
      shown.reported += update.increment;
    }
    if (shown.progress === undefined) {
      shown.pending.push(update);
    } else {
      shown.progress.report(update);
    }
  }

  dispose(): void {
    for (const shown of this.shown.values()) {
      shown.finish();
    }
    this.shown.clear();
    this.titles.clear();
  }
}
