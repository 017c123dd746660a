import { describe, expect, it, vi } from "vitest";

import {
  type Decision,
  type ProbeResult,
  type PythonCommand,
  type PythonFacts,
  PROBE_SCRIPT,
  displayCommand,
  expandPath,
  findExecutable,
  isExecutableFile,
  isSupported,
  normalizeVersion,
  parseProbe,
  probe,
  pythonExtensionInterpreter,
  resolveInterpreter,
  sameVersion,
} from "../src/interpreter";
import { Uri, extensions } from "./vscode";

function facts(version: [number, number, number], server: string | null,
  executable = "/x/bin/python"): ProbeResult {
  return { ok: true, facts: { executable, version, server } };
}

const HAS = facts([3, 12, 1], "0.2.0");
const OLD_SERVER = facts([3, 12, 1], "0.1.0");
const BARE = facts([3, 11, 7], null);
const OLD_PYTHON = facts([3, 9, 2], null);
const NOT_FOUND: ProbeResult = { ok: false, failure: "not-found", detail: "" };

/** A probe that answers per command, and records what it was asked. */
function prober(answers: Record<string, ProbeResult>) {
  return vi.fn(async (python: PythonCommand) => answers[python.command] ?? NOT_FOUND);
}

/** A PATH with `python3` in /usr/bin: bare names resolve there, absolute paths stay. */
const absolute = (command: string) => command.startsWith("/") ? command
  : command === "python3" ? "/usr/bin/python3" : undefined;

const venv: PythonCommand = { command: "/home/u/.venv/bin/python", args: [] };
const managed: PythonCommand = { command: "/storage/server-venv/bin/python", args: ["-I"] };

function inputs(over: Partial<Parameters<typeof resolveInterpreter>[0]> &
  { probe: (python: PythonCommand) => Promise<ProbeResult> }) {
  return {
    configured: "", pythonExtension: async () => undefined, fallback: "python3", absolute,
    bundled: "0.2.0", ...over,
  };
}

function expectKind<K extends Decision["kind"]>(decision: Decision, kind: K):
  Extract<Decision, { kind: K }> {
  expect(decision.kind).toBe(kind);
  return decision as Extract<Decision, { kind: K }>;
}

