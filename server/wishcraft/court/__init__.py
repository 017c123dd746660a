"""The court: whether a conduit call may run, and why not, in one sentence.

- `gates`: the gates themselves, pure (binding, tier, permissions, scopes, ledger, limits,
  court thresholds);
- `plan`: the hearing of a plan (and the ledger line after the call), shared by the CLI and
  the editor;
- `apply`: the hearing of an apply, its scope and where its undo state lives;
- `findings`: the hearing of a wish's live calls as lint findings (`lint --gates`, the
  editor's diagnostics).

The court's scores (clarity, safety, reversibility) and heat are `wishcraft.scores`: the lint
rules read them, and the gates read the lint rules, so the scores stay outside this package.
"""
