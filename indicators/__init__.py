"""The indicator frameworks (一级/二级 categories of each framework version), a project's 三级
indicators and their values (`values.py`), the indicator library, self-evaluation results and
their scoring (`scoring.py`), and the quality checks (`checks/`) with their 审核口径."""
