"""The wasmtime sandbox that runs spells.

Public surface: `Sandbox` (compile once, run many), `Limits` (what one cast may use),
`ResourceUsage` (what one cast did use) and `SpellRunError` (why a cast did not finish).
This package imports nothing else of the platform.
"""

from runtime.errors import SpellRunError
from runtime.limits import Limits
from runtime.net import NetLimits, NetworkGate
from runtime.policy import Mount, Policy, PolicyError
from runtime.sandbox import Artifact, ModuleRejected, RunResult, Sandbox, module_imports
from runtime.usage import ResourceUsage

__all__ = [
    "Artifact",
    "Limits",
    "ModuleRejected",
    "Mount",
    "NetLimits",
    "NetworkGate",
    "Policy",
    "PolicyError",
    "ResourceUsage",
    "RunResult",
    "Sandbox",
    "SpellRunError",
    "module_imports",
]
