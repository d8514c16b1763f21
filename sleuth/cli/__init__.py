"""The ``sleuth`` command line: one module per verb."""
