with

source as (

    select * from {{ source('bc', 'general_ledger_setup') }}

),

renamed as (

    select
        company,
        coalesce(primary_key, '') as primary_key,
        allow_posting_from,
        allow_posting_to,
        coalesce(lcy_code, '') as lcy_code,
        coalesce(additional_reporting_currency, '') as additional_reporting_currency,
        _batch_id,
        _loaded_at
    from source

)

select * from renamed
