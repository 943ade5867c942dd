"""The Grimoire: canonical packages, manifests, schemas, SBOMs, signatures, blob storage and
the catalog of spell versions.

Depends on `runtime` (to compile a module and check a policy when a spell is published) and on
nothing else of the platform.

The names are loaded on first use, from the stub beside this file (`__init__.pyi`, which type
checkers read): a process that needs one part of the package does not import the rest.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
