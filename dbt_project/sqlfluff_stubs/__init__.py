"""dbt's env_var for sqlfluff's templater (its dbt builtins lack it): the default, or ''."""


def env_var(name: str, default: str = "") -> str:
    return default
