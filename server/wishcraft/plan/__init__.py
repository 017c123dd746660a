"""Run a plan from the editor: safe file locations, the side document, progress."""
