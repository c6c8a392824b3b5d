-- Every month of every company from its first to its last value or G/L entry, so balances "to date"
-- exist for months without movements.
with

value_entry_periods as (

    select
        company,
        period_start
    from {{ ref('int_value_entries_aggregated_by_period') }}

),

g_l_entry_periods as (

    select
        company,
        period_start
    from {{ ref('int_g_l_entries_aggregated_by_period') }}

),

bounds as (

    select
        company,
        min(period_start) as first_period_start,
        max(period_start) as last_period_start
    from (
        select * from value_entry_periods
        union all
        select * from g_l_entry_periods
    ) as periods
    group by company

),

spined as (

    select
        bounds.company,
        months.period_start::date as period_start,
        (months.period_start + interval '1 month' - interval '1 day')::date as period_end
    from bounds
    cross join lateral generate_series(
        bounds.first_period_start, bounds.last_period_start, interval '1 month'
    ) as months (period_start)

),

final as (

    select * from spined

)

select * from final