describe("resolveInterpreter", () => {
  it("uses the wishcraft.server.path setting first, without asking the Python extension",
    async () => {
      const pythonExtension = vi.fn(async () => venv);
      const decision = await resolveInterpreter(inputs({
        configured: "/opt/py/bin/python", pythonExtension,
        probe: prober({ "/opt/py/bin/python": HAS, "/usr/bin/python3": HAS }),
      }));
      expect(expectKind(decision, "use").candidate).toEqual({
        python: { command: "/opt/py/bin/python", args: [] }, source: "setting",
      });
      expect(pythonExtension).not.toHaveBeenCalled();
    });

  it("makes python3 absolute with the PATH lookup before running it", async () => {
    const probe = prober({ "/usr/bin/python3": HAS });
    const decision = await resolveInterpreter(inputs({ probe }));
    expect(expectKind(decision, "use").candidate.python.command).toBe("/usr/bin/python3");
    expect(probe).toHaveBeenCalledWith({ command: "/usr/bin/python3", args: [] });
  });

  it("uses the Python extension's environment before python3", async () => {
    const decision = await resolveInterpreter(inputs({
      pythonExtension: async () => venv,
      probe: prober({ [venv.command]: HAS, "/usr/bin/python3": HAS }),
    }));
    expect(expectKind(decision, "use").candidate).toEqual({
      python: venv, source: "python-extension",
    });
  });

  it("offers to install with a Python that lacks the server, naming it", async () => {
    const decision = await resolveInterpreter(inputs({
      configured: "/opt/py/bin/python", probe: prober({ "/opt/py/bin/python": BARE }),
    }));
    const offer = expectKind(decision, "offer-install");
    expect(offer.base.python.command).toBe("/opt/py/bin/python");
    expect(offer.message).toBe("Wishcraft: the language server is not installed for " +
      "`/opt/py/bin/python` (from `wishcraft.server.path`); Install puts version 0.2.0 in an " +
      "environment of the extension's own, made with that Python.");
    expect(offer.message).not.toContain("pip install");
  });

  it("offers to install when the Python has another version of the server", async () => {
    const decision = await resolveInterpreter(inputs({
      probe: prober({ "/usr/bin/python3": OLD_SERVER }),
    }));
    expect(expectKind(decision, "offer-install").message).toContain(
      "`/usr/bin/python3` has language server 0.1.0, not 0.2.0");
  });

  it("uses the managed environment when no candidate has the bundled version", async () => {
    const decision = await resolveInterpreter(inputs({
      pythonExtension: async () => venv, managed,
      probe: prober({ [venv.command]: OLD_SERVER, "/usr/bin/python3": BARE,
        [managed.command]: HAS }),
    }));
    const use = expectKind(decision, "use");
    expect(use.candidate).toEqual({ python: managed, source: "managed" });
    expect(use.base?.source).toBe("python-extension");
    expect(use.skipped).toEqual([
      "/home/u/.venv/bin/python: Python 3.12.1, server 0.1.0",
      "/usr/bin/python3: Python 3.11.7, no server",
    ]);
  });

  it("offers a reinstall when the managed environment has an older server", async () => {
    const decision = await resolveInterpreter(inputs({
      managed, probe: prober({ "/usr/bin/python3": BARE, [managed.command]: OLD_SERVER }),
    }));
    expect(expectKind(decision, "offer-install").base.source).toBe("default");
  });

  it("installs with the first candidate new enough, passing over an old one", async () => {
    const decision = await resolveInterpreter(inputs({
      pythonExtension: async () => ({ command: "/old/bin/python", args: [] }),
      probe: prober({ "/old/bin/python": OLD_PYTHON, "/usr/bin/python3": BARE }),
    }));
    expect(expectKind(decision, "offer-install").base.python.command).toBe("/usr/bin/python3");
  });

  it("names the version of a Python older than 3.11 as the reason", async () => {
    const decision = await resolveInterpreter(inputs({
      probe: prober({ "/usr/bin/python3": OLD_PYTHON }),
    }));
    expect(expectKind(decision, "unusable").message).toBe("Wishcraft needs Python 3.11 or " +
      "later, but `/usr/bin/python3` is Python 3.9.2; set `wishcraft.server.path` to a newer " +
      "Python.");
  });

  it("never uses a Python older than 3.11, even with the server", async () => {
    const decision = await resolveInterpreter(inputs({
      probe: prober({ "/usr/bin/python3": facts([3, 10, 0], "0.2.0") }),
    }));
    expect(expectKind(decision, "unusable").message).toContain("is Python 3.10.0");
  });

  it("says which setting to change when the Python does not exist", async () => {
    const probe = prober({});
    const decision = await resolveInterpreter(inputs({ configured: "nope-python", probe }));
    expect(expectKind(decision, "unusable").message).toBe("Wishcraft: the Python interpreter " +
      "`nope-python` (from `wishcraft.server.path`) was not found; set " +
      "`wishcraft.server.path` to a Python 3.11 or later.");
    expect(probe).not.toHaveBeenCalled();
  });

  it("reports a Python that fails to run with its last line", async () => {
    const decision = await resolveInterpreter(inputs({
      probe: async () => ({ ok: false, failure: "failed", detail: "Fatal Python error: x" }),
    }));
    expect(expectKind(decision, "unusable").message).toContain(
      "`/usr/bin/python3` did not run (Fatal Python error: x)");
  });

  it("without a bundled wheel accepts any server version and cannot offer an install",
    async () => {
      const use = await resolveInterpreter(inputs({
        bundled: undefined, probe: prober({ "/usr/bin/python3": OLD_SERVER }),
      }));
      expect(use.kind).toBe("use");
      const missing = await resolveInterpreter(inputs({
        bundled: undefined, probe: prober({ "/usr/bin/python3": BARE }),
      }));
      expect(expectKind(missing, "unusable").message).toContain("carries no server to install");
    });
});

