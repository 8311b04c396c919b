"""The retrieval library stays usable without the Telegram stack."""

from __future__ import annotations

import subprocess
import sys


def test_import_retrieval_never_loads_telegram() -> None:
    """Importing retrieval (and its engine) loads neither telegram, bot nor httpx."""
    code = (
        "import sys, retrieval, retrieval.engine\n"
        "top = {name.partition('.')[0] for name in sys.modules}\n"
        "loaded = sorted(top & {'telegram', 'bot', 'httpx'})\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
