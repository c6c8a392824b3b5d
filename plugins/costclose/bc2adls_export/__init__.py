"""bc2adls: the on-disk format (``format``) and an exporter writing BC-shaped tables in it (``exporter``)."""
