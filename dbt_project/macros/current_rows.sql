{#-
  The rows of a landed table that come from the current version of their file (a file
  replaced at the same path keeps its old rows in landing, marked superseded).
-#}
{% macro current_rows(relation) -%}
    select landed.*
    from {{ relation }} as landed
    inner join {{ ref('stg_landing__files') }} as files
        on landed.submission_id = files.submission_id
    where files.is_current_version
{%- endmacro %}
