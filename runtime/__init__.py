"""The wasmtime sandbox that runs spells.

Public surface: `Sandbox` (compile once, run many), `Limits` (what one cast may use),
`ResourceUsage` (what one cast did use) and `SpellRunError` (why a cast did not finish).
This package imports nothing else of the platform.

The names are loaded on first use, from the stub beside this file (`__init__.pyi`, which type
checkers read): a process that needs one part of the package does not import the rest.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
