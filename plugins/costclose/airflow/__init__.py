"""The thin Airflow layer: Assets, callbacks and cosmos wiring. Core modules never import Airflow."""
