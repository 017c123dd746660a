/**
 * The language client: find a Python that has the server (or install the bundled one), start
 * `python -m wishcraft.lsp` over stdio for wish and registry files, and restart it when its
 * command or files change.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as vscode from "vscode";
import {
  CancellationToken,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  type ServerOptions,
  State,
  WorkDoneProgressCancelNotification,
} from "vscode-languageclient/node";

import {
  type BundledWheel,
  type InstallResult,
  findBundledWheel,
  installServer,
  managedVenv,
  runLogged,
} from "./install";
import {
  type Decision,
  type PythonCommand,
  DEFAULT_PYTHON,
  displayCommand,
  expandPath,
  findExecutable,
  isExecutableFile,
  probe,
  pythonExtensionInterpreter,
  resolveInterpreter,
  versionText,
} from "./interpreter";
import {
  COMMAND_PLAN_LOCATION,
  COMMAND_PLAN_WISH,
  NOTIFICATION_PLAN_UPDATED,
  SERVER_MODULE,
  SETTINGS_SECTION,
  WHEEL_FOLDER,
} from "./names";
import { isPlanUpdate, type PlanView } from "./planView";
import { CancellableProgress } from "./progress";
import {
  answerConfiguration,
  documentSelector,
  initializationOptions,
  readServerSettings,
} from "./settings";
import type { WishGlobs } from "./wishGlobs";

/** What `wishcraft.planWish` answers (server/wishcraft/lsp/runner.py `start`). */
export interface PlanWishResult {
  readonly started: boolean;
  readonly planUri?: string;
  readonly token?: string;
  readonly reason?: string;
  /** True when the server has already shown `reason` to the user. */
  readonly shown?: boolean;
}

/** What `wishcraft.planLocation` answers (server/wishcraft/lsp/features/planning.py). */
export interface PlanLocation {
  /** Null when the wish has no place for a plan (`reason` says why). */
  readonly planUri: string | null;
  readonly exists: boolean;
  readonly reason?: string;
}

/**
 * What `wishcraft.insertPlanSteps` answers (server/wishcraft/lsp/features/planning.py). The
 * command runs from the server's code action, which vscode-languageclient executes; when
 * nothing is applied the server has already shown `reason`.
 */
export interface InsertStepsResult {
  readonly applied: boolean;
  readonly reason?: string;
}

/** Run a server command on a wish; its answer as a partial object (none if not an object). */
async function wishCommand<T>(client: LanguageClient, command: string,
                              wish: vscode.Uri): Promise<Partial<T>> {
  const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
    command,
    arguments: [client.code2ProtocolConverter.asUri(wish)],
  });
  return typeof result === "object" && result !== null ? result : {};
}

/** The server's command line for a Python. */
export function serverCommand(python: PythonCommand, logLevel: string): ServerOptions {
  return {
    command: python.command,
    args: [...python.args, "-m", SERVER_MODULE, "--log-level", logLevel],
    options: { env: { ...process.env, PYTHONUNBUFFERED: "1" } },
  };
}

