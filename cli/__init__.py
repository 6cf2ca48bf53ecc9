"""The ``sohoa`` command line."""
