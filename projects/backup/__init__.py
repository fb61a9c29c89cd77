"""Backup and restore: a unit-year, or everything, in one file, history included.

The file is gzip-compressed JSON: a header (format, scope, the schema's migrations, when) and
the rows of every model in the order they can be inserted, each with its primary key, so a
restore into an empty database gives the same rows, the same history and the same links.
"""

from projects.backup.contents import BackupError, Scope
from projects.backup.restore import backup_read, describe, restore
from projects.backup.write import backup_build, backup_write

__all__ = [
    "BackupError",
    "Scope",
    "backup_build",
    "backup_read",
    "backup_write",
    "describe",
    "restore",
]
