"""Keep the Hugging Face, Gradio and ONNX Runtime libraries off the network, explicitly and only where needed.

Nothing here runs on import. `offline()` scopes the switches to a block (loading a model);
`force_offline()` sets them for the rest of a process that groundqa owns (the `groundqa` command);
`import_onnxruntime()` is the one way groundqa imports ONNX Runtime.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "ORT_DISABLE_TELEMETRY": "1",
}
log = logging.getLogger("groundqa")
_checked = {"onnxruntime": False}  # whether the first import was seen (made quiet, or warned about)
_callers: list[dict[str, str | None]] = []  # the environment each open offline() block found


def force_offline() -> None:
    """Set the switches for the whole process (only for processes groundqa owns, like its CLI)."""
    os.environ.update(SWITCHES)
    _set_hub_constant(True)


@contextmanager
def offline() -> Iterator[None]:
    """The switches for the duration of a block, restored afterwards. huggingface_hub reads
    HF_HUB_OFFLINE once, at import, so its constant is switched too when it is already loaded."""
    saved = {name: os.environ.get(name) for name in SWITCHES}
    _callers.append(saved)
    hub_was = _set_hub_constant(True)
    os.environ.update(SWITCHES)
    try:
        yield
    finally:
        _callers.pop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        # loaded inside the block, the library read the switch: give it the caller's setting back
        _set_hub_constant(hub_was if hub_was is not None else _truthy(saved["HF_HUB_OFFLINE"]))


def import_onnxruntime():
    """onnxruntime, with its telemetry off. ONNX Runtime 1.32 on Linux sends 1DS telemetry (DNS
    queries for mobile.events.data.microsoft.com about 10 s after the first session) unless
    ORT_DISABLE_TELEMETRY is set when it is imported; `disable_telemetry_events()` alone does not
    stop it (measured under strace). Only that first import matters: an `offline()` block that
    ends later takes the variable away again, and that is no reason to warn."""
    if not _checked["onnxruntime"]:
        _checked["onnxruntime"] = True
        if "onnxruntime" not in sys.modules:
            os.environ["ORT_DISABLE_TELEMETRY"] = "1"
        elif not _truthy((_callers[0] if _callers else os.environ).get("ORT_DISABLE_TELEMETRY")):
            log.warning("onnxruntime was imported before groundqa with its telemetry on; set "
                        "ORT_DISABLE_TELEMETRY=1 before importing it to keep the process off the network")
    import onnxruntime

    onnxruntime.disable_telemetry_events()
    return onnxruntime


def _set_hub_constant(value: bool) -> bool | None:
    """Set huggingface_hub's HF_HUB_OFFLINE constant if the library is loaded; return the old value."""
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is None:
        return None
    previous = getattr(constants, "HF_HUB_OFFLINE", None)
    setattr(constants, "HF_HUB_OFFLINE", value)  # noqa: B010 (a module attribute mypy cannot see)
    return previous


def _truthy(value: str | None) -> bool:
    return (value or "").upper() in {"1", "ON", "YES", "TRUE"}
