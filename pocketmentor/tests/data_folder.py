"""A data folder of the test run's own, set before Django reads its settings.

Loaded as a plugin (`-p` in pyproject.toml's addopts), so it runs before pytest-django
imports the settings: the developer's `data/` (the demo's database, its collected and
fingerprinted static files, its keys) never reaches a test, whatever ran before.
"""

import atexit
import os
import shutil
import tempfile

FOLDER = tempfile.mkdtemp(prefix="pocketmentor-tests-")
os.environ["DATA_DIR"] = FOLDER
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
