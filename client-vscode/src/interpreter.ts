/**
 * Which Python runs the server: the `wishcraft.server.path` setting, else the Python
 * extension's active environment (only when that extension is installed), else `python3`.
 * Each candidate is probed with `<python> -c "import wishcraft_lsp"`; when none can run the
 * server the user gets one sentence with the pip command that fixes it.
 */
import { execFile } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

import * as vscode from "vscode";

import { PYTHON_EXTENSION_ID, SERVER_MODULE, SERVER_PACKAGE } from "./names";

/** A Python command: the executable and any arguments before ours (e.g. `conda run ...`). */
export interface PythonCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export type InterpreterSource = "setting" | "python-extension" | "default";

/** Why a candidate cannot run the server. */
export type ProbeFailure = "not-found" | "missing-package" | "failed";

export type ProbeResult = { readonly ok: true } |
  { readonly ok: false; readonly failure: ProbeFailure; readonly detail: string };

export interface Candidate {
  readonly python: PythonCommand;
  readonly source: InterpreterSource;
}

export type Resolution =
  | { readonly ok: true; readonly candidate: Candidate; readonly skipped: readonly string[] }
  | {
    readonly ok: false;
    readonly candidate: Candidate;
    readonly failure: ProbeFailure;
    /** One or two sentences for the user, naming the fix. */
    readonly message: string;
    /** The shell command that installs the server, when that is the fix. */
    readonly installCommand?: string;
  };

export interface ResolveInputs {
  /** `wishcraft.server.path`, already expanded; empty when unset. */
  readonly configured: string;
  /** The Python extension's interpreter, or undefined when it is absent or has none. */
  readonly pythonExtension: () => Promise<PythonCommand | undefined>;
  /** Tell whether a Python can import the server. */
  readonly probe: (python: PythonCommand) => Promise<ProbeResult>;
  /** The last resort: `python3`. */
  readonly fallback: string;
  /** A checkout of the server's repository next to the extension, for `pip install -e`. */
  readonly repository?: string | undefined;
}

export const DEFAULT_PYTHON = process.platform === "win32" ? "python" : "python3";

/** Quote a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The Python command as the user would type it. */
export function displayCommand(python: PythonCommand): string {
  return [python.command, ...python.args].map(shellWord).join(" ");
}

/** The command that installs the server into `python`. */
export function installCommand(python: PythonCommand, repository?: string): string {
  const target = repository !== undefined ? `-e ${shellWord(repository)}` : SERVER_PACKAGE;
  return `${displayCommand(python)} -m pip install ${target}`;
}

/** The sentence shown when `candidate` cannot run the server. */
export function failureMessage(candidate: Candidate, result: ProbeResult & { ok: false },
  repository?: string): { message: string; installCommand?: string } {
  const shown = displayCommand(candidate.python);
  const where = candidate.source === "setting" ? " (from `wishcraft.server.path`)"
    : candidate.source === "python-extension" ? " (the Python extension's environment)" : "";
  if (result.failure === "not-found") {
    return {
      message: `Wishcraft: the Python interpreter \`${shown}\`${where} was not found. Set ` +
        "`wishcraft.server.path` to a Python 3.11+ interpreter that has the wishcraft-lsp " +
        "package.",
    };
  }
  if (result.failure === "missing-package") {
    const command = installCommand(candidate.python, repository);
    const other = repository !== undefined
      ? `\`${installCommand(candidate.python)}\``
      : `\`${displayCommand(candidate.python)} -m pip install -e <repo>\` from a checkout`;
    return {
      message: `Wishcraft: the language server is not installed for \`${shown}\`${where}. ` +
        `Install it with \`${command}\` (or ${other}), or set \`wishcraft.server.path\` to a ` +
        "Python that has it, then run “Wishcraft: Restart Server”.",
      installCommand: command,
    };
  }
  return {
    message: `Wishcraft: \`${shown} -c "import ${SERVER_MODULE}"\`${where} failed: ` +
      `${result.detail || "no output"}. See “Wishcraft: Show Logs”.`,
  };
}

/**
 * Pick the Python that runs the server. A configured path is used alone (the user chose it);
 * otherwise the Python extension's environment is tried before `python3`, and when neither
 * has the server the error names the first, the environment the user selected.
 */
