"""Stop Datasette printing a rich traceback, with every local variable, for each error.

Datasette 0.65's default exception handler (datasette/handle_exception.py) calls
rich.get_console().print_exception(show_locals=True) whenever rich is importable, and
rich is installed here (typer, used by frictionless, needs it).  That printing runs on
the event loop: for a query stopped by sql_time_limit_ms it took 1-5 s, during which
no other request was answered, so one hostile query stalled the whole server.

Every handle_exception hook runs (the default one too), so another hook cannot prevent
this; the handler's module-level `rich` is cleared instead.  Responses are unchanged;
500 errors still print a plain traceback (traceback.print_exc).  Reads and writes no data.
"""

import datasette.handle_exception as default_handler

default_handler.rich = None
