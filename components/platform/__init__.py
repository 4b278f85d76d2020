"""Platform add-ons: what turns a bare cluster into a model-serving platform."""

from components.platform.compat import check_versions
from components.platform.handles import PlatformHandles
from components.platform.platform import Platform, PlatformArgs
from components.platform.settings import PlatformSettings

__all__ = ["Platform", "PlatformArgs", "PlatformHandles", "PlatformSettings", "check_versions"]
