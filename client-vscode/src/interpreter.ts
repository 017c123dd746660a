/**
 * Which Python runs the server. Candidates: the `wishcraft.server.path` setting, else the
 * Python extension's active environment (only when that extension is installed), then
 * `python3`; each is made an absolute path (a PATH lookup in the extension host, never a
 * terminal) and asked for its version and the server's installed version in one run.
 *
 * The first candidate with the server at the bundled wheel's version runs it; else the
 * environment the extension installed earlier in its global storage, when it has that version;
 * else the user is offered to install the bundled wheel with the first candidate that is
 * Python 3.11 or later, or told in one sentence why none can be used.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as vscode from "vscode";

import { MIN_PYTHON, PYTHON_EXTENSION_ID, SERVER_DISTRIBUTION } from "./names";

/** A Python command: the executable and any arguments before ours (e.g. `conda run ...`). */
export interface PythonCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** Where a candidate came from; `managed` is the environment the extension installed. */
export type InterpreterSource = "setting" | "python-extension" | "default" | "managed";

export interface Candidate {
  readonly python: PythonCommand;
  readonly source: InterpreterSource;
}

/** What a Python says about itself (see PROBE_SCRIPT). */
export interface PythonFacts {
  readonly executable: string;
  readonly version: readonly [number, number, number];
  /** The server's installed version, or null when it is not installed. */
  readonly server: string | null;
}

export type ProbeResult =
  | { readonly ok: true; readonly facts: PythonFacts }
  | { readonly ok: false; readonly failure: "not-found" | "failed"; readonly detail: string };

/**
 * What to do: run the server with a Python, offer to install the bundled wheel with one, or
 * tell the user in one sentence why there is nothing to run.
 */
export type Decision =
  | { readonly kind: "use"; readonly candidate: Candidate; readonly facts: PythonFacts;
    readonly skipped: readonly string[];
    /** The Python a reinstall would use: the candidate, or for `managed` the first usable one. */
    readonly base: Candidate | undefined }
  | { readonly kind: "offer-install"; readonly base: Candidate; readonly facts: PythonFacts;
    readonly message: string; readonly skipped: readonly string[] }
  | { readonly kind: "unusable"; readonly candidate: Candidate; readonly message: string;
    readonly skipped: readonly string[] };

export interface ResolveInputs {
  /** `wishcraft.server.path`, already expanded; empty when unset. */
  readonly configured: string;
  /** The Python extension's interpreter, or undefined when it is absent or has none. */
  readonly pythonExtension: () => Promise<PythonCommand | undefined>;
  /** The last resort: `python3`. */
  readonly fallback: string;
  /** Make a command absolute (a PATH lookup); undefined when it is not found. */
  readonly absolute: (command: string) => string | undefined;
  /** Ask a Python for its facts. */
  readonly probe: (python: PythonCommand) => Promise<ProbeResult>;
  /** The managed environment's Python, when that environment exists. */
  readonly managed?: PythonCommand | undefined;
  /** The bundled wheel's version; undefined when this build carries none. */
  readonly bundled?: string | undefined;
}

export const DEFAULT_PYTHON = process.platform === "win32" ? "python" : "python3";

/**
 * Printed by every candidate as one JSON line: its executable, version and the server's
 * installed version. Written to run on any Python, so an old one still says its version.
 */
export const PROBE_SCRIPT = [
  "import sys, json",
  "try:",
  "    from importlib.metadata import version",
  `    server = version(${JSON.stringify(SERVER_DISTRIBUTION)})`,
  "except Exception:",
  "    server = None",
  "print(json.dumps({'executable': sys.executable, 'version': list(sys.version_info[:3]), " +
    "'server': server}))",
].join("\n");

/** Quote a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The Python command as the user would type it. */
export function displayCommand(python: PythonCommand): string {
  return [python.command, ...python.args].map(shellWord).join(" ");
}

/** Read the probe's JSON line (the last line of its output); undefined when it is not one. */
export function parseProbe(stdout: string): PythonFacts | undefined {
  const line = stdout.trim().split(/\r?\n/).pop() ?? "";
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null) {
      return undefined;
    }
    const { executable, version, server } = value as Record<string, unknown>;
    if (typeof executable !== "string" || !Array.isArray(version) || version.length !== 3 ||
        !version.every((part) => Number.isInteger(part)) ||
        !(typeof server === "string" || server === null)) {
      return undefined;
    }
    const [major = 0, minor = 0, micro = 0] = version as number[];
    return { executable, version: [major, minor, micro], server };
  } catch {
    return undefined;
  }
}

