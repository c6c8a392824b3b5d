{#- Per group, the column sums to zero within a tolerance: debits = credits per journal document. -#}
{% test costclose_sums_to_zero(model, column_name, group_by, tolerance=0) %}
    {%- set group_csv = group_by | join(', ') %}
    select {{ group_csv }}, sum({{ column_name }}) as imbalance
    from {{ model }}
    group by {{ group_csv }}
    having abs(sum({{ column_name }})) > {{ tolerance }}
{% endtest %}
