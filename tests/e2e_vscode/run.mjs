// The VS Code end-to-end test: the packaged extension in a real VS Code (code-server), clicked
// through by Debian's Chromium with playwright-core. Run it with scripts/vscode-e2e.sh, which
// installs the tools and sets WISHCRAFT_E2E_TOOLS, CHROMIUM and PYTHON (a Python that can run
// the loopback Codex server).
//
// VS Code starts with a bare virtual environment's Python first on PATH: a Python 3.11+ that
// has never seen the server, as on a new user's machine. No `wishcraft.server.path` is set.
// 1. The extension offers to install the server it carries; Install is clicked, and it makes
//    its own environment in its global storage and pip-installs the bundled wheel into it.
// 2. A wish with errors is opened: its diagnostics show in the Problems panel. So do those of
//    a wish named only by the repository's own `[files] globs` (`quests/*.spell`, in
//    data/config/wishcraft.toml), as you type: the extension widens what VS Code hands the
//    server to them, whatever the file's language mode (an unsaved key shows; the edit is
//    then reverted).
// 3. "Wishcraft: Plan This Wish" on a valid wish, against the loopback Codex server: the plan
//    opens in a second editor group with the streamed text, focus stays on the wish, and the
//    server's window/showDocument leaves one plan editor, not two.
// 4. Planning again stalls mid-stream; the progress notification's Cancel button reaches the
//    server (window/workDoneProgress/cancel), which keeps the partial plan marked cancelled.
// 5. "Wishcraft: Apply Plan" on a wish with a current plan: Codex (loopback) reads a file and
//    proposes a patch; the server's workspace/applyEdit carries change annotations that need
//    confirmation, so VS Code shows its refactor preview (such edits start unticked); the file
//    is ticked, Apply clicked, the file changes on disk (VS Code saves refactored files), and
//    the ledger records the apply with its anchor.
// 6. "Wishcraft: Reinstall Server" makes a fresh environment and restarts the server from it.
// 7. F2 on `title:` shows the server's refusal and no rename box. F2 on a conduit id in the one
//    open wish that names it, the new id typed, Enter: the server's edit carries a change
//    annotation that needs no confirmation, so VS Code applies it with no preview, opening
//    no editor. VS Code saves the files of a multi-file refactoring itself
//    (`files.refactoring.autoSave`, on by default) at a moment of its own, the open wish among
//    them in some runs, so the test only asks that the open wish shows the new id, then runs
//    "File: Save All" (autosave off, as in desktop VS Code: code-server's is on); with the
//    refactoring save off, Save All leaves the closed files unsaved (tried).
//    On disk the registry and the two never-opened wishes have the new id, nothing else
//    changed (byte for byte), and `wishcraft lint` of them exits 0 (a wish that still named
//    the old id, or a registry that still had it, would be an unknown-conduit error). The
//    rename waits for the server's workspace index itself (rename awaits it), so F2 is pressed
//    once, with no retry.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { fileURLToPath } from "node:url";
import { NEW_ID, OLD_ID, addRenameFiles, changedFiles, lint, snapshot } from "./rename.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const TOOLS = required("WISHCRAFT_E2E_TOOLS");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/lib/chromium/chromium";
const PYTHON = process.env.PYTHON ?? "python3";
const INSTALL_WAIT = 240_000;  // venv + pip install of the wheel's dependencies (cache or index)
const VSIX = path.join(ROOT, "client-vscode", "wishcraft.vsix");
const ENTRY = path.join(TOOLS, "node_modules", "code-server", "out", "node", "entry.js");
const { chromium } = createRequire(path.join(TOOLS, "package.json"))("playwright-core");
const WAIT = 60_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run scripts/vscode-e2e.sh`);
  }
  return value;
}

const started = Date.now();
const timings = [];
let phaseStart = Date.now();
function phase(name) {
  const now = Date.now();
  timings.push([name, now - phaseStart]);
  console.log(`ok  ${name} (${((now - phaseStart) / 1000).toFixed(1)} s)`);
  phaseStart = now;
}

async function freePort() {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, check, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function findFiles(folder, name) {
  const found = [];
  if (!fs.existsSync(folder)) {
    return found;
  }
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) {
      found.push(path.join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return found;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wishcraft-e2e-"));
const artifacts = process.env.WISHCRAFT_E2E_ARTIFACTS ?? path.join(scratch, "artifacts");
fs.mkdirSync(artifacts, { recursive: true });
const dirs = Object.fromEntries(["workspace", "extensions", "user-data", "config", "data"]
  .map((name) => [name, path.join(scratch, name)]));
for (const dir of Object.values(dirs)) {
  fs.mkdirSync(dir, { recursive: true });
}
fs.cpSync(path.join(ROOT, "tests", "lsp", "workspace"), dirs.workspace, { recursive: true });
const wishes = path.join(dirs.workspace, "data", "wishes");
// The repository's own wish globs: the defaults, and `.spell` files (plain text to VS Code).
fs.mkdirSync(path.join(dirs.workspace, "data", "config"), { recursive: true });
fs.writeFileSync(path.join(dirs.workspace, "data", "config", "wishcraft.toml"),
  "[files]\nglobs = [\"**/*.wish.yaml\", \"**/*.wish.yml\", \"**/wishes/**/*.yaml\", " +
  "\"**/wishes/**/*.yml\", \"quests/*.spell\"]\n");
fs.mkdirSync(path.join(dirs.workspace, "quests"), { recursive: true });
fs.writeFileSync(path.join(dirs.workspace, "quests", "harbour.spell"),
  fs.readFileSync(path.join(wishes, "lighthouse.wish.yaml"), "utf8")
    .replace('"cartographer.survey"', '"cartographer.spellbound"'));
const planFile = path.join(wishes, "lighthouse.wish.plan.md");
const artifactFile = path.join(wishes, "lighthouse.wish.plan.json");

const settingsFile = path.join(dirs["user-data"], "User", "settings.json");
const settings = {
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "git.enabled": false,
  // Desktop VS Code's default; in a browser VS Code saves 1 s after each edit, which would
  // save an F2 in an open editor before "File: Save All" does.
  "files.autoSave": "off",
};

// A bare venv (no pip, no server) whose python3 is first on VS Code's PATH. Nothing of the
// repository may leak into it: no PYTHONPATH, and no project venv on PATH before it.
const bareVenv = path.join(scratch, "bare-venv");
execFileSync(PYTHON, ["-m", "venv", "--without-pip", bareVenv], { stdio: "inherit" });
const barePython = path.join(bareVenv, "bin", "python3");
const { PYTHONPATH: _unused, VIRTUAL_ENV: _venv, ...inherited } = process.env;
// VSCODE_CLI=1: VS Code was started from this shell (as `code .` would be), so the extension
// host keeps this PATH instead of the one a login shell's profile would make.
const baseEnv = {
  ...inherited, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, VSCODE_CLI: "1",
  PATH: `${path.join(bareVenv, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
};
const cleanups = [];

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function extensionLog() {
  const files = findFiles(path.join(dirs["user-data"], "logs"), "Wishcraft.log");
  return files.map((file) => fs.readFileSync(file, "utf8")).join("\n");
}

async function main() {
  // The loopback Codex server, with a fake login.
  const loopback = spawn(PYTHON, [path.join(HERE, "codex_loopback.py"), dirs.workspace], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, PYTHONPATH: [path.join(ROOT, "server"), process.env.PYTHONPATH]
      .filter(Boolean).join(path.delimiter) },
  });
  cleanups.push(() => loopback.stdin.end());
  const lines = readline.createInterface({ input: loopback.stdout });
  const codexEnv = await new Promise((resolve, reject) => {
    lines.once("line", (line) => resolve(JSON.parse(line)));
    loopback.once("exit", (code) => reject(new Error(`the loopback server exited (${code})`)));
  });
  // After the loopback's apply files (it rewrites the registry): VS Code sees them all at start.
  const renamed = addRenameFiles(dirs.workspace);

  // code-server with the packaged extension and quiet user settings.
  const common = ["--extensions-dir", dirs.extensions, "--user-data-dir", dirs["user-data"]];
  execFileSync(process.execPath, [ENTRY, "--install-extension", VSIX, ...common],
    { env: baseEnv, stdio: "pipe" });
  fs.mkdirSync(path.join(dirs["user-data"], "User"), { recursive: true });
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  const port = await freePort();
  const serverLog = fs.openSync(path.join(artifacts, "code-server.log"), "w");
  const server = spawn(process.execPath, [ENTRY, "--bind-addr", `127.0.0.1:${port}`,
    "--auth", "none", "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", "--disable-getting-started-override", ...common,
    dirs.workspace], {
    env: { ...baseEnv, ...codexEnv }, detached: true, stdio: ["ignore", serverLog, serverLog],
  });
  const exited = new Promise((resolve) => server.once("exit", resolve));
  cleanups.push(async () => {
    // code-server and everything it started (extension host, language server) share a group.
    signalGroup(server.pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(server.pid, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    signalGroup(server.pid, "SIGKILL");
  });
  await until("code-server to listen", async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    } catch {
      return false;
    }
  });
  phase("loopback Codex and code-server started");

  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  cleanups.unshift(async () => {
    if (process.exitCode) {
      await page.screenshot({ path: path.join(artifacts, "failure.png") }).catch(() => {});
    }
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: WAIT });
  await page.locator(".part.statusbar").waitFor({ timeout: WAIT });
  phase("VS Code loaded in Chromium");

  async function quickOpen(name) {
    await page.locator(".part.editor").click({ position: { x: 400, y: 300 } });
    await page.keyboard.press("Control+P");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ timeout: WAIT });
    await input.fill(name);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first()
      .waitFor({ timeout: WAIT });
    await page.keyboard.press("Enter");
    await page.locator(".tabs-container .tab.active", { hasText: name })
      .waitFor({ timeout: WAIT });
  }

  async function runCommand(title) {
    // Commands act on the active editor; focus it as a user would before pressing F1. The
    // editor may still be settling its layout (a panel opening beside it), which Playwright
    // calls "not stable" and waits out for 30 s; a click for focus needs no stable box.
    await page.locator(".editor-group-container").first().locator(".view-lines")
      .click({ position: { x: 200, y: 10 }, force: true });
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ timeout: WAIT });
    await input.fill(`>${title}`);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first()
      .waitFor({ timeout: WAIT });
    await page.keyboard.press("Enter");
  }

  // 1. The bare Python lacks the server: Install, then the server starts from the new venv.
  const offer = page.locator(".notification-toast", { hasText: "is not installed for" });
  await offer.waitFor({ timeout: WAIT });
  const offerText = (await offer.innerText()).replace(/\s+/g, " ");
  for (const words of [barePython, "Install", "Show Logs"]) {
    if (!offerText.includes(words)) {
      throw new Error(`the install offer lacks "${words}": ${offerText}`);
    }
  }
  if (/pip install/.test(offerText)) {
    throw new Error(`the install offer suggests pip: ${offerText}`);
  }
  await page.screenshot({ path: path.join(artifacts, "install-offer.png") });
  phase("a bare Python gets the Install offer");
  await offer.locator(".monaco-button", { hasText: /^Install$/ }).click();
  await page.locator(".notification-toast", { hasText: "installing the language server" })
    .waitFor({ timeout: WAIT });
  const managedStart = /Starting the server: \S*server-venv\/bin\/python -I -m wishcraft.lsp \(managed/;
  await until("the server to start from the installed environment",
    () => managedStart.test(extensionLog()), INSTALL_WAIT);
  const venvs = findFiles(path.join(dirs["user-data"], "User", "globalStorage"), "pyvenv.cfg");
  if (venvs.length !== 1 || !venvs[0].includes(path.join("server-venv", "pyvenv.cfg"))) {
    throw new Error(`expected one managed venv in the global storage, found ${venvs}`);
  }
  phase("Install made a venv in the global storage and started the server from it");

  // 2. Diagnostics in the Problems panel.
  await quickOpen("typos.wish.yaml");
  await page.keyboard.press("Control+Shift+M");
  const problems = page.locator(".markers-panel");
  await problems.waitFor({ timeout: WAIT });
  const problem = problems.locator(".monaco-list-row", { hasText: "cartographer.survy" });
  await problem.first().waitFor({ timeout: WAIT });
  const problemText = await problems.innerText();
  if (!/unknown-conduit/.test(problemText) || !/wishcraft/.test(problemText)) {
    throw new Error(`the Problems panel lacks the wishcraft diagnostic:\n${problemText}`);
  }
  phase("a wish's error shows in the Problems panel");
  // The workspace pull shows the file's problem on disk even to a client that never hands the
  // server the document; an unsaved edit shows only when VS Code hands it over as you type.
  await quickOpen("harbour.spell");
  await problems.locator(".monaco-list-row", { hasText: "cartographer.spellbound" }).first()
    .waitFor({ timeout: WAIT });
  // A new first line; the editor may drop a key while it takes the focus, so the problem is
  // matched on the key's end.
  const unsavedKey = problems.locator(".monaco-list-row", { hasText: /our` is not a key/ });
  await page.keyboard.press("Control+Home");
  await page.keyboard.type("colour: red\n");
  await unsavedKey.first().waitFor({ timeout: WAIT });
  await runCommand("File: Revert File");
  await until("the .spell edit to be reverted", async () => (await unsavedKey.count()) === 0);
  phase("a .spell wish named only by the repository's [files] globs is checked as you type");
  await page.keyboard.press("Control+J");  // close the panel again

  // 3. Plan This Wish: the plan beside the wish, streamed, in one editor.
  await quickOpen("lighthouse.wish.yaml");
  await page.locator('.editor-group-container.active .editor-actions [aria-label="Plan This Wish"]')
    .waitFor({ timeout: WAIT });
  await runCommand("Wishcraft: Plan This Wish");
  const groups = page.locator(".part.editor .editor-group-container");
  await until("a second editor group", async () => (await groups.count()) === 2);
  const planGroup = groups.nth(1);
  await planGroup.locator(".tab", { hasText: "lighthouse.wish.plan.md" })
    .waitFor({ timeout: WAIT });
  await planGroup.locator(".view-lines", { hasText: "Survey the lighthouse" })
    .waitFor({ timeout: WAIT });
  phase("the plan opened beside the wish with the streamed text");
  await until("the plan artifact", () => fs.existsSync(artifactFile));
  await until("the server's window/showDocument", () =>
    /window\/showDocument .*lighthouse\.wish\.plan\.md: revealed the plan view/
      .test(extensionLog()));
  const planTabs = await page.locator(".part.editor .tab", { hasText: "lighthouse.wish.plan.md" })
    .count();
  const groupCount = await groups.count();
  const activeTab = await page.locator(".editor-group-container.active .tab.active").innerText();
  // The view re-reads its text after the last planUpdated; Monaco shows spaces as U+00A0.
  const planLines = async () =>
    (await planGroup.locator(".view-lines").innerText()).replace(/\u00a0/g, " ");
  const planText = await until("the final plan in the view", async () => {
    const text = await planLines();
    return text.includes("Place 3 lamps") ? text : false;
  }, 15_000).catch(async () => await planLines());
  if (planTabs !== 1 || groupCount !== 2) {
    throw new Error(`expected one plan editor in two groups, got ${planTabs} in ${groupCount}`);
  }
  if (!activeTab.includes("lighthouse.wish.yaml")) {
    throw new Error(`the plan took the focus (active tab: ${activeTab})`);
  }
  if (!planText.includes("Place 3 lamps")) {
    throw new Error(`the plan view lacks the final plan:\n${planText}`);
  }
  const saved = fs.readFileSync(planFile, "utf8");
  if (!saved.includes("1. **Survey the lighthouse**")) {
    throw new Error(`the plan file is not the streamed plan:\n${saved}`);
  }
  phase("the server's showDocument left one plan editor; focus stayed on the wish");

  // 4. Cancel from the progress notification.
  await runCommand("Wishcraft: Plan This Wish");
  const toast = page.locator(".notification-toast", { hasText: "Planning" });
  await toast.waitFor({ timeout: WAIT });
  await toast.locator(".monaco-button", { hasText: "Cancel" }).click();
  // A plan is never lost: the cancelled attempt goes beside the complete plan, which stays
  // (JSON and Markdown) and is what the view shows again.
  const failedFile = artifactFile.replace(/\.plan\.json$/, ".plan.failed.json");
  const cancelled = await until("the cancelled attempt beside the kept plan", () => {
    try {
      const artifact = JSON.parse(fs.readFileSync(failedFile, "utf8"));
      return artifact.status_reason === "cancelled" ? artifact : false;
    } catch {
      return false;
    }
  });
  if (cancelled.status !== "incomplete") {
    throw new Error(`the cancelled plan is ${cancelled.status}`);
  }
  const kept = JSON.parse(fs.readFileSync(artifactFile, "utf8"));
  if (kept.status !== "complete") {
    throw new Error(`the complete plan was not kept: ${kept.status}`);
  }
  await planGroup.locator(".view-lines", { hasText: "Place 3 lamps" }).waitFor({ timeout: WAIT });
  phase("Cancel in the progress notification reached the server");
  await page.screenshot({ path: path.join(artifacts, "plan.png") });

  // 5. Apply Plan: the refactor preview, accepted, changes the file.
  const lamps = path.join(dirs.workspace, "src", "lamps.py");
  await quickOpen("lamps.wish.yaml");
  await runCommand("Wishcraft: Apply Plan");
  const preview = page.locator(".bulk-edit-panel, .pane-body", { hasText: "lamps.py" });
  await preview.first().waitFor({ timeout: WAIT });
  // Edits that need confirmation start unticked: tick the file, as the user accepts it.
  const row = page.locator(".part.panel .monaco-list-row", { hasText: "lamps.py" }).first();
  await row.waitFor({ timeout: WAIT });
  const box = row.locator('input[type="checkbox"], .monaco-checkbox').first();
  if (await box.count()) {
    await box.click();
  } else {
    await row.click();
    await page.keyboard.press("Space");
  }
  await page.screenshot({ path: path.join(artifacts, "refactor-preview.png") });
  await page.locator(".part.panel .monaco-button", { hasText: /^Apply$/ }).first().click();
  await until("the applied file on disk",
    () => fs.readFileSync(lamps, "utf8") === "lamps = 3\nlit = False\n");
  const ledgerFile = path.join(dirs.workspace, "data", "ledger", "wishes.jsonl");
  const applied = await until("the apply's ledger line", () => {
    try {
      const entries = fs.readFileSync(ledgerFile, "utf8").trim().split("\n").map(JSON.parse);
      // The change's ending line (a `pending` line before the files may precede it).
      return entries.find((entry) => entry.action === "apply" && entry.anchor_id
        && entry.outcome === "complete") ?? false;
    } catch {
      return false;
    }
  });
  if (!applied.summary.startsWith("Applied 1 file") || applied.diff_hash.length !== 64) {
    throw new Error(`unexpected apply ledger line: ${JSON.stringify(applied)}`);
  }
  phase("Apply Plan: the refactor preview was accepted and the file changed");

  // 6. Reinstall Server: a fresh environment, then the server again (the diagnostic returns).
  const starts = () => (extensionLog().match(new RegExp(managedStart.source, "g")) ?? []).length;
  const startsBefore = starts();
  await page.locator(".editor-group-container").first()
    .locator(".tab", { hasText: "typos.wish.yaml" }).click();
  await runCommand("Wishcraft: Reinstall Server");
  await page.locator(".notification-toast", { hasText: "installing the language server" })
    .waitFor({ timeout: WAIT });
  await until("the server to restart from the reinstalled environment",
    () => starts() > startsBefore, INSTALL_WAIT);
  await page.keyboard.press("Control+Shift+M");
  await problems.locator(".monaco-list-row", { hasText: "cartographer.survy" }).first()
    .waitFor({ timeout: WAIT });
  const leftovers = fs.readdirSync(path.dirname(path.dirname(venvs[0])))
    .filter((name) => name.startsWith("server-venv"));
  if (leftovers.join() !== "server-venv") {
    throw new Error(`the reinstall left ${leftovers.join(", ")}`);
  }
  phase("Reinstall Server made a fresh venv and the diagnostic came back");
  await page.screenshot({ path: path.join(artifacts, "reinstalled.png") });

  // 7. F2: refused on a key, then a conduit id renamed across the workspace, and Save All.
  const opened = renamed.opened.path;
  const openedName = path.basename(opened);
  const before = snapshot(dirs.workspace);
  await page.keyboard.press("Control+J");  // the Problems panel would hide the editor's lines
  await quickOpen(openedName);
  const editor = page.locator(".editor-group-container.active");
  async function cursorTo(line, column) {
    // Go to Line/Column (Ctrl+G), then the status bar says where the cursor is.
    await page.keyboard.press("Control+G");
    await page.locator(".quick-input-widget input").waitFor({ timeout: WAIT });
    await page.keyboard.type(`${line}:${column}`);
    const target = `Go to line ${line} and character ${column}`;
    await page.locator(".quick-input-widget", { hasText: target }).waitFor({ timeout: WAIT });
    await page.keyboard.press("Enter");
    await page.locator(".part.statusbar", { hasText: `Ln ${line}, Col ${column}` })
      .waitFor({ timeout: WAIT });
  }
  const renameBox = page.locator("input.rename-input");
  const wishLines = fs.readFileSync(opened, "utf8").split("\n");
  const titleLine = wishLines.findIndex((line) => line.startsWith("title:")) + 1;
  await cursorTo(titleLine, 2);
  await page.keyboard.press("F2");
  // The server's sentence (docs/troubleshooting.md), in VS Code's message under the cursor.
  await editor.locator(".monaco-editor-overlaymessage", {
    hasText: "Only a conduit id or a YAML anchor can be renamed",
  }).waitFor({ timeout: WAIT });
  if (await renameBox.isVisible()) {
    throw new Error("F2 on `title:` opened a rename box");
  }
  await page.screenshot({ path: path.join(artifacts, "rename-refused.png") });
  phase("F2 on a key: the server's refusal, no rename box");

  await page.keyboard.press("Escape");
  const idLine = wishLines.findIndex((line) => line.includes(`"${OLD_ID}"`));
  await cursorTo(idLine + 1, wishLines[idLine].indexOf(OLD_ID) + 4);  // inside the id
  await page.keyboard.press("F2");
  await renameBox.waitFor({ timeout: WAIT });
  // The box holds prepareRename's placeholder: the id, without its quotes.
  await until("the id in the rename box", async () => (await renameBox.inputValue()) === OLD_ID);
  // VS Code focuses the box a moment after showing it; keys sent before go to the editor.
  await until("the rename box to take the focus",
    () => renameBox.evaluate((input) => input === document.activeElement));
  await page.keyboard.press("Control+A");
  await page.keyboard.type(NEW_ID);
  await page.keyboard.press("Enter");
  await renameBox.waitFor({ state: "hidden", timeout: WAIT });
  await editor.locator(".view-lines", { hasText: NEW_ID }).waitFor({ timeout: WAIT });
  const tabs = await page.locator(".part.editor .tab").allInnerTexts();
  for (const name of ["registry.yaml", path.basename(renamed.plain.path),
    path.basename(renamed.flow.path)]) {
    if (tabs.some((tab) => tab.includes(name))) {
      throw new Error(`the rename opened ${name} in an editor (tabs: ${tabs.join(", ")})`);
    }
  }
  await page.screenshot({ path: path.join(artifacts, "renamed.png") });
  phase("F2 renamed the id in the open wish with no preview, no editor opened for the others");

  await runCommand("File: Save All");
  await page.locator(".part.editor .tab.dirty").first()
    .waitFor({ state: "detached", timeout: WAIT });
  const expected = Object.values(renamed).filter((file) => file !== renamed.other);
  await until("the renamed files on disk", () => expected.every((file) =>
    fs.readFileSync(file.path, "utf8") === file.after)).catch(() => {
    const wrong = expected.filter((file) => fs.readFileSync(file.path, "utf8") !== file.after);
    throw new Error(`not renamed on disk: ${wrong.map((file) =>
      `${path.relative(dirs.workspace, file.path)}:\n${fs.readFileSync(file.path, "utf8")}`)
      .join("\n")}`);
  });
  const changed = changedFiles(before, snapshot(dirs.workspace));
  const wanted = expected.map((file) => file.path).sort();
  if (changed.join("\n") !== wanted.join("\n")) {
    throw new Error(`the rename changed ${changed.join(", ")}; expected ${wanted.join(", ")}`);
  }
  const all = Object.values(renamed).map((file) => file.path);
  const result = lint(PYTHON, ROOT, dirs.workspace, all);
  if (result.status !== 0) {
    throw new Error(`wishcraft lint of the renamed files exited ${result.status}:\n` +
      result.output);
  }
  phase("Save All: the registry and two never-opened wishes renamed on disk, lint exits 0");
}

let failure;
try {
  await main();
} catch (error) {
  failure = error;
  process.exitCode = 1;
}
const cleanupStart = Date.now();
for (const cleanup of cleanups) {
  try {
    await cleanup();
  } catch {
    // keep cleaning up
  }
}
if (failure !== undefined) {
  console.error(`FAILED: ${failure.stack ?? failure}`);
  console.error(`--- extension log (Wishcraft.log) ---\n${extensionLog().slice(-4000)}`);
  console.error(`artifacts: ${artifacts}`);
} else {
  console.log(`e2e passed in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(cleanup ${((Date.now() - cleanupStart) / 1000).toFixed(1)} s)`);
  if (!process.env.WISHCRAFT_E2E_ARTIFACTS) {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
process.exit(process.exitCode ?? 0);
