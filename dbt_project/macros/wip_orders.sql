{#- The WIP mart is incremental by production order (DECISIONLOG.md 26): a row of an order reads every
    period of that order (WIP at start, the to-date columns, the skip rule of a Finished order) and
    nothing of any other order, so a run deletes and rebuilds exactly the orders whose inputs changed:

    * the order's value entries: a slice of int_production_value_entries_aggregated_by_period newer
      than the order's rows (new, re-loaded or back-dated entries), or no entries any more;
    * the order's records in raw.production_order: loaded after its rows were built, or the status
      shown no longer the current one (Released -> Finished, a deleted record);
    * the period spine grew past the company's last built period: the orders with a row in that
      period get rows in the new ones;
    * `--vars period: Q` (a backfill or the close): the orders with rows or entries in Q or later;
    and `company` narrows all of it. The model then builds every order with entries and no rows
    (wip_orders_to_build), i.e. the ones deleted here and new ones; a first or --full-refresh run
    builds them all.

    pre_hook: runs in the model's transaction, so a failed build leaves the deleted rows in place. -#}
{% macro delete_wip_orders_to_rebuild() -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    {%- if is_incremental() -%}
        with

        built as (

            select
                company,
                production_order_no,
                max(max_loaded_at) as max_loaded_at,
                -- one status per order: the mart shows the order's current record on every row
                max(production_order_status) as production_order_status,
                max(period_start) as last_period_start
            from {{ this }}
            {%- if company is not none %}
                where company = {{ dbt.string_literal(company) }}
            {%- endif %}
            group by company, production_order_no

        ),

        built_ends as (

            select
                company,
                max(last_period_start) as built_end
            from built
            group by company

        ),

        spine_ends as (

            select
                company,
                max(period_start) as spine_end
            from {{ ref('int_company_periods_spined') }}
            group by company

        ),

        entry_orders as (

            select
                company,
                order_no,
                max(max_loaded_at) as max_loaded_at,
                max(period_start) as last_entry_period_start
            from {{ ref('int_production_value_entries_aggregated_by_period') }}
            group by company, order_no

        ),

        order_records as (

            select
                company,
                production_order_no,
                max(_loaded_at) as loaded_at,
                -- the status the mart shows (Finished over Released, as the mart picks it)
                case when bool_or(production_order_status = 'Finished') then 'Finished'
                    else max(production_order_status) end as production_order_status
            from {{ ref('stg_bc__production_orders') }}
            group by company, production_order_no

        ),

        stale as (

            select
                built.company,
                built.production_order_no
            from built
            inner join built_ends on built.company = built_ends.company
            left join spine_ends on built.company = spine_ends.company
            left join entry_orders
                on built.company = entry_orders.company and built.production_order_no = entry_orders.order_no
            left join order_records
                on
                    built.company = order_records.company
                    and built.production_order_no = order_records.production_order_no
            where
                entry_orders.order_no is null
                or entry_orders.max_loaded_at > built.max_loaded_at
                or order_records.loaded_at > built.max_loaded_at
                or coalesce(order_records.production_order_status, '') != built.production_order_status
                or (spine_ends.spine_end > built_ends.built_end and built.last_period_start = built_ends.built_end)
                {%- if period is not none %}
                    or built.last_period_start >= date {{ dbt.string_literal(period) }}
                    or entry_orders.last_entry_period_start >= date {{ dbt.string_literal(period) }}
                {%- endif %}

        )

        delete from {{ this }} as mart
        using stale
        where mart.company = stale.company and mart.production_order_no = stale.production_order_no
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Filter on the WIP mart's production entries (alias `entries`): the orders to build in this run. -#}
{% macro wip_orders_to_build(entries) -%}
    {%- set company = selected_company() -%}
    true
    {%- if is_incremental() %}
        and not exists (
            select 1
            from {{ this }} as built
            where built.company = {{ entries }}.company and built.production_order_no = {{ entries }}.order_no
        )
        {%- if company is not none %}
            and {{ entries }}.company = {{ dbt.string_literal(company) }}
        {%- endif %}
    {%- endif %}
{%- endmacro %}
