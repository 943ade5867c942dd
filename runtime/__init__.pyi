from .errors import SpellRunError as SpellRunError
from .limits import Limits as Limits
from .net import NetLimits as NetLimits, NetworkGate as NetworkGate
from .policy import Mount as Mount, Policy as Policy, PolicyError as PolicyError
from .sandbox import (
    Artifact as Artifact,
    ModuleRejected as ModuleRejected,
    RunResult as RunResult,
    Sandbox as Sandbox,
    module_imports as module_imports,
)
from .usage import ResourceUsage as ResourceUsage
