{#- Inventory Valuation (report 1001, spec §D.1) per period over the value-entry aggregate.

    `with_location`: true = one row per item x location x variant (a location filter: a transfer leg
    shows as an increase or a decrease at its own location); false = one row per item x variant (no
    location filter: the receiving leg of an applied transfer goes to Decreases with sign -1, so the two
    legs cancel there). Starting = every value entry before the period (all ILE types); Increases /
    Decreases by ILE type; Ending = Starting + Increases - Decreases; Cost Posted to G/L up to the end.

    Running balances (DECISIONLOG.md 22): on an incremental run with `--vars period` (P, the nightly build
    and backfills) the mart rewrites P and later periods, and P's starting balances and Cost Posted to G/L
    to date are the mart's own row of the period before P (its ending) plus the movements since, so the
    run reads the aggregate from P on and one period of the mart, not all history. Without a period the
    balances are summed over all history, as before. -#}
{% macro inventory_valuation(with_location) -%}
{%- set keys = ['company', 'item_no', 'location_code', 'variant_code'] if with_location
    else ['company', 'item_no', 'variant_code'] -%}
{%- set increase_types = "('Purchase', 'Positive Adjmt.', 'Output', 'Assembly Output')" -%}
{%- set decrease_types = "('Sale', 'Negative Adjmt.', 'Consumption', 'Assembly Consumption')" -%}
{%- set period = selected_period() -%}
{%- set company = selected_company() -%}
{%- set running = is_incremental() and period is not none -%}
{%- if with_location -%}
    {%- set increase_transfer = "transfer_leg in ('inbound applied', 'inbound unapplied')" -%}
{%- else -%}
    {%- set increase_transfer = "transfer_leg = 'inbound unapplied'" -%}
{%- endif -%}
with

value_entries as (

    select * from {{ ref('int_value_entries_aggregated_by_period') }}
    {%- if running %}
        where {{ period_slice_filter('period_start') }}
    {%- endif %}

),

{%- if running %}

-- the mart's rows of the period before P: their ending balances open P
previous as (

    select
        {% for key in keys %}{{ key }},
        {% endfor -%}
        ending_value,
        ending_quantity,
        ending_value_expected_included,
        ending_quantity_expected_included,
        invoiced_cost_posted_to_g_l,
        expected_cost_posted_to_g_l
    from {{ this }}
    where
        period_start = cast(date {{ dbt.string_literal(period) }} - interval '1 month' as date)
        {%- if company is not none %}
            and company = {{ dbt.string_literal(company) }}
        {%- endif %}

),
{%- endif %}

items as (

    select * from {{ ref('stg_bc__items') }}

),

periods as (

    select * from {{ ref('int_company_periods_spined') }}

),

-- the report only iterates items of Type = Inventory; capacity entries (blank item) never count
inventory_entries as (

    select
        value_entries.*,
        case
            when value_entries.item_ledger_entry_type in {{ increase_types }} then 1
            when value_entries.item_ledger_entry_type in {{ decrease_types }} then -1
            when value_entries.item_ledger_entry_type = 'Transfer' and value_entries.{{ increase_transfer }} then 1
            when value_entries.item_ledger_entry_type = 'Transfer' then -1
        end as direction
    from value_entries
    left join items
        on value_entries.company = items.company and value_entries.item_no = items.item_no
    where
        value_entries.item_ledger_entry_type != ''
        and value_entries.item_no != ''
        and coalesce(items.item_type, '') not in ('Service', 'Non-Inventory')

),

movements as (

    select
        {% for key in keys %}{{ key }},
        {% endfor -%}
        period_start,
        sum(cost_amount_actual) filter (where direction = 1) as increases_value,
        sum(invoiced_quantity) filter (where direction = 1) as increases_quantity,
        sum(cost_amount_actual + cost_amount_expected) filter (where direction = 1)
            as increases_value_expected_included,
        sum(item_ledger_entry_quantity) filter (where direction = 1) as increases_quantity_expected_included,
        -sum(cost_amount_actual) filter (where direction = -1) as decreases_value,
        -sum(invoiced_quantity) filter (where direction = -1) as decreases_quantity,
        -sum(cost_amount_actual + cost_amount_expected) filter (where direction = -1)
            as decreases_value_expected_included,
        -sum(item_ledger_entry_quantity) filter (where direction = -1) as decreases_quantity_expected_included,
        sum(cost_amount_actual) as net_value,
        sum(invoiced_quantity) as net_quantity,
        sum(cost_amount_actual + cost_amount_expected) as net_value_expected_included,
        sum(item_ledger_entry_quantity) as net_quantity_expected_included,
        sum(cost_posted_to_g_l) as cost_posted_to_g_l,
        sum(expected_cost_posted_to_g_l) as expected_cost_posted_to_g_l
    from inventory_entries
    group by {% for key in keys %}{{ key }}, {% endfor %}period_start

),

first_periods as (

    select
        {% for key in keys %}{{ key }},
        {% endfor -%}
        min(period_start) as first_period_start
    from (
        select
            {% for key in keys %}{{ key }},
            {% endfor -%}
            period_start
        from movements
        {%- if running %}
            union all
            select
                {% for key in keys %}{{ key }},
                {% endfor -%}
                date {{ dbt.string_literal(period) }} as period_start
            from previous
        {%- endif %}
    ) as key_periods
    group by {% for key in keys %}{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}

),

spined as (

    select
        {% for key in keys %}first_periods.{{ key }},
        {% endfor -%}
        periods.period_start,
        periods.period_end
    from first_periods
    inner join periods
        on
            first_periods.company = periods.company
            and periods.period_start >= first_periods.first_period_start

),

filled as (

    select
        spined.*,
        {%- for measure in [
            'increases_value', 'increases_quantity', 'increases_value_expected_included',
            'increases_quantity_expected_included', 'decreases_value', 'decreases_quantity',
            'decreases_value_expected_included', 'decreases_quantity_expected_included', 'net_value',
            'net_quantity', 'net_value_expected_included', 'net_quantity_expected_included',
            'cost_posted_to_g_l', 'expected_cost_posted_to_g_l',
        ] %}
        coalesce(movements.{{ measure }}, 0) as {{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from spined
    left join movements
        on
            {% for key in keys %}spined.{{ key }} = movements.{{ key }}
            and {% endfor %}spined.period_start = movements.period_start

),

balances as (

    select
        filled.*,
        {%- if running %}
            {%- set opening = {
                'starting_value': 'ending_value',
                'starting_quantity': 'ending_quantity',
                'starting_value_expected_included': 'ending_value_expected_included',
                'starting_quantity_expected_included': 'ending_quantity_expected_included',
            } %}
            {%- for starting, ending in opening.items() %}
                {%- set net = starting | replace('starting_', 'net_') %}
                coalesce(previous.{{ ending }}, 0) + coalesce(sum(filled.{{ net }}) over before_period, 0)
                    as {{ starting }},
            {%- endfor %}
            coalesce(previous.invoiced_cost_posted_to_g_l, 0) + sum(filled.cost_posted_to_g_l) over to_end
                as invoiced_cost_posted_to_g_l,
            coalesce(previous.expected_cost_posted_to_g_l, 0) + sum(filled.expected_cost_posted_to_g_l) over to_end
                as expected_cost_posted_to_g_l_to_end
        {%- else %}
            coalesce(sum(net_value) over before_period, 0) as starting_value,
            coalesce(sum(net_quantity) over before_period, 0) as starting_quantity,
            coalesce(sum(net_value_expected_included) over before_period, 0) as starting_value_expected_included,
            coalesce(sum(net_quantity_expected_included) over before_period, 0)
                as starting_quantity_expected_included,
            sum(cost_posted_to_g_l) over to_end as invoiced_cost_posted_to_g_l,
            sum(expected_cost_posted_to_g_l) over to_end as expected_cost_posted_to_g_l_to_end
        {%- endif %}
    from filled
    {%- if running %}
        left join previous
            on
                {% for key in keys %}filled.{{ key }} = previous.{{ key }}{% if not loop.last %}
                and {% endif %}{% endfor %}
    {%- endif %}
    window
        before_period as (
            partition by {% for key in keys %}filled.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
            order by filled.period_start rows between unbounded preceding and 1 preceding
        ),
        to_end as (
            partition by {% for key in keys %}filled.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
            order by filled.period_start rows between unbounded preceding and current row
        )

),

final as (

    select
        {% for key in keys %}{{ key }},
        {% endfor -%}
        period_start,
        period_end,
        starting_quantity,
        starting_value,
        increases_quantity,
        increases_value,
        decreases_quantity,
        decreases_value,
        starting_quantity + increases_quantity - decreases_quantity as ending_quantity,
        starting_value + increases_value - decreases_value as ending_value,
        starting_quantity_expected_included,
        starting_value_expected_included,
        increases_quantity_expected_included,
        increases_value_expected_included,
        decreases_quantity_expected_included,
        decreases_value_expected_included,
        starting_quantity_expected_included + increases_quantity_expected_included
        - decreases_quantity_expected_included as ending_quantity_expected_included,
        starting_value_expected_included + increases_value_expected_included
        - decreases_value_expected_included as ending_value_expected_included,
        invoiced_cost_posted_to_g_l,
        expected_cost_posted_to_g_l_to_end as expected_cost_posted_to_g_l,
        invoiced_cost_posted_to_g_l + expected_cost_posted_to_g_l_to_end as cost_posted_to_g_l,
        invoiced_cost_posted_to_g_l - (starting_value + increases_value - decreases_value)
            as invoiced_cost_posted_difference,
        expected_cost_posted_to_g_l_to_end - (
            (starting_value_expected_included + increases_value_expected_included
            - decreases_value_expected_included)
            - (starting_value + increases_value - decreases_value)
        ) as expected_cost_posted_difference,
        invoiced_cost_posted_to_g_l + expected_cost_posted_to_g_l_to_end - (
            starting_value_expected_included + increases_value_expected_included
            - decreases_value_expected_included
        ) as total_cost_posted_difference
    from balances

)

select * from final
{%- endmacro %}
