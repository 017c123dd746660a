import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  type CommandLine,
  type InstallDeps,
  createVenvCommand,
  findBundledWheel,
  installServer,
  managedVenv,
  pipFailureMessage,
  pipInstallCommand,
  runLogged,
  venvFailureMessage,
  venvPython,
  wheelName,
  wheelVersion,
} from "../src/install";

describe("the bundled wheel", () => {
  it.each([
    ["wishcraft-0.1.0-py3-none-any.whl", "0.1.0"],
    ["wishcraft-1.2.3rc1-1-py3-none-any.whl", "1.2.3rc1"],
    ["WishCraft-0.2.0-py3-none-any.whl", "0.2.0"],
    ["wishcraft_lsp-0.1.0-py3-none-any.whl", undefined],
    ["wishcraft-0.1.0.tar.gz", undefined],
    ["other-0.1.0-py3-none-any.whl", undefined],
  ])("wheelVersion(%s) is %s", (file, version) => {
    expect(wheelVersion(file)).toBe(version);
  });

  it("spells distribution names as wheels do", () => {
    expect(wheelName("wishcraft-lsp")).toBe("wishcraft_lsp");
    expect(wheelName("wishcraft")).toBe("wishcraft");
    expect(wheelName("Wish.Craft__lsp")).toBe("wish_craft_lsp");
  });

  it("takes the one server wheel in the folder, and none when it is ambiguous", () => {
    expect(findBundledWheel("/ext/server", ["README", "wishcraft-0.3.0-py3-none-any.whl"]))
      .toEqual({ file: "/ext/server/wishcraft-0.3.0-py3-none-any.whl", version: "0.3.0" });
    expect(findBundledWheel("/ext/server", [])).toBeUndefined();
    expect(findBundledWheel("/ext/server", ["wishcraft-0.3.0-py3-none-any.whl",
      "wishcraft-0.2.0-py3-none-any.whl"])).toBeUndefined();
  });
});

describe("command lines", () => {
  it("puts the managed environment in the global storage, run isolated", () => {
    expect(managedVenv("/g/wishcraft.wishcraft", "linux")).toEqual({
      root: "/g/wishcraft.wishcraft/server-venv",
      staging: "/g/wishcraft.wishcraft/server-venv.new",
      python: { command: "/g/wishcraft.wishcraft/server-venv/bin/python", args: ["-I"] },
    });
    expect(venvPython("C:\\g\\v", "win32").command).toBe("C:\\g\\v\\Scripts\\python.exe");
  });

  it("creates the environment with the resolved Python and installs the wheel with pip", () => {
    const base = { command: "/usr/bin/conda", args: ["run", "-n", "w", "python"] };
    expect(createVenvCommand(base, "/g/v.new")).toEqual({
      command: "/usr/bin/conda", args: ["run", "-n", "w", "python", "-m", "venv", "/g/v.new"],
    });
    expect(pipInstallCommand({ command: "/g/v/bin/python", args: ["-I"] }, "/ext/w.whl"))
      .toEqual({
        command: "/g/v/bin/python",
        args: ["-I", "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
          "/ext/w.whl"],
      });
  });
});

describe("failure sentences", () => {
  const python = { command: "/usr/bin/python3", args: [] };

  it("names Debian's python3-venv when ensurepip is missing", () => {
    const message = venvFailureMessage(python, "The virtual environment was not created " +
      "successfully because ensurepip is not available.  On Debian/Ubuntu systems, ...");
    expect(message).toContain("`/usr/bin/python3` cannot create a virtual environment");
    expect(message).toContain("sudo apt install python3-venv");
  });

  it("points at the log for anything else", () => {
    expect(venvFailureMessage(python, "Error: [Errno 28] No space left on device")).toBe(
      "Wishcraft: `/usr/bin/python3 -m venv` failed; its output is in “Wishcraft: Show Logs”.");
  });

  it("says when a dependency could not be downloaded", () => {
    const wheel = { file: "/w.whl", version: "0.1.0" };
    expect(pipFailureMessage(wheel, "ERROR: No matching distribution found for pygls")).toBe(
      "Wishcraft: installing the language server 0.1.0 failed (a dependency could not be " +
      "downloaded from your package index); pip's output is in “Wishcraft: Show Logs”.");
    expect(pipFailureMessage(wheel, "ERROR: boom")).not.toContain("index");
  });
});

