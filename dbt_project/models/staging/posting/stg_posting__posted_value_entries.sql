with

source as (

    select * from {{ source('posting', 'posted_value_entry') }}

),

renamed as (

    select
        company,
        value_entry_no,
        cost_part,
        amount_posted::numeric as amount_posted,
        idempotency_key,
        posted_at
    from source

)

select * from renamed
