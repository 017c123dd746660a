/**
 * The Wishcraft extension: a thin client. It starts the Python language server, passes the
 * `wishcraft.*` settings, and shows what the server sends; every check, completion and plan
 * is made by the server.
 */
import * as path from "node:path";

import * as vscode from "vscode";

import {
  CLIENT_COMMAND_APPLY_THIS_PLAN,
  CLIENT_COMMAND_OPEN_PLAN,
  CLIENT_COMMAND_OPEN_PULL_REQUEST,
  CLIENT_COMMAND_PLAN_THIS_WISH,
  CLIENT_COMMAND_REINSTALL_SERVER,
  CLIENT_COMMAND_RESTART_SERVER,
  CLIENT_COMMAND_SET_UP_HERE,
  CLIENT_COMMAND_SHOW_LOGS,
  CLIENT_COMMAND_TRUST_REPOSITORY,
  CLIENT_COMMAND_UNDO_LAST_APPLY,
  COMMAND_APPLY_PLAN,
  COMMAND_INIT_WORKSPACE,
  COMMAND_OPEN_PULL_REQUEST,
  COMMAND_TRUST_REPOSITORY,
  COMMAND_UNDO_APPLY,
  CONTEXT_WISH_PATHS,
  PLAN_SCHEME,
} from "./names";
import { onPythonEnvironmentChange } from "./interpreter";
import { PlanView } from "./planView";
import { WishcraftServer } from "./server";
import { configuredGlobs, isSet, wishSelector } from "./settings";
import { REPOSITORY_CONFIG, WishGlobs } from "./wishGlobs";

let server: WishcraftServer | undefined;

/** The wish globs in use: the setting, widened by each repository's `[files] globs`. */
const wishGlobs = new WishGlobs({
  configured: configuredGlobs,
  userSet: () => isSet(vscode.workspace.getConfiguration("wishcraft"), "files.globs"),
  folders: () => (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === "file").map((folder) => folder.uri.fsPath),
  read: (folder, relative) => readText(vscode.Uri.joinPath(vscode.Uri.file(folder), relative)),
});

async function readText(file: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  } catch {
    return undefined;
  }
}

/** Tell whether a document is one the server checks as a wish (by the wish globs in use). */
function isWish(document: vscode.TextDocument): boolean {
  return vscode.languages.match(wishSelector(wishGlobs.current), document) > 0;
}

/** Publish the open wish files' paths, so menus show the planning commands on them. */
function updateWishContext(): void {
  const paths = vscode.workspace.textDocuments.filter(isWish).map((d) => d.uri.fsPath);
  void vscode.commands.executeCommand("setContext", CONTEXT_WISH_PATHS, paths);
}

