-- One row per company x item x variant x period: Inventory Valuation (report 1001, spec §D.1) without
-- a location filter, where the two legs of a transfer cancel in Decreases. See macro inventory_valuation.
{{ inventory_valuation(with_location=false) }}
