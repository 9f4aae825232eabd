"""cardctl: a customer archive (客户档案) kept as plain YAML files in git."""

__version__ = "0.1.0"
