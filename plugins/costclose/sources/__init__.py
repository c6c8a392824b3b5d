"""Source connectors: one module per way data leaves BC (bc2adls, bc_api, sql), one contract."""
