import { describe, expect, it, vi } from "vitest";

import {
  type ProbeResult,
  type PythonCommand,
  displayCommand,
  expandPath,
  installCommand,
  probe,
  pythonExtensionInterpreter,
  repositoryOf,
  resolveInterpreter,
} from "../src/interpreter";
import { Uri, extensions } from "./vscode";

const OK: ProbeResult = { ok: true };
const MISSING: ProbeResult = {
  ok: false, failure: "missing-package",
  detail: "ModuleNotFoundError: No module named 'wishcraft_lsp'",
};
const NOT_FOUND: ProbeResult = { ok: false, failure: "not-found", detail: "" };

/** A probe that answers per command, and records what it was asked. */
function prober(answers: Record<string, ProbeResult>) {
  return vi.fn(async (python: PythonCommand) => answers[python.command] ?? NOT_FOUND);
}

const venv: PythonCommand = { command: "/work/.venv/bin/python", args: [] };

describe("resolveInterpreter", () => {
  it("uses the wishcraft.server.path setting first, without asking the Python extension",
    async () => {
      const pythonExtension = vi.fn(async () => venv);
      const probe = prober({ "/opt/py/bin/python": OK, python3: OK });
      const result = await resolveInterpreter({
        configured: "/opt/py/bin/python", pythonExtension, probe, fallback: "python3",
      });
      expect(result.ok && result.candidate).toEqual({
        python: { command: "/opt/py/bin/python", args: [] }, source: "setting",
      });
      expect(pythonExtension).not.toHaveBeenCalled();
    });

  it("does not fall back when the configured Python lacks the server: it names the fix",
    async () => {
      const probe = prober({ "/opt/py/bin/python": MISSING, python3: OK });
      const result = await resolveInterpreter({
        configured: "/opt/py/bin/python", pythonExtension: async () => undefined, probe,
        fallback: "python3",
      });
      expect(result.ok).toBe(false);
      expect(probe).toHaveBeenCalledTimes(1);
      if (!result.ok) {
        expect(result.failure).toBe("missing-package");
        expect(result.installCommand).toBe("/opt/py/bin/python -m pip install wishcraft-lsp");
        expect(result.message).toContain("`/opt/py/bin/python -m pip install wishcraft-lsp`");
        expect(result.message).toContain("pip install -e <repo>");
        expect(result.message).toContain("wishcraft.server.path");
      }
    });

  it("uses the Python extension's active environment when no path is set", async () => {
    const result = await resolveInterpreter({
      configured: "", pythonExtension: async () => venv, probe: prober({ [venv.command]: OK }),
      fallback: "python3",
    });
    expect(result.ok && result.candidate).toEqual({ python: venv, source: "python-extension" });
  });

  it("falls back to python3 when the extension's environment lacks the server", async () => {
    const result = await resolveInterpreter({
      configured: "", pythonExtension: async () => venv,
      probe: prober({ [venv.command]: MISSING, python3: OK }), fallback: "python3",
    });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.candidate.source).toBe("default");
      expect(result.skipped).toEqual([
        `${venv.command}: missing-package (ModuleNotFoundError: No module named 'wishcraft_lsp')`]);
    }
  });

  it("uses python3 without the Python extension", async () => {
    const probe = prober({ python3: OK });
    const result = await resolveInterpreter({
      configured: "  ", pythonExtension: async () => undefined, probe, fallback: "python3",
    });
    expect(result.ok && result.candidate).toEqual({
      python: { command: "python3", args: [] }, source: "default",
    });
  });

  it("names the environment the user selected when no candidate has the server", async () => {
    const result = await resolveInterpreter({
      configured: "", pythonExtension: async () => venv,
      probe: prober({ [venv.command]: MISSING, python3: MISSING }), fallback: "python3",
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.candidate.source).toBe("python-extension");
      expect(result.installCommand).toBe("/work/.venv/bin/python -m pip install wishcraft-lsp");
      expect(result.message).toMatch(/not installed for `\/work\/\.venv\/bin\/python` \(the Python extension's environment\)/);
    }
  });

  it("suggests an editable install from the repository the extension was built in",
    async () => {
      const result = await resolveInterpreter({
        configured: "", pythonExtension: async () => undefined, probe: prober({ python3: MISSING }),
        fallback: "python3", repository: "/src/wish craft",
      });
      expect(!result.ok && result.installCommand).toBe(
        "python3 -m pip install -e '/src/wish craft'");
      expect(!result.ok && result.message).toContain("`python3 -m pip install wishcraft-lsp`");
    });

  it("says which setting to change when the Python does not exist", async () => {
    const result = await resolveInterpreter({
      configured: "/nope/python", pythonExtension: async () => undefined,
      probe: prober({}), fallback: "python3",
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure).toBe("not-found");
      expect(result.installCommand).toBeUndefined();
      expect(result.message).toContain("`/nope/python` (from `wishcraft.server.path`) was not found");
    }
  });

  it("reports any other failure with Python's last line", async () => {
    const result = await resolveInterpreter({
      configured: "", pythonExtension: async () => undefined,
      probe: async () => ({ ok: false, failure: "failed", detail: "SyntaxError: bad" }),
      fallback: "python3",
    });
    expect(!result.ok && result.message).toContain("failed: SyntaxError: bad");
  });
});

