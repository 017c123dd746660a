"""The language server: the app, its lifecycle, the workspace, features and the plan runner."""
