"""Shared by every test: the tests are written for the demo data, and never touch the cache or
the list of sources of the person running them.

Set at import time, so that every kernel, Voilà server or subprocess started by a test inherits
them (see :mod:`territoire_lib.active_source`):

* ``TERRITOIRE_SOURCE=demo``: whatever source ``territoire import`` or ``territoire source``
  made active on this machine, everything here reads the demo unless a test says otherwise
  (tests of the active source remove it themselves);
* ``TERRITOIRE_CACHE``: a folder of this test session, removed at the end; a test that runs
  ``territoire import`` records its folder there, not in ``data/cache/sources.json``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ["TERRITOIRE_SOURCE"] = "demo"
_CACHE = tempfile.mkdtemp(prefix="territoire-tests-cache-")
os.environ["TERRITOIRE_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