describe("probe", () => {
  // Node stands in for Python: `node -e CODE --` ignores the `-c "import …"` that follows.
  const node = (code: string): PythonCommand => ({
    command: process.execPath, args: ["-e", code, "--"],
  });

  it("passes when the import succeeds", async () => {
    expect(await probe(node("process.exit(0)"))).toEqual({ ok: true });
  });

  it("sees a missing package", async () => {
    const result = await probe(node(
      "process.stderr.write(\"Traceback...\\nModuleNotFoundError: No module named 'wishcraft_lsp'\\n\");" +
      "process.exit(1)"));
    expect(result).toEqual({
      ok: false, failure: "missing-package",
      detail: "ModuleNotFoundError: No module named 'wishcraft_lsp'",
    });
  });

  it("sees a missing interpreter", async () => {
    expect(await probe({ command: "/definitely/not/python3", args: [] })).toEqual({
      ok: false, failure: "not-found", detail: "",
    });
  });

  it("keeps the last line of any other failure", async () => {
    const result = await probe(node("process.stderr.write('boom\\nImportError: pydantic');process.exit(1)"));
    expect(result).toEqual({ ok: false, failure: "failed", detail: "ImportError: pydantic" });
  });

  it("passes our arguments after the command's own", async () => {
    const result = await probe(node(
      "const a = process.argv.slice(1); process.exit(a[0] === '-c' && a[1] === 'import wishcraft_lsp' ? 0 : 1)"));
    expect(result.ok).toBe(true);
  });
});

describe("pythonExtensionInterpreter", () => {
  it("is undefined without the Python extension", async () => {
    extensions.getExtension.mockReturnValue(undefined);
    expect(await pythonExtensionInterpreter()).toBeUndefined();
  });

  it("reads the active environment through the environments API", async () => {
    const resolveEnvironment = vi.fn(async () => ({
      executable: { uri: Uri.file("/home/u/.venv/bin/python") },
    }));
    const activate = vi.fn();
    extensions.getExtension.mockReturnValue({
      isActive: false,
      activate: async () => {
        activate();
        return {
          environments: {
            getActiveEnvironmentPath: () => ({ id: "venv", path: "/home/u/.venv" }),
            resolveEnvironment,
          },
        };
      },
    });
    expect(await pythonExtensionInterpreter()).toEqual({
      command: "/home/u/.venv/bin/python", args: [],
    });
    expect(activate).toHaveBeenCalledOnce();
    expect(resolveEnvironment).toHaveBeenCalledWith({ id: "venv", path: "/home/u/.venv" });
  });

  it("falls back to the older execution-details API", async () => {
    extensions.getExtension.mockReturnValue({
      isActive: true,
      exports: { settings: { getExecutionDetails: () => ({ execCommand: ["conda", "run", "-n", "w", "python"] }) } },
    });
    expect(await pythonExtensionInterpreter()).toEqual({
      command: "conda", args: ["run", "-n", "w", "python"],
    });
  });

  it("logs and ignores a failing extension", async () => {
    extensions.getExtension.mockReturnValue({
      isActive: false, activate: async () => { throw new Error("activation failed"); },
    });
    const log = vi.fn();
    expect(await pythonExtensionInterpreter(undefined, log)).toBeUndefined();
    expect(log.mock.calls[0]![0]).toContain("activation failed");
  });
});

describe("helpers", () => {
  it.each([
    ["~/venv/bin/python", "/home/me/venv/bin/python"],
    ["${userHome}/py", "/home/me/py"],
    ["${workspaceFolder}/.venv/bin/python", "/ws/.venv/bin/python"],
    [" /usr/bin/python3 ", "/usr/bin/python3"],
  ])("expandPath(%s)", (value, expected) => {
    expect(expandPath(value, "/ws", "/home/me")).toBe(expected);
  });

  it("quotes commands for a shell", () => {
    expect(displayCommand({ command: "/a b/python", args: ["-X", "it's"] }))
      .toBe("'/a b/python' -X 'it'\\''s'");
    expect(installCommand({ command: "python3", args: [] })).toBe(
      "python3 -m pip install wishcraft-lsp");
  });

  it("finds the repository only next to a wishcraft-lsp pyproject", () => {
    const files: Record<string, string> = {
      "/repo/pyproject.toml": "[project]\nname = \"wishcraft-lsp\"\n",
      "/other/pyproject.toml": "[project]\nname = \"other\"\n",
    };
    const exists = (f: string) => f in files;
    const read = (f: string) => files[f]!;
    expect(repositoryOf("/repo/client-vscode", exists, read)).toBe("/repo");
    expect(repositoryOf("/other/client-vscode", exists, read)).toBeUndefined();
    expect(repositoryOf("/home/u/.vscode/extensions/wishcraft", exists, read)).toBeUndefined();
  });
});
