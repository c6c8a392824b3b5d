-- Per entry and per posting group are two layouts of one posting (spec §B.1): per company x posting
-- date x G/L account they must move the same amount. Returns the disagreeing rows (tolerance 0).
with

per_entry as (

    select
        company,
        posting_date,
        gl_account_no,
        sum(amount) as amount
    from {{ ref('fct_adjusting_journal_per_entry') }}
    group by company, posting_date, gl_account_no

),

per_posting_group as (

    select
        company,
        posting_date,
        gl_account_no,
        sum(amount) as amount
    from {{ ref('fct_adjusting_journal_per_posting_group') }}
    group by company, posting_date, gl_account_no

)

select
    coalesce(per_entry.company, per_posting_group.company) as company,
    coalesce(per_entry.posting_date, per_posting_group.posting_date) as posting_date,
    coalesce(per_entry.gl_account_no, per_posting_group.gl_account_no) as gl_account_no,
    per_entry.amount as per_entry_amount,
    per_posting_group.amount as per_posting_group_amount
from per_entry
full outer join per_posting_group
    on
        per_entry.company = per_posting_group.company
        and per_entry.posting_date = per_posting_group.posting_date
        and per_entry.gl_account_no = per_posting_group.gl_account_no
where coalesce(per_entry.amount, 0) != coalesce(per_posting_group.amount, 0)
