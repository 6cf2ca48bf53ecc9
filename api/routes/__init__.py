"""One router per resource; each is a thin layer over ``pipeline`` and ``storage``."""
