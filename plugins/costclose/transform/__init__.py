"""The dbt project (../../dbt_project) run from Python: :mod:`costclose.transform.dbt`."""
