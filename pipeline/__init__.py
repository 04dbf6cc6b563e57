"""chemsieve: risk screening for illegal small-chemical workshops."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
