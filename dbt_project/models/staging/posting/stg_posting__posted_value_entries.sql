with

source as (

    select * from {{ source('posting', 'posted_value_entry') }}

),

renamed as (

    select
        company,
        value_entry_no,
        cost_part,
        cast(amount_posted as numeric) as amount_posted,
        idempotency_key,
        posted_at
    from source

)

select * from renamed
