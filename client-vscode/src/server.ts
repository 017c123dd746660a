/**
 * The language client: find a Python that has the server, start `python -m wishcraft_lsp`
 * over stdio for wish and registry files, and restart it when its command or files change.
 */
import * as fs from "node:fs";

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
  type PythonCommand,
  type Resolution,
  DEFAULT_PYTHON,
  displayCommand,
  expandPath,
  probe,
  pythonExtensionInterpreter,
  repositoryOf,
  resolveInterpreter,
} from "./interpreter";
import {
  COMMAND_PLAN_LOCATION,
  COMMAND_PLAN_WISH,
  NOTIFICATION_PLAN_UPDATED,
  SERVER_MODULE,
  SETTINGS_SECTION,
} from "./names";
import { isPlanUpdate, type PlanView } from "./planView";
import { CancellableProgress } from "./progress";
import {
  answerConfiguration,
  configuredGlobs,
  documentSelector,
  initializationOptions,
  readServerSettings,
} from "./settings";

/** What `wishcraft.planWish` answers (server/wishcraft_lsp/plan/runner.py `start`). */
export interface PlanWishResult {
  readonly started: boolean;
  readonly planUri?: string;
  readonly token?: string;
  readonly reason?: string;
  /** True when the server has already shown `reason` to the user. */
  readonly shown?: boolean;
}

/** What `wishcraft.planLocation` answers (server/wishcraft_lsp/features/planning.py). */
export interface PlanLocation {
  readonly planUri?: string | null;
  readonly exists: boolean;
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
  private failure: Resolution | undefined;
  private progress: CancellableProgress | undefined;
  /** Start and stop one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel, private readonly planView: PlanView) {
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
      if (this.failure !== undefined && !this.failure.ok) {
        void this.reportFailure(this.failure);
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

  /** Where the server writes the plan of `wish`, and whether that file exists. */
  async planLocation(client: LanguageClient, wish: vscode.Uri): Promise<PlanLocation> {
    const answer = await wishCommand<PlanLocation>(client, COMMAND_PLAN_LOCATION, wish);
    return { ...answer, exists: answer.exists === true };
  }

  private async resolve(): Promise<Resolution> {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const configured = expandPath(config.get<string>("server.path") ?? "", folder?.uri.fsPath);
    const repository = repositoryOf(this.context.extensionPath, fs.existsSync,
      (file) => fs.readFileSync(file, "utf8"));
    return resolveInterpreter({
      configured,
      pythonExtension: () => pythonExtensionInterpreter(folder?.uri, (m) => {
        this.log.warn(m);
      }),
      probe: (python) => probe(python),
      fallback: DEFAULT_PYTHON,
      repository,
    });
  }

  private async doStart(): Promise<void> {
    if (this.client !== undefined) {
      return;
    }
    const resolution = await this.resolve();
    this.failure = resolution;
    if (!resolution.ok) {
      this.log.error(resolution.message);
      void this.reportFailure(resolution);
      return;
    }
    for (const skipped of resolution.skipped) {
      this.log.info(`Skipped ${skipped}`);
    }
    const python = resolution.candidate.python;
    const logLevel = vscode.workspace.getConfiguration(SETTINGS_SECTION)
      .get<string>("server.logLevel") ?? "WARNING";
    this.log.info(`Starting the server: ${displayCommand(python)} -m ${SERVER_MODULE} ` +
      `(${resolution.candidate.source})`);
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
      documentSelector: documentSelector(configuredGlobs()),
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

  /** Show why the server cannot run, with the actions that fix it. */
  async reportFailure(resolution: Resolution & { ok: false }): Promise<void> {
    const install = "Install in Terminal";
    const copy = "Copy Command";
    const settings = "Open Settings";
    const logs = "Show Logs";
    const actions = resolution.installCommand !== undefined
      ? [install, copy, settings, logs]
      : [settings, logs];
    const choice = await vscode.window.showErrorMessage(resolution.message, ...actions);
    if (choice === install && resolution.installCommand !== undefined) {
      const terminal = vscode.window.createTerminal("Wishcraft: install the server");
      terminal.show();
      terminal.sendText(resolution.installCommand);
    } else if (choice === copy && resolution.installCommand !== undefined) {
      await vscode.env.clipboard.writeText(resolution.installCommand);
    } else if (choice === settings) {
      await vscode.commands.executeCommand("workbench.action.openSettings",
        `${SETTINGS_SECTION}.server.path`);
    } else if (choice === logs) {
      this.log.show();
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
    void this.stop();
  }
}
