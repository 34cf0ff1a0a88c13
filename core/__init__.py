"""Floor 0: config loading, user errors, logging and metrics shared by every package."""

from core.config import ConfigError, build as build_config, dump as dump_config, to_dict as config_to_dict
from core.errors import UserError
from core.metrics import MetricsWriter