describe("versions", () => {
  it.each([
    ["0.1.0", "0.1"], ["v1.2.0", "1.2"], ["1.0.0rc1", "1rc1"], ["2.01", "2.1"], ["1.0-post1", "1post1"], ["1.0.post1", "1post1"],
  ])("normalizeVersion(%s) is %s", (given, expected) => {
    expect(normalizeVersion(given)).toBe(expected);
  });

  it("compares versions as pip does in the common cases", () => {
    expect(sameVersion("0.1.0", "0.1")).toBe(true);
    expect(sameVersion("0.1.0", "0.1.1")).toBe(false);
    expect(sameVersion("0.10.0", "0.1.0")).toBe(false);
  });

  it.each([
    [[3, 11, 0], true], [[3, 13, 1], true], [[4, 0, 0], true], [[3, 10, 14], false],
    [[2, 7, 18], false],
  ])("isSupported(%j) is %s", (version, expected) => {
    expect(isSupported(version)).toBe(expected);
  });
});

describe("parseProbe", () => {
  it("reads the last line", () => {
    expect(parseProbe("noise\n{\"executable\": \"/v/bin/python\", \"version\": [3, 12, 0], " +
      "\"server\": null}\n")).toEqual<PythonFacts>({
      executable: "/v/bin/python", version: [3, 12, 0], server: null,
    });
  });

  it.each([
    "", "not json", "[1]", "{\"executable\": 1, \"version\": [3, 1, 0], \"server\": null}",
    "{\"executable\": \"p\", \"version\": [3, 1], \"server\": null}",
    "{\"executable\": \"p\", \"version\": [3, 1, 0], \"server\": 2}",
  ])("refuses %j", (text) => {
    expect(parseProbe(text)).toBeUndefined();
  });
});

describe("probe", () => {
  // Node stands in for Python: `node -e CODE --` ignores the `-c SCRIPT` that follows.
  const node = (code: string): PythonCommand => ({
    command: process.execPath, args: ["-e", code, "--"],
  });

  it("reads what the Python prints", async () => {
    const line = JSON.stringify({ executable: "/v/bin/python", version: [3, 11, 7],
      server: "0.1.0" });
    expect(await probe(node(`console.log(${JSON.stringify(line)})`))).toEqual({
      ok: true, facts: { executable: "/v/bin/python", version: [3, 11, 7], server: "0.1.0" },
    });
  });

  it("passes the probe script after the command's own arguments", async () => {
    const result = await probe(node(
      `const a = process.argv.slice(1); if (a[0] !== '-c' || a[1] !== ${JSON.stringify(PROBE_SCRIPT)}) process.exit(3);` +
      "console.log(JSON.stringify({executable: 'p', version: [3, 12, 0], server: null}))"));
    expect(result.ok).toBe(true);
  });

  it("sees a missing interpreter", async () => {
    expect(await probe({ command: "/definitely/not/python3", args: [] })).toEqual({
      ok: false, failure: "not-found", detail: "",
    });
  });

  it("keeps the last line of a failure", async () => {
    const result = await probe(node("process.stderr.write('boom\\nSyntaxError: x');process.exit(1)"));
    expect(result).toEqual({ ok: false, failure: "failed", detail: "SyntaxError: x" });
  });
});

describe("the probe script in a real Python", () => {
  const python = findExecutable("python3", process.env.PATH ?? "", isExecutableFile);

  it.skipIf(python === undefined)("prints the facts this extension reads", async () => {
    const result = await probe({ command: python!, args: ["-I"] });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.facts.version[0]).toBe(3);
      expect(result.facts.executable).toMatch(/python/);
    }
  });
});

describe("findExecutable", () => {
  const files = new Set(["/usr/bin/python3", "/home/u/.venv/bin/python", "/ws/tools/py",
    "C:\\Py\\python.EXE"]);
  const exists = (file: string) => files.has(file);

  it("looks a bare name up in PATH, in order", () => {
    expect(findExecutable("python3", "/nope:/usr/bin", exists)).toBe("/usr/bin/python3");
    expect(findExecutable("python3", "/nope::", exists)).toBeUndefined();
  });

  it("keeps an absolute path that exists, and resolves a relative one from cwd", () => {
    expect(findExecutable("/home/u/.venv/bin/python", "", exists)).toBe("/home/u/.venv/bin/python");
    expect(findExecutable("/missing/python", "/usr/bin", exists)).toBeUndefined();
    expect(findExecutable("tools/py", "/usr/bin", exists, { cwd: "/ws" })).toBe("/ws/tools/py");
  });

  it("tries PATHEXT on Windows", () => {
    expect(findExecutable("python", "C:\\Py", exists, { platform: "win32", pathExt: ".EXE" }))
      .toBe("C:\\Py\\python.EXE");
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
  });
});