describe("installServer", () => {
  let storage: string;
  const wheel = { file: "/ext/server/wishcraft-0.1.0-py3-none-any.whl", version: "0.1.0" };
  const base = { command: "/usr/bin/python3", args: [] };

  beforeEach(() => {
    storage = fs.mkdtempSync(path.join(os.tmpdir(), "wishcraft-install-"));
  });
  afterEach(() => {
    fs.rmSync(storage, { recursive: true, force: true });
  });

  /** Stand-ins for `python -m venv` and pip that write what they would, on the real disk. */
  function deps(fail?: "venv" | "pip"): InstallDeps & { lines: CommandLine[]; order: string[] } {
    const lines: CommandLine[] = [];
    const order: string[] = [];
    return {
      lines, order,
      run: vi.fn(async (line: CommandLine) => {
        lines.push(line);
        if (line.args.includes("venv")) {
          order.push("venv");
          if (fail === "venv") {
            return { code: 1, output: "ensurepip is not available" };
          }
          const folder = line.args.at(-1)!;
          fs.mkdirSync(path.join(folder, "bin"), { recursive: true });
          fs.writeFileSync(path.join(folder, "pyvenv.cfg"), "home = /usr/bin\n");
          return { code: 0, output: "" };
        }
        order.push("pip");
        if (fail === "pip") {
          return { code: 1, output: "ERROR: No matching distribution found for pygls" };
        }
        const folder = path.dirname(path.dirname(line.command));
        fs.writeFileSync(path.join(folder, "installed"), line.args.at(-1)!);
        return { code: 0, output: "Successfully installed wishcraft-0.1.0" };
      }),
      log: vi.fn(),
      step: vi.fn(),
      beforeSwap: vi.fn(async () => {
        order.push("swap");
      }),
    };
  }

  it("builds a new environment beside the old one and swaps it in after pip succeeds",
    async () => {
      const venv = managedVenv(storage);
      fs.mkdirSync(venv.root, { recursive: true });
      fs.writeFileSync(path.join(venv.root, "old-marker"), "");
      const d = deps();
      const result = await installServer(base, wheel, venv, d);
      expect(result).toEqual({ ok: true, python: venv.python });
      expect(d.order).toEqual(["venv", "pip", "swap"]);
      expect(d.lines[0]).toEqual(createVenvCommand(base, venv.staging));
      expect(d.lines[1]).toEqual(pipInstallCommand(venvPython(venv.staging), wheel.file));
      expect(fs.readFileSync(path.join(venv.root, "installed"), "utf8")).toBe(wheel.file);
      expect(fs.existsSync(path.join(venv.root, "old-marker"))).toBe(false);
      expect(fs.readdirSync(storage)).toEqual(["server-venv"]);
      expect(d.step).toHaveBeenCalledWith("installing wishcraft 0.1.0 and its dependencies");
    });

  it.each(["venv", "pip"] as const)("keeps the old environment when %s fails", async (fail) => {
    const venv = managedVenv(storage);
    fs.mkdirSync(venv.root, { recursive: true });
    fs.writeFileSync(path.join(venv.root, "old-marker"), "");
    const d = deps(fail);
    const result = await installServer(base, wheel, venv, d);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(fail === "venv"
      ? "cannot create a virtual environment" : "could not be downloaded");
    expect(d.beforeSwap).not.toHaveBeenCalled();
    expect(fs.existsSync(path.join(venv.root, "old-marker"))).toBe(true);
    expect(fs.readdirSync(storage)).toEqual(["server-venv"]);
  });

  it("creates the global storage folder when it does not exist yet", async () => {
    const venv = managedVenv(path.join(storage, "not", "yet"));
    expect((await installServer(base, wheel, venv, deps())).ok).toBe(true);
    expect(fs.existsSync(path.join(venv.root, "installed"))).toBe(true);
  });
});

describe("runLogged", () => {
  it("runs without a shell and logs each line of both streams", async () => {
    const log = vi.fn();
    const result = await runLogged({ command: process.execPath, args: ["-e",
      "console.log('one'); console.error('two $HOME'); process.exit(3)"] }, log);
    expect(result.code).toBe(3);
    expect(result.output).toContain("one");
    const lines = log.mock.calls.map((call) => call[0] as string);
    expect(lines[0]).toMatch(/^\$ .*node/);
    expect(lines).toContain("one");
    expect(lines).toContain("two $HOME");
  });

  it("reports a program that does not exist", async () => {
    const result = await runLogged({ command: "/definitely/not/python3", args: [] }, vi.fn());
    expect(result.code).toBeNull();
    expect(result.output).toContain("ENOENT");
  });
});
