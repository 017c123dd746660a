"""The Codex planning conduit: auth, request, SSE streaming, errors, and the shadow run."""
