{#- BC Source Code Setup values the reconciliation warnings read (spec §C.6 checks 4 and 5). The raw
    schema has neither BC's Date Compr. Register nor the closing-date flag of G/L entries, so the entries
    those checks look for are recognised by the source code BC stamps on them: "Compress G/L" on the
    entries Date Compress General Ledger creates, "Close Income Statement" on the closing entries.
    Defaults are W1's (COMPRGL, CLSINCOME); a company with other codes sets the vars. -#}
{% macro date_compression_source_codes() -%}
    {%- set codes = var('date_compression_source_codes', ['COMPRGL']) -%}
    {%- if codes is string -%}
        {%- set codes = [codes] -%}
    {%- endif -%}
    {{ return(codes) }}
{%- endmacro %}

{% macro close_income_statement_source_code() -%}
    {{ return(var('close_income_statement_source_code', 'CLSINCOME')) }}
{%- endmacro %}

{#- `source_code in ('COMPRGL', ...)` for a column. -#}
{% macro is_date_compression_source_code(column) -%}
    {{ column }} in (
        {%- for code in date_compression_source_codes() -%}
            {{ dbt.string_literal(code) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
    )
{%- endmacro %}