/** The wish a command applies to: the menu's resource, else the active editor's document. */
async function targetWish(resource: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = resource instanceof vscode.Uri ? resource
    : vscode.window.activeTextEditor?.document.uri;
  if (uri === undefined) {
    void vscode.window.showWarningMessage("Wishcraft: open a wish file first.");
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  if (!isWish(document)) {
    void vscode.window.showWarningMessage(`Wishcraft: ${path.basename(uri.path)} is not a wish ` +
      "file (see the `wishcraft.files.globs` setting).");
    return undefined;
  }
  return document;
}

/** Watchers of the wishcraft.toml files read from above the workspace folders, by folder. */
const outsideWatchers = new Map<string, vscode.Disposable>();

/** Whether `folder` is `parent` or inside it. */
function isWithin(parent: string, folder: string): boolean {
  const relative = path.relative(parent, folder);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Watch the wishcraft.toml files the globs came from that lie above every workspace folder
 * (the `**` watcher sees only those inside), and stop watching those no longer read.
 */
function watchConfigsOutside(onChange: () => Promise<void>): void {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
  const wanted = new Set(wishGlobs.configFolders
    .filter((found) => !folders.some((folder) => isWithin(folder, found))));
  for (const [folder, watcher] of outsideWatchers) {
    if (!wanted.has(folder)) {
      watcher.dispose();
      outsideWatchers.delete(folder);
    }
  }
  for (const folder of wanted) {
    if (!outsideWatchers.has(folder)) {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(folder), REPOSITORY_CONFIG));
      const changed = (): void => void onChange();
      outsideWatchers.set(folder, vscode.Disposable.from(watcher, watcher.onDidChange(changed),
        watcher.onDidCreate(changed), watcher.onDidDelete(changed)));
    }
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Wishcraft", { log: true });
  const planView = new PlanView(context.workspaceState, readText);
  const wishcraft = server = new WishcraftServer(context, log, planView, wishGlobs);
  // A repository's wishcraft.toml names its wish globs: a change that widens or narrows them
  // restarts the server with the new document selector.
  const repositoryConfigs = vscode.workspace.createFileSystemWatcher(`**/${REPOSITORY_CONFIG}`);
  const globsMayHaveChanged = async (): Promise<void> => {
    const changed = await wishGlobs.refresh();
    watchConfigsOutside(globsMayHaveChanged);
    if (changed) {
      log.info(`Wish globs changed: ${wishGlobs.current.join(", ")}`);
      updateWishContext();
      void wishcraft.restart();
    }
  };
  context.subscriptions.push(log, planView, wishcraft, repositoryConfigs,
    repositoryConfigs.onDidCreate(globsMayHaveChanged),
    repositoryConfigs.onDidChange(globsMayHaveChanged),
    repositoryConfigs.onDidDelete(globsMayHaveChanged),
    vscode.workspace.onDidChangeWorkspaceFolders(globsMayHaveChanged),
    vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, planView),
    vscode.workspace.onDidOpenTextDocument(updateWishContext),
    vscode.workspace.onDidCloseTextDocument(updateWishContext),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("wishcraft.files.globs")) {
        // The server restarts itself (server.ts); the menus follow the new globs.
        void wishGlobs.refresh().then(updateWishContext);
      }
    }),
    vscode.commands.registerCommand(CLIENT_COMMAND_PLAN_THIS_WISH, async (resource: unknown) => {
      const document = await targetWish(resource);
      const client = document !== undefined ? await wishcraft.ready() : undefined;
      if (document === undefined || client === undefined) {
        return;
      }
      const result = await wishcraft.planWish(client, document.uri);
      if (result.started && result.planUri !== undefined) {
        await planView.started(document.uri.toString(), result.planUri);
      } else {
        // The server says `shown` when it has already shown the reason (errors in the wish, a
        // plan running): then it only goes to the log, never in a second notification.
        const reason = result.reason ?? "the server did not start a plan";
        log.info(`Not planning ${document.uri.fsPath}: ${reason}`);
        if (result.shown !== true) {
          void vscode.window.showWarningMessage(`Wishcraft: ${reason}`);
        }
      }
    }),
    vscode.commands.registerCommand(CLIENT_COMMAND_OPEN_PLAN, async (resource: unknown) => {
      const document = await targetWish(resource);
      if (document === undefined) {
        return;
      }
      const plan = planView.planFor(document.uri);
      if (plan !== undefined) {
        await planView.show(plan);
        return;
      }
      // A plan made in an earlier session: the server knows where its file is.
      const client = await wishcraft.ready();
      const location = client !== undefined
        ? await wishcraft.planLocation(client, document.uri) : undefined;
      if (location?.exists === true && location.planUri) {
        await planView.show(vscode.Uri.parse(location.planUri));
        return;
      }
      const choice = await vscode.window.showInformationMessage(
        `Wishcraft: ${path.basename(document.uri.path)} has no plan yet.`, "Plan This Wish");
      if (choice !== undefined) {
        await vscode.commands.executeCommand(CLIENT_COMMAND_PLAN_THIS_WISH, document.uri);
      }
    }),
    // Apply plan, Undo apply and Open pull request: the server runs them (progress, review,
    // messages, the pull request's page) itself.
    ...([[CLIENT_COMMAND_APPLY_THIS_PLAN, COMMAND_APPLY_PLAN],
      [CLIENT_COMMAND_UNDO_LAST_APPLY, COMMAND_UNDO_APPLY],
      [CLIENT_COMMAND_OPEN_PULL_REQUEST, COMMAND_OPEN_PULL_REQUEST],
    ] as const).map(([id, command]) =>
      vscode.commands.registerCommand(id, async (resource: unknown) => {
        const document = await targetWish(resource);
        const client = document !== undefined ? await wishcraft.ready() : undefined;
        if (document !== undefined && client !== undefined) {
          const answer = await wishcraft.wishCommand(client, command, document.uri);
          log.info(`${command} ${document.uri.fsPath}: ${JSON.stringify(answer)}`);
        }
      })),
    // Set up Wishcraft here: the server writes the files (as `wishcraft init`), says what it
    // wrote and opens the starter wish; the client only picks the folder.
    vscode.commands.registerCommand(CLIENT_COMMAND_SET_UP_HERE, async (resource: unknown) => {
      const folders = vscode.workspace.workspaceFolders ?? [];
      const folder = resource instanceof vscode.Uri ? resource
        : folders.length === 1 ? folders[0]?.uri
        : (await vscode.window.showWorkspaceFolderPick())?.uri;
      if (folder === undefined) {
        if (folders.length === 0) {
          void vscode.window.showWarningMessage(
            "Wishcraft: open a folder first; Set Up Wishcraft Here sets up its repository.");
        }
        return;
      }
      const client = await wishcraft.ready();
      if (client !== undefined) {
        const answer = await wishcraft.wishCommand(client, COMMAND_INIT_WORKSPACE, folder);
        log.info(`${COMMAND_INIT_WORKSPACE} ${folder.fsPath}: ${JSON.stringify(answer)}`);
      }
    }),
    // Trust the repository's wishcraft.toml to run its commands (`wishcraft trust`): the server
    // asks the question, quoting the command; VS Code's own workspace trust comes first (the
    // command is disabled in an untrusted workspace).
    vscode.commands.registerCommand(CLIENT_COMMAND_TRUST_REPOSITORY, async (resource: unknown) => {
      const folders = vscode.workspace.workspaceFolders ?? [];
      const folder = resource instanceof vscode.Uri ? resource
        : folders.length === 1 ? folders[0]?.uri
        : (await vscode.window.showWorkspaceFolderPick())?.uri;
      const client = folder === undefined ? undefined : await wishcraft.ready();
      if (client !== undefined && folder !== undefined) {
        const answer = await wishcraft.wishCommand(client, COMMAND_TRUST_REPOSITORY, folder);
        log.info(`${COMMAND_TRUST_REPOSITORY} ${folder.fsPath}: ${JSON.stringify(answer)}`);
      }
    }),
    vscode.commands.registerCommand(CLIENT_COMMAND_RESTART_SERVER, () => wishcraft.restart()),
    vscode.commands.registerCommand(CLIENT_COMMAND_REINSTALL_SERVER, () => wishcraft.reinstall()),
    vscode.commands.registerCommand(CLIENT_COMMAND_SHOW_LOGS, () => {
      log.show();
    }),
  );
  await wishGlobs.refresh();
  watchConfigsOutside(globsMayHaveChanged);
  context.subscriptions.push({ dispose: () => {
    for (const watcher of outsideWatchers.values()) {
      watcher.dispose();
    }
    outsideWatchers.clear();
  } });
  updateWishContext();
  await wishcraft.start();
  const environmentChanged = await onPythonEnvironmentChange(() => {
    if (!vscode.workspace.getConfiguration("wishcraft").get<string>("server.path")) {
      void wishcraft.restart();
    }
  });
  if (environmentChanged !== undefined) {
    context.subscriptions.push(environmentChanged);
  }
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
