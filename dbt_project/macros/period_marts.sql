{#- Period-incremental marts (issue 5 item 7, DECISIONLOG.md 7). A mart row of period P depends on every
    period up to P (starting balances, "to date" columns), so a run rewrites a company's periods from the
    first one that changed onwards; `whole_company=true` rewrites every period of a changed company (for
    marts whose rows also read later periods: BC's "Posting Date" check; the WIP report, whose skip rule
    reads an order's later entries, is incremental by order instead: macros/wip_orders.sql).

    Each row carries `max_loaded_at`: the newest raw `_loaded_at` it was built from (the period
    aggregates up to its period, and every setup table). A company's rows from period Q on are rebuilt
    when
    * a period aggregate's slice (company, Q) is newer than the mart's row for Q (new or re-loaded
      entries, back-dated ones included), or Q has no row yet;
    * a setup table was loaded after the row was built (a setup change can move any period);
    * `--vars '{period: Q}'` asks for it (a backfill; `company` narrows it);
    and everything is rebuilt on a first or `--full-refresh` run.

    Usage, wrapping the mart's own query (config: incremental, delete+insert on (company, period_start),
    pre_hook delete_from_selected_period):
        with mart as ( ...the mart's query... ),
        {{ period_mart_watermark_ctes(['int_value_entries_aggregated_by_period'], ['stg_bc__items']) }}
        {{ period_mart_select() }} -#}

{#- pre_hook: a backfill of period Q first removes the rows it is about to rewrite (Q and later, or the
    company's every period), so rows that no longer exist do not survive it. -#}
{% macro delete_from_selected_period(whole_company=false) -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    {%- if period is not none and is_incremental() -%}
        delete from {{ this }}
        where
            {%- if whole_company %} true{% else %} period_start >= date {{ dbt.string_literal(period) }}{% endif %}
            {%- if company is not none %} and company = {{ dbt.string_literal(company) }}{% endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro period_mart_watermark_ctes(aggregates, setup_models, whole_company=false) -%}
{%- set period = selected_period() -%}
{%- set company = selected_company() -%}
mart_periods as (

    select
        company,
        period_start
    from {{ ref('int_company_periods_spined') }}

),

mart_slices as (

    select
        company,
        period_start,
        max(max_loaded_at) as max_loaded_at
    from (
        {%- for aggregate in aggregates %}
            select
                company,
                period_start,
                max_loaded_at
            from {{ ref(aggregate) }}
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as slices
    group by company, period_start

),

mart_setup_loaded as (

    select
        greatest(
            {%- for model in setup_models %}
                (select max(_loaded_at) from {{ ref(model) }}){% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as max_loaded_at

),

mart_row_watermarks as (

    select
        mart_periods.company,
        mart_periods.period_start,
        mart_slices.max_loaded_at as slice_loaded_at,
        greatest(
            max(mart_slices.max_loaded_at) over (
                partition by mart_periods.company order by mart_periods.period_start
            ),
            mart_setup_loaded.max_loaded_at
        ) as max_loaded_at
    from mart_periods
    cross join mart_setup_loaded
    left join mart_slices
        on mart_periods.company = mart_slices.company and mart_periods.period_start = mart_slices.period_start

),

mart_rebuild_from as (

    {%- if not is_incremental() %}
        select
            company,
            '-infinity'::date as rebuild_from
        from mart_periods
        group by company
    {%- elif period is not none %}
        select
            company,
            {% if whole_company %}'-infinity'::date{% else %}date {{ dbt.string_literal(period) }}{% endif %}
                as rebuild_from
        from mart_periods
        {%- if company is not none %}
            where company = {{ dbt.string_literal(company) }}
        {%- endif %}
        group by company
    {%- else %}
        select
            mart_row_watermarks.company,
            {% if whole_company %}'-infinity'::date{% else %}min(mart_row_watermarks.period_start){% endif %}
                as rebuild_from
        from mart_row_watermarks
        cross join mart_setup_loaded
        left join (
            select
                company,
                period_start,
                max(max_loaded_at) as max_loaded_at
            from {{ this }}
            group by company, period_start
        ) as built
            on
                mart_row_watermarks.company = built.company
                and mart_row_watermarks.period_start = built.period_start
        where
            (
                built.max_loaded_at is null
                or mart_row_watermarks.slice_loaded_at > built.max_loaded_at
                or mart_setup_loaded.max_loaded_at > built.max_loaded_at
            )
            {%- if company is not none %}
                and mart_row_watermarks.company = {{ dbt.string_literal(company) }}
            {%- endif %}
        group by mart_row_watermarks.company
    {%- endif %}

)
{%- endmacro %}

{% macro period_mart_select() -%}
select
    mart.*,
    mart_row_watermarks.max_loaded_at
from mart
inner join mart_rebuild_from
    on mart.company = mart_rebuild_from.company and mart.period_start >= mart_rebuild_from.rebuild_from
left join mart_row_watermarks
    on mart.company = mart_row_watermarks.company and mart.period_start = mart_row_watermarks.period_start
{%- endmacro %}

{#- Sparse period marts (rows only where something is found, e.g. unexplained G/L entries) whose rows of a
    period depend on that period's entries alone. delete+insert replaces only the (company, period) keys
    the new rows carry, so a period that no longer has rows would keep stale ones: these marts first
    delete what they rebuild (pre_hook), then build
    * with --vars period: that period only (and the company var narrows it);
    * incremental without a period: everything of the selected company (or of all companies);
    * first or --full-refresh run: everything.
    sparse_period_rows(date_column) is the filter on the mart's driving entries. -#}
{% macro delete_sparse_period_rows() -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            {%- if period is not none %} period_start = date {{ dbt.string_literal(period) }}{% else %} true{% endif %}
            {%- if company is not none %} and company = {{ dbt.string_literal(company) }}{% endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro sparse_period_rows(date_column) -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    true
    {%- if is_incremental() and period is not none %}
        and {{ date_column }} >= date {{ dbt.string_literal(period) }}
        and {{ date_column }} < date {{ dbt.string_literal(period) }} + interval '1 month'
    {%- endif %}
    {%- if is_incremental() and company is not none %}
        and company = {{ dbt.string_literal(company) }}
    {%- endif %}
{%- endmacro %}

{#- Per-period tables whose rows of a period depend only on that period's slice of a period aggregate and on
    the setup tables (no running totals): the watermark CTEs above decide which periods to rebuild, and the
    aggregate is read from the first of them only (DECISIONLOG.md 22). `period_slice_filter` adds the
    selected period as a literal bound, so on a `--vars period` run the planner reads that period's
    slices through the aggregate's (company, period_start) index instead of joining every slice first. -#}
{% macro period_slice_filter(column, company_column='company') -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    true
    {%- if is_incremental() and period is not none %}
        and {{ column }} >= date {{ dbt.string_literal(period) }}
    {%- endif %}
    {%- if is_incremental() and company is not none %}
        and {{ company_column }} = {{ dbt.string_literal(company) }}
    {%- endif %}
{%- endmacro %}
