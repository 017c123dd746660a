"""Names shared with clients: command ids, custom methods, the settings section.

Each name lives here once; the VS Code extension keeps the same strings in
`client-vscode/src/names.ts`, and a test checks that the two agree.
"""

from __future__ import annotations

SERVER_NAME = "wishcraft-lsp"
DIAGNOSTIC_SOURCE = "wishcraft"
SETTINGS_SECTION = "wishcraft"

COMMAND_PLAN_WISH = "wishcraft.planWish"
COMMAND_INSERT_PLAN_STEPS = "wishcraft.insertPlanSteps"
COMMAND_CANCEL_PLAN = "wishcraft.cancelPlan"
COMMAND_PLAN_LOCATION = "wishcraft.planLocation"
COMMAND_APPLY_PLAN = "wishcraft.applyPlan"
COMMAND_UNDO_APPLY = "wishcraft.undoApply"
COMMAND_OPEN_PULL_REQUEST = "wishcraft.openPullRequest"
COMMAND_INIT_WORKSPACE = "wishcraft.initWorkspace"
COMMAND_TRUST_REPOSITORY = "wishcraft.trustRepository"

NOTIFICATION_PLAN_UPDATED = "wishcraft/planUpdated"

PLANNING_CONDUIT_ID = "openai.codex.v2025.plan"
APPLY_CONDUIT_ID = "openai.codex.v2025.apply"
