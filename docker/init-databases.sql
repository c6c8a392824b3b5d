-- Runs once when the compose Postgres starts empty: the warehouse, the demo ERP and Airflow's
-- metadata are separate databases on one server (as with the embedded server).
CREATE DATABASE costclose_warehouse;
CREATE DATABASE costclose_erp;
CREATE DATABASE costclose_airflow;
