// Build the language server's wheel into server/ (part of `npm run package`), so the .vsix
// carries the server it installs. The wheel is built from a copy of the repository without
// setuptools' build/ folder, so files deleted from the source never linger in it.
//
// Python: the project venv (../.venv, made by scripts/test.sh) when it exists, else python3.
// pip fetches the build backend (setuptools) from the package index or its cache.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const out = path.join(here, "server");
const venvPython = process.platform === "win32"
  ? path.join(root, ".venv", "Scripts", "python.exe")
  : path.join(root, ".venv", "bin", "python");
const python = fs.existsSync(venvPython) ? venvPython
  : process.platform === "win32" ? "python" : "python3";

// Folders a wheel never needs; build/ is left out so a stale build cannot leak into the wheel.
const skipped = new Set([".git", ".venv", "node_modules", "client-vscode", "build", "dist",
  ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "__pycache__", ".node"]);

const started = Date.now();
const source = fs.mkdtempSync(path.join(os.tmpdir(), "wishcraft-wheel-"));
try {
  fs.cpSync(root, source, {
    recursive: true,
    filter: (file) => {
      const name = path.basename(file);
      return !skipped.has(name) && !name.endsWith(".egg-info");
    },
  });
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  execFileSync(python, ["-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
    "--no-input", "--quiet", "--wheel-dir", out, source], { stdio: "inherit" });
} catch (error) {
  console.error(`wheel.mjs: building the server wheel with ${python} failed: ${error.message}`);
  process.exit(1);
} finally {
  fs.rmSync(source, { recursive: true, force: true });
}
const wheels = fs.readdirSync(out).filter((name) => name.endsWith(".whl"));
if (wheels.length !== 1) {
  console.error(`wheel.mjs: expected one wheel in ${out}, found ${wheels.join(", ") || "none"}`);
  process.exit(1);
}
console.log(`server wheel: server/${wheels[0]} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
