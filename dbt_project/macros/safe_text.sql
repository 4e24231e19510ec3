{#-
  Text that came from a submitted file, made safe to export: a cell that a spreadsheet
  would run as a formula (starting with = + - @, or a tab or carriage return) gets a
  leading apostrophe, so Excel and WPS show it as text. Applied where such text enters
  the published marts and audit tables.
-#}
{% macro safe_text(column) -%}
    case
        when left({{ column }}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) then '''' || {{ column }}
        else {{ column }}
    end
{%- endmacro %}
