"""Unit and project codes: letters, digits, - and _ (they appear in URLs and file names)."""

from django.core.validators import RegexValidator

code_validator = RegexValidator(r"^[0-9A-Za-z_-]+\Z", "编码只能由字母、数字、- 和 _ 组成")
