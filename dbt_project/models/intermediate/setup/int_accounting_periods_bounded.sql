-- BC accounting periods with their ending date: a period runs until the day before the next one
-- starts; the last one is open-ended. A closed period blocks posting (spec §B.1).
with

accounting_periods as (

    select * from {{ ref('stg_bc__accounting_periods') }}

),

bounded as (

    select
        company,
        starting_date,
        coalesce(
            lead(starting_date) over (partition by company order by starting_date) - 1,
            date '9999-12-31'
        ) as ending_date,
        closed as is_closed,
        date_locked as is_date_locked,
        new_fiscal_year as is_new_fiscal_year
    from accounting_periods

),

final as (

    select * from bounded

)

select * from final
