"""What alframe shows in a terminal, shared by the commands (:mod:`alframe.cli`), the grid's
view (:mod:`alframe.experiments.progress`) and the report's tables: tables fitted to the
terminal's width and figures written one way (:mod:`.fit`, no torch), and a run's progress,
live or one line per round (:mod:`.progress`, imports Lightning). Nothing here imports a
command, so the layers below the command line never reach up into it."""