export class WishcraftServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private decision: Decision | undefined;
  private progress: CancellableProgress | undefined;
  /** Start and stop one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel, private readonly planView: PlanView,
    private readonly globs: WishGlobs) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((event) => {
      this.configurationChanged(event);
    }));
  }

  /** The running client, or undefined when the server could not start. */
  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** Start the server (a no-op while it runs). */
  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  /** Stop and start again, re-reading the interpreter and the wish globs. */
  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** Stop the server. */
  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch((error: unknown) => {
      this.log.error(`Wishcraft server: ${String(error)}`);
    });
    return next;
  }

  /** Wait for pending starts and stops; give the running client, else report why there is none. */
  async ready(): Promise<LanguageClient | undefined> {
    await this.queue;
    const client = this.running;
    if (client === undefined) {
      if (this.decision !== undefined && this.decision.kind !== "use") {
        void this.report(this.decision);
      } else {
        void vscode.window.showErrorMessage("Wishcraft: the language server is not running. " +
          "See “Wishcraft: Show Logs”, then run “Wishcraft: Restart Server”.");
      }
    }
    return client;
  }

  /** Ask the server to plan a wish. */
  async planWish(client: LanguageClient, wish: vscode.Uri): Promise<PlanWishResult> {
    const answer = await wishCommand<PlanWishResult>(client, COMMAND_PLAN_WISH, wish);
    return { ...answer, started: answer.started === true };
  }

  /**
   * Run a server command on a wish (Apply plan, Undo apply): the server does the work and
   * shows its own messages; the answer only goes to the log.
   */
  async wishCommand(client: LanguageClient, command: string,
                    wish: vscode.Uri): Promise<Record<string, unknown>> {
    return wishCommand<Record<string, unknown>>(client, command, wish);
  }

  /** Where the server writes the plan of `wish`, and whether that file exists. */
  async planLocation(client: LanguageClient, wish: vscode.Uri): Promise<PlanLocation> {
    const answer = await wishCommand<PlanLocation>(client, COMMAND_PLAN_LOCATION, wish);
    return { ...answer, planUri: answer.planUri ?? null, exists: answer.exists === true };
  }

  /** The server wheel this build of the extension carries, if any. */
  private bundledWheel(): BundledWheel | undefined {
    const folder = path.join(this.context.extensionPath, WHEEL_FOLDER);
    try {
      return findBundledWheel(folder, fs.readdirSync(folder));
    } catch {
      return undefined;
    }
  }

  private managedVenv() {
    return managedVenv(this.context.globalStorageUri.fsPath);
  }

  private async resolve(): Promise<Decision> {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const configured = expandPath(config.get<string>("server.path") ?? "", folder?.uri.fsPath);
    const venv = this.managedVenv();
    return resolveInterpreter({
      configured,
      pythonExtension: () => pythonExtensionInterpreter(folder?.uri, (m) => {
        this.log.warn(m);
      }),
      fallback: DEFAULT_PYTHON,
      absolute: (command) => findExecutable(command, process.env.PATH ?? "", isExecutableFile,
        { cwd: folder?.uri.fsPath ?? process.cwd(), pathExt: process.env.PATHEXT ?? "" }),
      probe: (python) => probe(python),
      managed: isExecutableFile(venv.python.command) ? venv.python : undefined,
      bundled: this.bundledWheel()?.version,
    });
  }

  private async doStart(): Promise<void> {
    if (this.client !== undefined) {
      return;
    }
    await this.globs.refresh();
    this.log.info(`Wish globs: ${this.globs.current.join(", ")}`);
    const decision = await this.resolve();
    this.decision = decision;
    for (const skipped of decision.skipped) {
      this.log.info(`Passed over ${skipped}`);
    }
    if (decision.kind !== "use") {
      this.log.warn(decision.message);
      void this.report(decision);
      return;
    }
    const python = decision.candidate.python;
    const logLevel = vscode.workspace.getConfiguration(SETTINGS_SECTION)
      .get<string>("server.logLevel") ?? "WARNING";
    this.log.info(`Starting the server: ${displayCommand(python)} -m ${SERVER_MODULE} ` +
      `(${decision.candidate.source}: Python ${versionText(decision.facts.version)}, server ` +
      `${decision.facts.server ?? "?"})`);
    const planView = this.planView;
    const progress = new CancellableProgress((token) => {
      void this.client?.sendNotification(WorkDoneProgressCancelNotification.type, { token });
    }, (title, message) => {
      if (message !== undefined) {
        this.log.info(`${title}: ${message}`);
        vscode.window.setStatusBarMessage(`${title}: ${message}`, 15_000);
      }
    });
    this.progress = progress;
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(this.globs.current),
      outputChannel: this.log,
      diagnosticCollectionName: "wishcraft",
      initializationOptions: initializationOptions(),
      middleware: {
        handleWorkDoneProgress: (token, params, next) => {
          progress.handle(token, params, () => {
            next(token, params);
          });
        },
        workspace: { configuration: answerConfiguration },
        window: {
          showDocument: async (params, next) => {
            if (await planView.showDocument(params.uri, params.external)) {
              this.log.info(`window/showDocument ${params.uri}: revealed the plan view`);
              return { success: true };
            }
            const result = await next(params, CancellationToken.None);
            return result instanceof ResponseError ? { success: false } : result;
          },
        },
      },
    };
    const client = new LanguageClient("wishcraft", "Wishcraft", serverCommand(python, logLevel),
      clientOptions);
    client.onNotification(NOTIFICATION_PLAN_UPDATED, (params: unknown) => {
      if (isPlanUpdate(params)) {
        planView.update(params).catch((error: unknown) => {
          this.log.error(`Could not show the plan: ${String(error)}`);
        });
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The server did not start: ${String(error)}`);
      void vscode.window.showErrorMessage(`Wishcraft: the language server did not start ` +
        `(${displayCommand(python)} -m ${SERVER_MODULE}). See “Wishcraft: Show Logs”.`);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.progress?.dispose();
    this.progress = undefined;
    if (client === undefined) {
      return;
    }
    try {
      if (client.state !== State.Stopped) {
        await client.stop(5_000);
      }
    } catch (error) {
      this.log.warn(`Stopping the server: ${String(error)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (event.affectsConfiguration(`${SETTINGS_SECTION}.server`) ||
        event.affectsConfiguration(`${SETTINGS_SECTION}.files.globs`)) {
      void this.restart();
      return;
    }
    if (event.affectsConfiguration(SETTINGS_SECTION)) {
      void this.running?.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SETTINGS_SECTION]: readServerSettings() },
      });
    }
  }

  /** Offer to install the server, or say why there is none to run, with the actions that fix it. */
  async report(decision: Decision & { kind: "offer-install" | "unusable" }): Promise<void> {
    const install = "Install";
    const settings = "Open Settings";
    const logs = "Show Logs";
    // An error (not a warning) so the offer stays until answered: nothing works without it.
    const choice = decision.kind === "offer-install"
      ? await vscode.window.showErrorMessage(decision.message, install, logs)
      : await vscode.window.showErrorMessage(decision.message, settings, logs);
    if (choice === install && decision.kind === "offer-install") {
      await this.install(decision.base.python);
    } else if (choice === settings) {
      await vscode.commands.executeCommand("workbench.action.openSettings",
        `${SETTINGS_SECTION}.server.path`);
    } else if (choice === logs) {
      this.log.show();
    }
  }

  /**
   * **Wishcraft: Reinstall Server**: a fresh managed environment with the Python the
   * resolution would install with, then a restart.
   */
  async reinstall(): Promise<void> {
    await this.queue;
    const decision = await this.resolve();
    const base = decision.kind === "offer-install" ? decision.base
      : decision.kind === "use" ? decision.base : undefined;
    if (base === undefined) {
      const message = decision.kind === "unusable" ? decision.message
        : "Wishcraft: no Python to install the server with was found; set " +
          "`wishcraft.server.path` to a Python 3.11 or later.";
      this.log.warn(message);
      void vscode.window.showErrorMessage(message);
      return;
    }
    await this.install(base.python);
  }

  /**
   * Install the bundled wheel into the managed environment with `base`, with a progress
   * notification, and start the server from it. A failure is one sentence; pip's output is
   * in the log.
   */
  install(base: PythonCommand): Promise<void> {
    return this.enqueue(async () => {
      const wheel = this.bundledWheel();
      if (wheel === undefined) {
        const message = "Wishcraft: this build of the extension carries no server to install; " +
          "set `wishcraft.server.path` to a Python that has it.";
        this.log.error(message);
        void vscode.window.showErrorMessage(message);
        return;
      }
      const venv = this.managedVenv();
      this.log.info(`Installing ${path.basename(wheel.file)} into ${venv.root} with ` +
        displayCommand(base));
      const swap = { stopped: false };
      const result = await vscode.window.withProgress<InstallResult>({
        location: vscode.ProgressLocation.Notification,
        title: `Wishcraft: installing the language server ${wheel.version}`,
      }, (progress) => installServer(base, wheel, venv, {
        run: (line) => runLogged(line, (text) => {
          this.log.info(text);
        }),
        log: (message) => {
          this.log.info(message);
        },
        step: (message) => {
          progress.report({ message });
        },
        // The running server may import from the old environment: stop it before the swap.
        beforeSwap: async () => {
          swap.stopped = true;
          await this.doStop();
        },
      }).catch((error: unknown) => ({
        ok: false as const,
        message: `Wishcraft: installing the language server failed (${String(error)}); see ` +
          "“Wishcraft: Show Logs”.",
      })));
      if (!result.ok) {
        this.log.error(result.message);
        void vscode.window.showErrorMessage(result.message, "Show Logs").then((choice) => {
          if (choice !== undefined) {
            this.log.show();
          }
        });
        if (swap.stopped) {
          await this.doStart();  // whatever can run now
        }
        return;
      }
      await this.doStart();
    });
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
    void this.stop();
  }
}
