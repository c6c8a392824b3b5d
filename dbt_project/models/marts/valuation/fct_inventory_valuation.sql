-- One row per company x item x location x variant x period: Inventory Valuation (report 1001, spec
-- §D.1) with the location as filter. See macro inventory_valuation.
{{ inventory_valuation(with_location=true) }}
