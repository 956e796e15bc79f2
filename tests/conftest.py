"""Shared by every test: the tests are written for the demo data.

Whatever source ``territoire import`` or ``territoire source`` made active on this machine,
everything here reads the demo unless a test says otherwise (``TERRITOIRE_SOURCE``, see
:mod:`territoire_lib.active_source`); set at import time, so that every kernel, Voilà server or
subprocess started by a test inherits it. Tests of the active source remove it themselves.
"""

from __future__ import annotations

import os

os.environ["TERRITOIRE_SOURCE"] = "demo"
