/**
 * Installing the server the extension carries: `npm run package` puts the server's wheel in
 * `server/`; Install makes a virtual environment in the extension's global storage with the
 * Python the user has, and pip-installs that wheel into it (its dependencies come from the
 * user's own package index). The new environment is built beside the old one and swapped in
 * only when pip succeeded, so a failed install leaves the working one alone.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import type { PythonCommand } from "./interpreter";
import { displayCommand } from "./interpreter";
import { SERVER_DISTRIBUTION } from "./names";

/** The wheel inside the extension, and the version it installs. */
export interface BundledWheel {
  readonly file: string;
  readonly version: string;
}

/** A distribution name as wheel file names spell it (PEP 427: runs of `-_.` become `_`). */
export function wheelName(distribution: string): string {
  return distribution.toLowerCase().replace(/[-_.]+/g, "_");
}

/** The version in a wheel's file name when it is a wheel of `distribution`. */
export function wheelVersion(fileName: string, distribution = SERVER_DISTRIBUTION):
  string | undefined {
  const match = /^([^-]+)-([^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(fileName);
  const [, name = "", version] = match ?? [];
  return wheelName(name) === wheelName(distribution) ? version : undefined;
}

/** The server's wheel among the files of the extension's `server/` folder. */
export function findBundledWheel(folder: string, files: readonly string[]):
  BundledWheel | undefined {
  const wheels = files.flatMap((name) => {
    const version = wheelVersion(name);
    return version !== undefined ? [{ file: path.join(folder, name), version }] : [];
  });
  return wheels.length === 1 ? wheels[0] : undefined;
}

/** The managed environment's folders: the live one, and where a new one is built. */
export interface ManagedVenv {
  readonly root: string;
  readonly staging: string;
  readonly python: PythonCommand;
}

/**
 * The managed environment in `storage`. Its Python runs isolated (`-I`): only what was
 * installed into it is imported, whatever PYTHONPATH the editor was started with.
 */
export function managedVenv(storage: string, platform: NodeJS.Platform = process.platform):
  ManagedVenv {
  const paths = platform === "win32" ? path.win32 : path.posix;
  const root = paths.join(storage, "server-venv");
  return { root, staging: `${root}.new`, python: venvPython(root, platform) };
}

/** The Python of a virtual environment. */
export function venvPython(root: string, platform: NodeJS.Platform = process.platform):
  PythonCommand {
  const command = platform === "win32"
    ? path.win32.join(root, "Scripts", "python.exe")
    : path.posix.join(root, "bin", "python");
  return { command, args: ["-I"] };
}

/** One process to run: the executable and its arguments (never through a shell). */
export interface CommandLine {
  readonly command: string;
  readonly args: readonly string[];
}

/** `<python> -m venv <folder>`, with pip in it. */
export function createVenvCommand(base: PythonCommand, folder: string): CommandLine {
  return { command: base.command, args: [...base.args, "-m", "venv", folder] };
}

/** `<venv python> -m pip install <wheel>`: the wheel, and its dependencies from the index. */
export function pipInstallCommand(python: PythonCommand, wheel: string): CommandLine {
  return {
    command: python.command,
    args: [...python.args, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
      wheel],
  };
}

/** The sentence when `python -m venv` failed, naming the fix when it is a known one. */
export function venvFailureMessage(base: PythonCommand, output: string): string {
  const shown = displayCommand(base);
  if (/ensurepip is not available|No module named '?(ensurepip|venv)/.test(output)) {
    return `Wishcraft: \`${shown}\` cannot create a virtual environment; install your ` +
      "system's venv package (on Debian and Ubuntu: `sudo apt install python3-venv`) or set " +
      "`wishcraft.server.path` to another Python, then run “Wishcraft: Reinstall Server”.";
  }
  return `Wishcraft: \`${shown} -m venv\` failed; its output is in “Wishcraft: Show Logs”.`;
}

/** The sentence when pip failed. */
export function pipFailureMessage(wheel: BundledWheel, output: string): string {
  const reason = /No matching distribution|Could not find a version|Failed to establish|Network/
    .test(output) ? " (a dependency could not be downloaded from your package index)" : "";
  return `Wishcraft: installing the language server ${wheel.version} failed${reason}; ` +
    "pip's output is in “Wishcraft: Show Logs”.";
}

/** What the installer needs from its surroundings (the real ones, or a test's). */
export interface InstallDeps {
  /** Run a process to its end; its output goes to the log as it comes. */
  readonly run: (line: CommandLine) => Promise<{ code: number | null; output: string }>;
  readonly log: (message: string) => void;
  /** Report the step in the progress notification. */
  readonly step: (message: string) => void;
  /** Called once the new environment is ready, before it replaces the old one. */
  readonly beforeSwap: () => Promise<void>;
}

export type InstallResult =
  | { readonly ok: true; readonly python: PythonCommand }
  | { readonly ok: false; readonly message: string };

function removeTree(folder: string): void {
  fs.rmSync(folder, { recursive: true, force: true });
}

/**
 * Make a fresh managed environment with `base` and install `wheel` into it; on success it
 * replaces the previous one. On failure the sentence for the user, with the detail in the log.
 */
export async function installServer(base: PythonCommand, wheel: BundledWheel, venv: ManagedVenv,
  deps: InstallDeps): Promise<InstallResult> {
  removeTree(venv.staging);
  fs.mkdirSync(path.dirname(venv.root), { recursive: true });
  deps.step(`creating an environment with ${displayCommand(base)}`);
  const create = createVenvCommand(base, venv.staging);
  const created = await deps.run(create);
  if (created.code !== 0) {
    removeTree(venv.staging);
    return { ok: false, message: venvFailureMessage(base, created.output) };
  }
  deps.step(`installing ${SERVER_DISTRIBUTION} ${wheel.version} and its dependencies`);
  const staged = venvPython(venv.staging);
  const installed = await deps.run(pipInstallCommand(staged, wheel.file));
  if (installed.code !== 0) {
    removeTree(venv.staging);
    return { ok: false, message: pipFailureMessage(wheel, installed.output) };
  }
  // `python -m` finds its environment from its own location, so the folder can be renamed
  // (the console scripts' first lines still name the staging folder; nothing here uses them).
  await deps.beforeSwap();
  const old = `${venv.root}.old`;
  removeTree(old);
  if (fs.existsSync(venv.root)) {
    fs.renameSync(venv.root, old);
  }
  fs.renameSync(venv.staging, venv.root);
  removeTree(old);
  deps.log(`Installed ${SERVER_DISTRIBUTION} ${wheel.version} in ${venv.root}`);
  return { ok: true, python: venv.python };
}

/** Run a process without a shell, copying its output to `log` line by line. */
export function runLogged(line: CommandLine, log: (text: string) => void):
  Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    log(`$ ${displayCommand({ command: line.command, args: line.args })}`);
    const child = spawn(line.command, [...line.args], {
      windowsHide: true,
      env: { ...process.env, PIP_NO_INPUT: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" },
    });
    let output = "";
    let pending = "";
    const take = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      pending += text;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const l of lines) {
        if (l.trim() !== "") {
          log(l);
        }
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.once("error", (error) => {
      log(String(error));
      resolve({ code: null, output: output + String(error) });
    });
    child.once("close", (code) => {
      if (pending.trim() !== "") {
        log(pending);
      }
      resolve({ code, output });
    });
  });
}
