"""One router per resource; each is a thin layer over ``core.pipeline`` and ``storage``."""
