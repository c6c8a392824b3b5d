{#- The posting task (issue 7) records in posting.posted_value_entry what it posted per value entry
    and cost part; the adjusting journal subtracts it. Created empty when missing so a fresh
    warehouse builds. -#}
{% macro create_posting_ledger() %}
    create schema if not exists posting;
    create table if not exists posting.posted_value_entry (
        company text not null,
        value_entry_no bigint not null,
        cost_part text not null check (cost_part in ('actual', 'expected')),
        amount_posted numeric not null,
        idempotency_key text not null,
        posted_at timestamptz not null default now()
    );
{% endmacro %}
