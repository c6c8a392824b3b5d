with

source as (

    select * from {{ source('bc', 'accounting_period') }}

),

renamed as (

    select
        company,
        starting_date,
        coalesce(name, '') as name,
        coalesce(new_fiscal_year, false) as new_fiscal_year,
        coalesce(closed, false) as closed,
        coalesce(date_locked, false) as date_locked,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
