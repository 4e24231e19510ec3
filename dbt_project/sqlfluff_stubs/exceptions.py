"""dbt's ``exceptions`` namespace, for sqlfluff only.

sqlfluff renders models with placeholder values (``var()`` returns "item"), so a macro's
validation would raise while linting; here it renders nothing instead.
"""


def raise_compiler_error(message: str) -> str:
    return ""
