"""Refusals: a request the server answers with an error on purpose, said in one sentence.

A rename of something that is not an id is refused with the sentence the editor shows under
the cursor; that is an answer, not a fault. pygls logs every error a handler raises with its
traceback (`logger.exception`) and reports it as a server error, so a user pressing F2 on a key
would fill the log with tracebacks. A `Refusal` is logged at INFO in one line instead: the
`QuietRefusals` filter rewrites pygls' record, and the server's `report_server_error` skips it.
"""

from __future__ import annotations

import logging

from pygls.exceptions import JsonRpcException

PYGLS_RPC_LOGGER = "pygls.protocol.json_rpc"


class Refusal(JsonRpcException):
    """A request refused on purpose; its message is the one sentence the user sees."""

    CODE = -32803  # RequestFailed: the request was valid, the operation is not possible


class QuietRefusals(logging.Filter):
    """Turn pygls' ERROR-with-traceback record of a `Refusal` into one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record; a refusal's loses its traceback and drops to INFO."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, Refusal):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "Refused: %s", (str(error),)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_refusals() -> None:
    """Install the filter on pygls' JSON-RPC logger (once)."""
    target = logging.getLogger(PYGLS_RPC_LOGGER)
    if not any(isinstance(existing, QuietRefusals) for existing in target.filters):
        target.addFilter(QuietRefusals())
