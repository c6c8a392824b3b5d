{#- Period handling. An accounting period is a calendar month (BC's monthly accounting periods; the
    DECISIONLOG records why we key on the month rather than on raw.accounting_period rows). -#}

{#- dbt's cross-database date_trunc and a standard cast (issue 9 part 5: adapter-portable SQL). -#}
{% macro period_of(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{#- The period selected with --vars '{period: 2024-03}' (any 'YYYY-MM' or 'YYYY-MM-DD' inside it) as a
    'YYYY-MM-01' string, or none. -#}
{% macro selected_period() -%}
    {%- set raw = var('period', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = raw | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$', text) -%}
        {{ exceptions.raise_compiler_error("var 'period' must look like 2024-03 or 2024-03-31, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text[:7] ~ '-01') }}
{%- endmacro %}

{#- The company selected with --vars '{company: ...}', or none. Escaped for dbt.string_literal, which
    (like dbt's own callers do) expects escape_single_quotes() first: a name with a quote (O'Brien)
    would otherwise break -- or rewrite -- the SQL of every model and hook that filters on it. -#}
{% macro selected_company() -%}
    {%- set raw = var('company', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(dbt.escape_single_quotes(raw | string)) }}
{%- endmacro %}

{#- Rows of a source whose (company, period) must be (re)built in this run:
    * incremental run: every period touched by rows loaded since the last build (the watermark is the
      newest _loaded_at already aggregated), so back-dated entries are caught;
    * --vars period=Q: Q, whether or not it changed (a backfill, or the close's period), and every changed
      period before Q, whose slices Q's running balances read (DECISIONLOG.md 26). Changed periods after
      Q are left alone (a backfill leaves later periods untouched) and the run's slices then record the
      old watermark (aggregate_loaded_at), so the next run still finds those rows;
    * full build: everything.
    The company var narrows any of these. The changed periods are looked up when the model runs (the
    `_loaded_at` index of the raw ledger) and written into the query as date ranges, so PostgreSQL reads
    them through the (company, posting_date) index instead of testing every row of history. -#}
{% macro period_rows_to_build(source_relation, date_column='posting_date') -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    {%- set ranges = [] -%}
    {%- if period is not none -%}
        {%- do ranges.append((none, period)) -%}
    {%- endif -%}
    {%- set changed = changed_periods(source_relation, date_column) if is_incremental() else [] -%}
    true
    {%- if company is not none %}
        and company = {{ dbt.string_literal(company) }}
    {%- endif %}
    {%- if changed is none or changed | length > 500 %}
        {#- not executing (compile/docs), or too many changed periods to list: the same set as a subquery #}
        and (
            {%- if period is not none %}
                ({{ date_column }} >= date {{ dbt.string_literal(period) }}
                and {{ date_column }} < date {{ dbt.string_literal(period) }} + interval '1 month') or (
                {{ date_column }} < date {{ dbt.string_literal(period) }} and
            {%- else %} ( {%- endif %}
            (company, {{ period_of(date_column) }}) in (
                select distinct changed.company, {{ period_of('changed.' ~ date_column) }}
                from {{ source_relation }} as changed
                where changed._loaded_at > {{ aggregate_watermark() }}
            ))
        )
    {%- elif period is not none or is_incremental() %}
        {%- for changed_company, changed_period in changed %}
            {%- if period is none or changed_period < period %}
                {%- do ranges.append((changed_company, changed_period)) -%}
            {%- endif %}
        {%- endfor %}
        and (
            false
            {%- for range_company, range_period in ranges %}
                or (
                    {%- if range_company is not none %}company = {{ dbt.string_literal(dbt.escape_single_quotes(range_company)) }} and {% endif -%}
                    {{ date_column }} >= date {{ dbt.string_literal(range_period) }}
                    and {{ date_column }} < date {{ dbt.string_literal(range_period) }} + interval '1 month'
                )
            {%- endfor %}
        )
    {%- endif %}
{%- endmacro %}

{#- The max_loaded_at of a slice built now: max(_loaded_at) of its rows, or -- on a --vars period run that
    leaves changed periods after the period unbuilt -- no newer than the watermark before this run, so
    that the rows of those periods stay newer than the aggregate's watermark (period_rows_to_build). -#}
{% macro aggregate_loaded_at(source_relation, date_column='posting_date') -%}
    {%- set period = selected_period() -%}
    {%- set capped = false -%}
    {%- if period is not none and is_incremental() -%}
        {%- set changed = changed_periods(source_relation, date_column) -%}
        {%- set state = namespace(capped=changed is none) -%}
        {%- for _company, changed_period in (changed or []) -%}
            {%- if changed_period > period -%}
                {%- set state.capped = true -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set capped = state.capped -%}
    {%- endif -%}
    {%- if capped -%}
        least(max(_loaded_at), {{ aggregate_watermark() }})
    {%- else -%}
        max(_loaded_at)
    {%- endif -%}
{%- endmacro %}

{#- The newest _loaded_at this incremental model has aggregated. Read when the model runs, as a literal:
    the model's own pre-hook deletes the selected period's rows before its query runs, and a subquery
    would then see a lower watermark than the run started from. -#}
{% macro aggregate_watermark() -%}
    {%- set query = "select coalesce(max(max_loaded_at), '-infinity'::timestamptz)::text from " ~ this -%}
    {%- if execute -%}
        cast({{ dbt.string_literal(run_query(query).columns[0].values()[0]) }} as timestamp with time zone)
    {%- else -%}
        ({{ query }})
    {%- endif -%}
{%- endmacro %}

{#- The (company, 'YYYY-MM-01') pairs with rows of source_relation loaded after the newest _loaded_at this
    model has aggregated (at most companies x periods rows); none when not executing. Called only on
    incremental runs. -#}
{% macro changed_periods(source_relation, date_column) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select distinct
            changed.company,
            cast({{ period_of('changed.' ~ date_column) }} as {{ dbt.type_string() }}) as period_start
        from {{ source_relation }} as changed
        where changed._loaded_at > {{ aggregate_watermark() }}
        order by 1, 2
    {%- endset -%}
    {{ return(run_query(query).rows | map('list') | list) }}
{%- endmacro %}

{#- pre_hook of the period-incremental models: an explicit period backfill first removes that
    period's rows, so a period that lost all its source rows does not keep stale ones. -#}
{% macro delete_selected_period() -%}
    {%- set period = selected_period() -%}
    {%- set company = selected_company() -%}
    {%- if period is not none and is_incremental() -%}
        delete from {{ this }}
        where period_start = date {{ dbt.string_literal(period) }}
        {%- if company is not none %} and company = {{ dbt.string_literal(company) }}{% endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
