"""A picture handed to the face and head finders: an RGB array, or a function that makes it.

The annotated video keeps its frames in the encoder's YUV and makes an RGB copy only of the
frames a detector looks at (a face sweep every half second, a followed face, a head looked for).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Image = np.ndarray | Callable[[], np.ndarray]


def pixels(image: Image) -> np.ndarray:
    """The RGB array of ``image``."""
    return image if isinstance(image, np.ndarray) else image()
