{#- Models land in the schema named in dbt_project.yml verbatim (staging, intermediate, marts,
    outbound, seeds), not "<target schema>_<custom>": the posting task, GX and BI read fixed names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
