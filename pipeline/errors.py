"""Errors whose message is meant for the user of the subdistrict (in Chinese)."""


class UserError(Exception):
    """A problem the user can fix: bad file, bad config, database in use.

    The message is shown as is, without a traceback.
    """


class FileRefused(UserError):
    """A whole input file could not be read as a table of its source."""

    def __init__(self, file_name: str, reason: str):
        self.file_name = file_name
        self.reason = reason
        super().__init__(f"文件 {file_name} 未导入：{reason}")


class ConfigError(UserError):
    """A configuration file is missing a value or has a value out of range."""