export async function resolveInterpreter(inputs: ResolveInputs): Promise<Resolution> {
  const candidates: Candidate[] = [];
  if (inputs.configured.trim() !== "") {
    candidates.push({ python: { command: inputs.configured, args: [] }, source: "setting" });
  } else {
    const fromExtension = await inputs.pythonExtension();
    if (fromExtension !== undefined) {
      candidates.push({ python: fromExtension, source: "python-extension" });
    }
    candidates.push({ python: { command: inputs.fallback, args: [] }, source: "default" });
  }
  const skipped: string[] = [];
  let first: { candidate: Candidate; result: ProbeResult & { ok: false } } | undefined;
  for (const candidate of candidates) {
    const result = await inputs.probe(candidate.python);
    if (result.ok) {
      return { ok: true, candidate, skipped };
    }
    first ??= { candidate, result };
    skipped.push(`${displayCommand(candidate.python)}: ${result.failure}` +
      (result.detail ? ` (${result.detail})` : ""));
  }
  if (first === undefined) {
    throw new Error("no interpreter candidates");  // unreachable: the fallback is always there
  }
  const { message, installCommand: command } = failureMessage(first.candidate, first.result,
    inputs.repository);
  return {
    ok: false, candidate: first.candidate, failure: first.result.failure, message,
    ...(command !== undefined ? { installCommand: command } : {}),
  };
}

/** Run `<python> -c "import wishcraft_lsp"` and classify what went wrong. */
export function probe(python: PythonCommand, timeoutMs = 20_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(python.command, [...python.args, "-c", `import ${SERVER_MODULE}`],
      { timeout: timeoutMs, windowsHide: true }, (error, _stdout, stderr) => {
        if (error === null) {
          resolve({ ok: true });
          return;
        }
        const text = stderr.trim();
        const lastLine = text.split(/\r?\n/).pop() ?? "";
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          resolve({ ok: false, failure: "not-found", detail: "" });
        } else if (new RegExp(`No module named '?${SERVER_MODULE}`).test(text)) {
          resolve({ ok: false, failure: "missing-package", detail: lastLine });
        } else {
          resolve({ ok: false, failure: "failed", detail: lastLine || error.message });
        }
      });
  });
}

/** Expand `~`, `${userHome}` and `${workspaceFolder}` in a configured path. */
export function expandPath(value: string, workspaceFolder?: string,
  home: string = os.homedir()): string {
  let out = value.trim();
  if (out === "~" || out.startsWith("~/")) {
    out = home + out.slice(1);
  }
  out = out.replace(/\$\{userHome\}/g, home);
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  return out;
}

/** The part of the Python extension's API used here (it is not a dependency). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(environment: { id: string; path: string } | string):
      Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (extension === undefined) {
    return undefined;
  }
  return extension.isActive ? extension.exports : await extension.activate();
}

/** The Python extension's active interpreter for `resource`, when the extension is installed. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri,
  log?: (message: string) => void): Promise<PythonCommand | undefined> {
  try {
    const api = await pythonExtensionApi();
    if (api === undefined) {
      return undefined;
    }
    if (api.environments !== undefined) {
      const active = api.environments.getActiveEnvironmentPath(resource);
      const resolved = await api.environments.resolveEnvironment(active);
      const executable = resolved?.executable.uri?.fsPath;
      if (executable) {
        return { command: executable, args: [] };
      }
    }
    const command = api.settings?.getExecutionDetails(resource).execCommand;
    if (command !== undefined && command.length > 0) {
      return { command: command[0] as string, args: command.slice(1) };
    }
  } catch (error) {
    log?.(`The Python extension did not give an interpreter: ${String(error)}`);
  }
  return undefined;
}

/** Call `listener` when the user picks another environment in the Python extension. */
export async function onPythonEnvironmentChange(listener: () => void):
  Promise<vscode.Disposable | undefined> {
  try {
    const api = await pythonExtensionApi();
    return api?.environments?.onDidChangeActiveEnvironmentPath?.(listener);
  } catch {
    return undefined;
  }
}

/** The server's repository when the extension runs from a checkout (client-vscode/ in it). */
export function repositoryOf(extensionPath: string, exists: (file: string) => boolean,
  read: (file: string) => string): string | undefined {
  const root = path.dirname(extensionPath);
  const manifest = path.join(root, "pyproject.toml");
  try {
    return exists(manifest) && /name\s*=\s*"wishcraft-lsp"/.test(read(manifest)) ? root
      : undefined;
  } catch {
    return undefined;
  }
}
