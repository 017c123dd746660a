/**
 * Names shared with the server (server/wishcraft/names.py and lsp/settings.py) and the
 * extension's own ids. tests/unit/test_vscode_manifest.py checks both sides agree.
 */

/** The settings section the server pulls with `workspace/configuration`. */
export const SETTINGS_SECTION = "wishcraft";

/** Commands the server implements (`workspace/executeCommand`). */
export const COMMAND_PLAN_WISH = "wishcraft.planWish";
export const COMMAND_INSERT_PLAN_STEPS = "wishcraft.insertPlanSteps";
export const COMMAND_CANCEL_PLAN = "wishcraft.cancelPlan";
export const COMMAND_PLAN_LOCATION = "wishcraft.planLocation";
export const COMMAND_APPLY_PLAN = "wishcraft.applyPlan";
export const COMMAND_UNDO_APPLY = "wishcraft.undoApply";
export const COMMAND_OPEN_PULL_REQUEST = "wishcraft.openPullRequest";
export const COMMAND_INIT_WORKSPACE = "wishcraft.initWorkspace";
export const COMMAND_TRUST_REPOSITORY = "wishcraft.trustRepository";

/** Sent by the server while and after a plan is written. */
export const NOTIFICATION_PLAN_UPDATED = "wishcraft/planUpdated";

/**
 * The extension's own commands. Their ids differ from the server's, which
 * vscode-languageclient registers itself from `executeCommandProvider`.
 */
export const CLIENT_COMMAND_PLAN_THIS_WISH = "wishcraft.planThisWish";
export const CLIENT_COMMAND_OPEN_PLAN = "wishcraft.openPlan";
export const CLIENT_COMMAND_RESTART_SERVER = "wishcraft.restartServer";
export const CLIENT_COMMAND_SHOW_LOGS = "wishcraft.showLogs";
export const CLIENT_COMMAND_REINSTALL_SERVER = "wishcraft.reinstallServer";
export const CLIENT_COMMAND_APPLY_THIS_PLAN = "wishcraft.applyThisPlan";
export const CLIENT_COMMAND_UNDO_LAST_APPLY = "wishcraft.undoLastApply";
export const CLIENT_COMMAND_OPEN_PULL_REQUEST = "wishcraft.openPullRequestForWish";
export const CLIENT_COMMAND_SET_UP_HERE = "wishcraft.setUpHere";
export const CLIENT_COMMAND_TRUST_REPOSITORY = "wishcraft.trustThisRepository";

/** The server command each client command sends, if any (checked by the manifest test). */
export const CLIENT_COMMAND_CALLS: Readonly<Record<string, string>> = {
  [CLIENT_COMMAND_PLAN_THIS_WISH]: COMMAND_PLAN_WISH,
  [CLIENT_COMMAND_OPEN_PLAN]: COMMAND_PLAN_LOCATION,
  [CLIENT_COMMAND_APPLY_THIS_PLAN]: COMMAND_APPLY_PLAN,
  [CLIENT_COMMAND_UNDO_LAST_APPLY]: COMMAND_UNDO_APPLY,
  [CLIENT_COMMAND_OPEN_PULL_REQUEST]: COMMAND_OPEN_PULL_REQUEST,
  [CLIENT_COMMAND_SET_UP_HERE]: COMMAND_INIT_WORKSPACE,
  [CLIENT_COMMAND_TRUST_REPOSITORY]: COMMAND_TRUST_REPOSITORY,
};

/** Settings the server reads, as `wishcraft.<key>`; their defaults live in package.json. */
export const SERVER_SETTING_KEYS = [
  "files.globs",
  "diagnostics.debounceMs",
  "diagnostics.gates",
  "diagnostics.closedFiles",
  "inlayHints.callsLeft",
  "inlayHints.tierLimits",
  "registry.path",
  "lint",
  "plan.folder",
  "plan.model",
] as const;
export type ServerSettingKey = (typeof SERVER_SETTING_KEYS)[number];

/** Settings only the extension reads. */
export const EXTENSION_SETTING_KEYS = ["server.path", "server.logLevel", "trace.server"] as const;

/** Registry files are always the server's, whatever the wish globs say. */
export const REGISTRY_GLOB = "**/conduits/registry.{yaml,yml}";

/** The module the server runs as (`python -m wishcraft.lsp`). */
export const SERVER_MODULE = "wishcraft.lsp";
/**
 * The server's distribution name (pyproject.toml `[project] name`): the bundled wheel's name and
 * what `importlib.metadata.version` is asked for. It is not published on PyPI; the extension
 * installs the wheel it carries. tests/unit/test_vscode_manifest.py checks it against pyproject.
 */
export const SERVER_DISTRIBUTION = "wishcraft";

/** The oldest Python the server runs on (pyproject.toml `requires-python`). */
export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** Where `npm run package` puts the server wheel inside the extension. */
export const WHEEL_FOLDER = "server";

/**
 * The context key listing the paths of open wish files, for menus' `when` clauses
 * (`resourcePath in …`: `resource` is a Uri object there, which `in` cannot match).
 */
export const CONTEXT_WISH_PATHS = "wishcraft.wishPaths";

/** The scheme of the read-only live plan view. */
export const PLAN_SCHEME = "wishcraft-plan";

/** The Python extension, whose active environment is used when it is installed. */
export const PYTHON_EXTENSION_ID = "ms-python.python";
