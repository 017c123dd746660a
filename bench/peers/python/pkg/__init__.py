"""The package pyright is measured on."""
