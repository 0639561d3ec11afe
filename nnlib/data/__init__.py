"""nnlib.data: the real datasets shipped in data/ (SHA-256 verified) and the tools to prepare them."""
from nnlib.data.datasets import *  # noqa: F401,F403
from nnlib.data.files import *  # noqa: F401,F403
from nnlib.data.images import *  # noqa: F401,F403
from nnlib.data.prep import *  # noqa: F401,F403
from nnlib.data.sequences import *  # noqa: F401,F403