/** `3.11.7`. */
export function versionText(version: readonly number[]): string {
  return version.join(".");
}

/** Tell whether a Python is new enough to run the server. */
export function isSupported(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

/**
 * A version in the form pip compares (PEP 440 normalisation of the common cases: case,
 * a leading `v`, `-`/`_` separators, and trailing `.0` release parts).
 */
export function normalizeVersion(version: string): string {
  const text = version.trim().toLowerCase().replace(/^v/, "").replace(/[-_]/g, ".");
  const match = /^(\d+(?:\.\d+)*)(.*)$/.exec(text);
  if (match === null) {
    return text;
  }
  const [, numbers = "", rest = ""] = match;
  const release = numbers.split(".").map((part) => String(Number(part)));
  while (release.length > 1 && release.at(-1) === "0") {
    release.pop();
  }
  return release.join(".") + rest.replace(/^\./, "");
}

export function sameVersion(a: string, b: string): boolean {
  return normalizeVersion(a) === normalizeVersion(b);
}

/** Tell whether a probed Python can run the server as it is. */
function usable(result: ProbeResult, bundled: string | undefined): result is
  { ok: true; facts: PythonFacts } {
  return result.ok && isSupported(result.facts.version) && result.facts.server !== null &&
    (bundled === undefined || sameVersion(result.facts.server, bundled));
}

function where(candidate: Candidate): string {
  return candidate.source === "setting" ? " (from `wishcraft.server.path`)"
    : candidate.source === "python-extension" ? " (the Python extension's environment)" : "";
}

/** Why a probed candidate was passed over, for the log. */
function skippedLine(candidate: Candidate, result: ProbeResult): string {
  const shown = displayCommand(candidate.python);
  if (!result.ok) {
    return `${shown}: ${result.failure}${result.detail ? ` (${result.detail})` : ""}`;
  }
  const { version, server } = result.facts;
  return `${shown}: Python ${versionText(version)}, ` +
    (server === null ? "no server" : `server ${server}`);
}

/** The sentence offering to install, for a Python that lacks the bundled version. */
export function offerMessage(base: Candidate, facts: PythonFacts, bundled: string): string {
  const shown = displayCommand(base.python);
  const has = facts.server === null
    ? `the language server is not installed for \`${shown}\`${where(base)}`
    : `\`${shown}\`${where(base)} has language server ${facts.server}, not ${bundled}`;
  return `Wishcraft: ${has}; Install puts version ${bundled} in an environment of the ` +
    "extension's own, made with that Python.";
}

/** The sentence for a Python older than the server supports. */
export function tooOldMessage(candidate: Candidate, facts: PythonFacts): string {
  return `Wishcraft needs Python ${versionText(MIN_PYTHON)} or later, but ` +
    `\`${displayCommand(candidate.python)}\`${where(candidate)} is Python ` +
    `${versionText(facts.version)}; set \`wishcraft.server.path\` to a newer Python.`;
}

/** The sentence for a candidate that cannot be run. */
export function failureMessage(candidate: Candidate,
  result: ProbeResult & { ok: false }): string {
  const shown = displayCommand(candidate.python);
  if (result.failure === "not-found") {
    return `Wishcraft: the Python interpreter \`${shown}\`${where(candidate)} was not found; ` +
      `set \`wishcraft.server.path\` to a Python ${versionText(MIN_PYTHON)} or later.`;
  }
  return `Wishcraft: \`${shown}\`${where(candidate)} did not run ` +
    `(${result.detail || "no output"}); set \`wishcraft.server.path\` to a working Python.`;
}

/**
 * Decide which Python runs the server. A configured path is the only candidate (the user
 * chose it); otherwise the Python extension's environment comes before `python3`.
 */
export async function resolveInterpreter(inputs: ResolveInputs): Promise<Decision> {
  const candidates: Candidate[] = [];
  if (inputs.configured.trim() !== "") {
    candidates.push({ python: { command: inputs.configured.trim(), args: [] },
      source: "setting" });
  } else {
    const fromExtension = await inputs.pythonExtension();
    if (fromExtension !== undefined) {
      candidates.push({ python: fromExtension, source: "python-extension" });
    }
    candidates.push({ python: { command: inputs.fallback, args: [] }, source: "default" });
  }
  const probed: { candidate: Candidate; result: ProbeResult }[] = [];
  const skipped: string[] = [];
  for (const given of candidates) {
    const command = inputs.absolute(given.python.command);
    const candidate = command === undefined ? given
      : { ...given, python: { ...given.python, command } };
    const result: ProbeResult = command === undefined
      ? { ok: false, failure: "not-found", detail: "" }
      : await inputs.probe(candidate.python);
    if (usable(result, inputs.bundled)) {
      return { kind: "use", candidate, facts: result.facts, skipped, base: candidate };
    }
    probed.push({ candidate, result });
    skipped.push(skippedLine(candidate, result));
  }
  const runnable = probed.filter((p): p is { candidate: Candidate;
    result: { ok: true; facts: PythonFacts } } => p.result.ok);
  const base = runnable.find((p) => isSupported(p.result.facts.version));
  if (inputs.managed !== undefined) {
    const candidate: Candidate = { python: inputs.managed, source: "managed" };
    const result = await inputs.probe(inputs.managed);
    if (usable(result, inputs.bundled)) {
      return { kind: "use", candidate, facts: result.facts, skipped, base: base?.candidate };
    }
    skipped.push(skippedLine(candidate, result));
  }
  const [oldest] = runnable;
  if (oldest === undefined) {
    // Nothing ran: name the first candidate (there is always the setting or the fallback).
    const failed = probed.find((p): p is { candidate: Candidate;
      result: ProbeResult & { ok: false } } => !p.result.ok);
    if (failed === undefined) {
      throw new Error("no Python candidates");
    }
    return { kind: "unusable", candidate: failed.candidate,
      message: failureMessage(failed.candidate, failed.result), skipped };
  }
  if (base === undefined) {
    return { kind: "unusable", candidate: oldest.candidate,
      message: tooOldMessage(oldest.candidate, oldest.result.facts), skipped };
  }
  if (inputs.bundled === undefined) {
    return {
      kind: "unusable", candidate: base.candidate, skipped,
      message: "Wishcraft: the language server is not installed for " +
        `\`${displayCommand(base.candidate.python)}\`${where(base.candidate)}, and this build ` +
        "of the extension carries no server to install; set `wishcraft.server.path` to a " +
        "Python that has it (from a checkout: `pip install -e .`).",
    };
  }
  return {
    kind: "offer-install", base: base.candidate, facts: base.result.facts, skipped,
    message: offerMessage(base.candidate, base.result.facts, inputs.bundled),
  };
}

/**
 * Find an executable the way a shell would: a name with a slash is resolved against `cwd`,
 * a bare name is looked up in each folder of `searchPath` (with PATHEXT on Windows).
 */
export function findExecutable(name: string, searchPath: string, isExecutable: (file: string) =>
  boolean, options: { cwd?: string; platform?: NodeJS.Platform; pathExt?: string } = {}):
  string | undefined {
  const platform = options.platform ?? process.platform;
  const paths = platform === "win32" ? path.win32 : path.posix;
  const extensions = platform === "win32"
    ? ["", ...(options.pathExt ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
    : [""];
  const withExtensions = (file: string) =>
    extensions.map((ext) => file + ext).find((f) => isExecutable(f));
  if (paths.isAbsolute(name)) {
    return withExtensions(name);
  }
  if (name.includes("/") || (platform === "win32" && name.includes("\\"))) {
    return withExtensions(paths.resolve(options.cwd ?? process.cwd(), name));
  }
  for (const folder of searchPath.split(paths.delimiter)) {
    if (folder === "") {
      continue;
    }
    const found = withExtensions(paths.join(folder, name));
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

/** Tell whether a file exists and may be executed. */
export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Run PROBE_SCRIPT with a Python and classify what went wrong. */
export function probe(python: PythonCommand, timeoutMs = 20_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(python.command, [...python.args, "-c", PROBE_SCRIPT],
      { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
        if (error !== null && (error as NodeJS.ErrnoException).code === "ENOENT") {
          resolve({ ok: false, failure: "not-found", detail: "" });
          return;
        }
        const facts = error === null ? parseProbe(stdout) : undefined;
        if (facts !== undefined) {
          resolve({ ok: true, facts });
          return;
        }
        const lastLine = stderr.trim().split(/\r?\n/).pop() ?? "";
        resolve({ ok: false, failure: "failed",
          detail: lastLine || error?.message || "it printed no version" });
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
