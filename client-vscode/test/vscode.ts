/**
 * A small stand-in for the `vscode` module (aliased in vitest.config.mts): enough of Uri,
 * EventEmitter, editor groups and configuration for the extension's modules to run in Node.
 * Tests set `workbench.*` and `configuration` and read back what the code did.
 */
import { vi } from "vitest";

export class Uri {
  private constructor(readonly scheme: string, readonly authority: string,
    readonly path: string, readonly query = "", readonly fragment = "") {}

  static parse(value: string): Uri {
    const match = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/
      .exec(value);
    if (match === null) {
      throw new Error(`not a uri: ${value}`);
    }
    return new Uri(match[1]!, match[2] ?? "", decodeURIComponent(match[3] ?? ""),
      match[4] ?? "", match[5] ?? "");
  }

  static file(fsPath: string): Uri {
    return new Uri("file", "", fsPath);
  }

  get fsPath(): string {
    return this.path;
  }

  with(change: { scheme?: string; path?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, this.authority, change.path ?? this.path,
      this.query, this.fragment);
  }

  toString(): string {
    const path = this.path.split("/").map(encodeURIComponent).join("/");
    return `${this.scheme}://${this.authority}${path}` +
      (this.query ? `?${this.query}` : "") + (this.fragment ? `#${this.fragment}` : "");
  }

  toJSON(): string {
    return this.toString();
  }
}

export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  readonly fired: T[] = [];
  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };

  fire(value: T): void {
    this.fired.push(value);
    for (const listener of this.listeners) {
      listener(value);
    }
  }

  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly callback: () => void) {}
  dispose(): void {
    this.callback();
  }
}

export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  isCancellationRequested = false;
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
}

export enum ViewColumn { Active = -1, Beside = -2, One = 1, Two = 2, Three = 3 }

export class TabInputText {
  constructor(readonly uri: Uri) {}
}

interface StubDocument { uri: Uri; languageId: string; getText(): string }
interface StubEditor { document: StubDocument; viewColumn: number }
interface StubTab { input: TabInputText; isActive: boolean }
interface StubGroup { viewColumn: number; tabs: StubTab[]; activeTab: StubTab | undefined }

/** The editor groups: an ordered list of groups, each with tabs and one active tab. */
export const workbench = {
  groups: [] as StubGroup[],
  activeColumn: 1,
  opened: [] as { uri: string; viewColumn: number; preserveFocus: boolean }[],
  reset(): void {
    this.groups = [];
    this.activeColumn = 1;
    this.opened = [];
  },
  /** Put a document in a group (creating groups up to it) as that group's active tab. */
  place(uri: Uri, viewColumn: number): void {
    while (this.groups.length < viewColumn) {
      this.groups.push({ viewColumn: this.groups.length + 1, tabs: [], activeTab: undefined });
    }
    const group = this.groups[viewColumn - 1]!;
    let tab = group.tabs.find((t) => t.input.uri.toString() === uri.toString());
    if (tab === undefined) {
      tab = { input: new TabInputText(uri), isActive: false };
      group.tabs.push(tab);
    }
    for (const t of group.tabs) {
      t.isActive = t === tab;
    }
    group.activeTab = tab;
  },
  /** Close a document's tabs everywhere. */
  close(uri: Uri): void {
    for (const group of this.groups) {
      group.tabs = group.tabs.filter((t) => t.input.uri.toString() !== uri.toString());
      if (group.activeTab && !group.tabs.includes(group.activeTab)) {
        group.activeTab = group.tabs.at(-1);
      }
    }
  },
};

function documentFor(uri: Uri, languageId = "yaml"): StubDocument {
  return { uri, languageId, getText: () => "" };
}

export const window = {
  get visibleTextEditors(): StubEditor[] {
    return workbench.groups.flatMap((g) => g.activeTab
      ? [{ document: documentFor(g.activeTab.input.uri), viewColumn: g.viewColumn }]
      : []);
  },
  get activeTextEditor(): StubEditor | undefined {
    return this.visibleTextEditors.find((e) => e.viewColumn === workbench.activeColumn);
  },
  tabGroups: {
    get all(): StubGroup[] {
      return workbench.groups;
    },
  },
  showTextDocument: vi.fn(async (document: StubDocument,
    options: { viewColumn?: number; preserveFocus?: boolean } = {}) => {
    await Promise.resolve();
    let column: number = options.viewColumn ?? ViewColumn.Active;
    if (column === (ViewColumn.Beside as number)) {
      column = workbench.activeColumn + 1;
    } else if (column === (ViewColumn.Active as number)) {
      column = workbench.activeColumn;
    }
    workbench.place(document.uri, column);
    workbench.opened.push({ uri: document.uri.toString(), viewColumn: column,
      preserveFocus: options.preserveFocus === true });
    if (options.preserveFocus !== true) {
      workbench.activeColumn = column;
    }
    return { document, viewColumn: column };
  }),
  withProgress: vi.fn((_options: { location: ProgressLocation; title?: string;
    cancellable?: boolean }, _task: (progress: { report: (u: unknown) => void },
    token: CancellationTokenSource["token"]) => Promise<unknown>): Promise<unknown> =>
    Promise.resolve()),
  setStatusBarMessage: vi.fn((_text: string, _ms?: number) => new Disposable(() => {})),
  showErrorMessage: vi.fn(async (..._args: unknown[]) => undefined),
  showWarningMessage: vi.fn(async (..._args: unknown[]) => undefined),
  showInformationMessage: vi.fn(async (..._args: unknown[]) => undefined),
};

/** Flat `wishcraft.*` values returned by `getConfiguration("wishcraft").get(key)`. */
export const configuration = {
  values: {} as Record<string, unknown>,
  /** The keys the user set (the rest of `values` are package.json's defaults). */
  set: new Set<string>(),
  scopes: [] as (Uri | undefined)[],
};

export const workspace = {
  openTextDocument: vi.fn(async (uri: Uri) => {
    await Promise.resolve();
    return documentFor(uri, uri.path.endsWith(".md") ? "markdown" : "yaml");
  }),
  getConfiguration: vi.fn((section?: string, scope?: Uri) => {
    configuration.scopes.push(scope);
    return {
      get<T>(key: string, fallback?: T): T | undefined {
        const full = section ? `${section}.${key}` : key;
        return (full in configuration.values ? configuration.values[full] : fallback) as T;
      },
      inspect(key: string): Record<string, unknown> {
        const full = section ? `${section}.${key}` : key;
        const value = configuration.values[full];
        return configuration.set.has(full)
          ? { key: full, defaultValue: undefined, globalValue: value }
          : { key: full, defaultValue: value };
      },
    };
  }),
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
};

export const extensions = {
  getExtension: vi.fn((_id: string): unknown => undefined),
};

export const commands = { executeCommand: vi.fn(async (..._args: unknown[]) => undefined) };
export const env = { clipboard: { writeText: vi.fn(async (_text: string) => undefined) } };
