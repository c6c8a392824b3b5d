{#- Tests on ledger history restricted to the built period (DECISIONLOG.md 17). A test's `where` config may
    say `__built_period__(posting_date)`: with --vars period it becomes that month's date range, so the
    nightly build of one period tests that period's rows instead of all history; without a period (a full
    build) it is `true` and the test reads everything. `__built_period_g_l_entry__(g_l_entry_no)` does the
    same for rows keyed by a G/L entry (the relations), through that entry's posting date, and
    `__rebuilt_periods__(period_start)` (period-keyed models and marts) becomes `period_start >= <period>`:
    the periods such a build rewrites (DECISIONLOG.md 22). Otherwise this is
    dbt's own get_where_subquery, whose documented override point it is (docs: resource-configs/where,
    "Custom logic"). -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set period = selected_period() -%}
        {%- if period is none -%}
            {%- set range = 'true' -%}
        {%- else -%}
            {%- set range = "(\\1 >= date " ~ dbt.string_literal(period) ~ " and \\1 < date "
                ~ dbt.string_literal(period) ~ " + interval '1 month')" -%}
        {%- endif -%}
        {%- set where = modules.re.sub('__built_period__\\(\\s*([a-z_][a-z0-9_]*)\\s*\\)', range, where) -%}
        {#- period-keyed models and marts: a --vars period build rewrites that period and (the marts with
            balances) the later ones, so it tests the rows from that period on (DECISIONLOG.md 22) -#}
        {%- if period is none -%}
            {%- set rebuilt = 'true' -%}
        {%- else -%}
            {%- set rebuilt = "\\1 >= date " ~ dbt.string_literal(period) -%}
        {%- endif -%}
        {%- set where = modules.re.sub('__rebuilt_periods__\\(\\s*([a-z_][a-z0-9_]*)\\s*\\)', rebuilt, where) -%}
        {#- G/L - Item Ledger relations carry no date: the relations of the period's G/L entries, read from
            the G/L entry staging view beside the tested one -#}
        {%- if period is none -%}
            {%- set related = 'true' -%}
        {%- else -%}
            {%- set g_l_entries = relation.incorporate(path={'identifier': 'stg_bc__g_l_entries'}) -%}
            {%- set related = "(company, \\1) in (select company, entry_no from " ~ g_l_entries
                ~ " where posting_date >= date " ~ dbt.string_literal(period) ~ " and posting_date < date "
                ~ dbt.string_literal(period) ~ " + interval '1 month')" -%}
        {%- endif -%}
        {%- set where = modules.re.sub(
            '__built_period_g_l_entry__\\(\\s*([a-z_][a-z0-9_]*)\\s*\\)', related, where
        ) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
