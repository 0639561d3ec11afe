"""Weight initializers for nnlib.torch: ``torch.nn.init``'s names and formulas (see ``nnlib.core.init``)."""
from nnlib.core.init import initializers
from nnlib.torch import xp

_functions = initializers(xp, __name__)
globals().update(_functions)
__all__ = list(_functions)
